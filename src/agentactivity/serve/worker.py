"""One worker process of `serve --workers N` (started by agentactivity.serve.supervisor).

A worker is a whole server on the listening socket its parent bound: its own store
connection, its own engine loaded from the store, its own uvicorn. What one worker
acknowledges the others answer at once, because every query first compares the store's
last sequence with its engine's (ActivityService.agent_activity_json). OAuth nonces are
shared through a file (api/file_nonces.py) or Redis; only worker 0 prunes the store
(the others prune their engines only), so N workers do not all take the store's write
lock for the same deletion.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import uvicorn
from prometheus_client import Info
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentactivity.logs import setup_logging
from agentactivity.settings import Settings
from agentactivity.store import StoreError

# Exit code of a worker that could not start (store unreadable, ...): the parent stops.
STARTUP_FAILURE = 3
SERVED_BY_HEADER = b"x-served-by"

log = logging.getLogger("agentactivity.worker")


@dataclass(frozen=True)
class WorkerPlan:
    """Everything a worker needs, sent to it when it is spawned."""

    settings: Settings
    host: str
    port: int
    log_level: str
    shutdown_s: int
    index: int
    # The shared nonce file; None when the nonces live in Redis.
    nonce_path: str | None


class ServedBy:
    """Adds `X-Served-By: <pid>` to every HTTP answer: which worker answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.value = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_pid(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (SERVED_BY_HEADER, self.value)]
            await send(message)

        await self.app(scope, receive, send_with_pid)


class _WorkerField(logging.Filter):
    """Every log line of a worker says which one wrote it."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker = self.index
        return True


def _report_then_watch(server: uvicorn.Server, parent: Connection) -> None:
    """Tell the parent once serving; then stop gracefully if the parent goes away (its end
    of the pipe closes), so that no worker outlives a killed parent."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    try:
        if server.started:
            parent.send(("ready", os.getpid()))
        parent.recv()
    except (EOFError, OSError):
        if not server.should_exit:
            log.warning("the parent process is gone: stopping")
            server.handle_exit(signal.SIGTERM, None)


def worker_main(plan: WorkerPlan, sock: socket.socket, parent: Connection) -> None:
    """The worker's whole life: load, serve until SIGTERM (from the parent), close."""
    from agentactivity.api.file_nonces import FileNonceStore
    from agentactivity.serve.run import Listen, run_service
    from agentactivity.service import ActivityService
    from agentactivity.store import open_store

    # A group of its own: Ctrl-C in a terminal reaches the parent only, which then
    # stops every worker the same way (SIGTERM).
    os.setpgrp()
    setup_logging(plan.log_level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_WorkerField(plan.index))
    nonces = FileNonceStore(plan.nonce_path) if plan.nonce_path else None

    def before_serving(app: Starlette, server: uvicorn.Server) -> None:
        # Each scrape of /metrics reaches one worker: its figures are that worker's own.
        Info(
            "agentactivity_worker",
            "The worker that answered this scrape.",
            registry=app.state.metrics.registry,
        ).info({"worker": str(plan.index), "pid": str(os.getpid())})
        threading.Thread(
            target=_report_then_watch, args=(server, parent), name="parent-watch", daemon=True
        ).start()

    try:
        run_service(
            ActivityService(open_store(plan.settings.db_url), plan.settings),
            Listen(plan.host, plan.port, plan.log_level, plan.shutdown_s, sockets=[sock]),
            name=f"worker {plan.index}: ",
            nonces=nonces,
            prune_store=plan.index == 0,
            wrap=ServedBy,
            before_serving=before_serving,
        )
    except StoreError as exc:
        log.error("worker %d could not load the store: %s", plan.index, exc)
        sys.exit(STARTUP_FAILURE)
    finally:
        if nonces is not None:
            nonces.close()
