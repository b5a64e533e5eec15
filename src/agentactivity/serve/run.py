"""The life of one serving process, written once for `serve`, `demo` and each worker of
`serve --workers N`: load the engine (from its snapshots, else the store), prune and
write snapshots on timers, serve until SIGTERM or SIGINT, stop what ran alongside,
write the last snapshots, close the store."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from agentactivity.api.app import create_app
from agentactivity.api.auth import NonceStore
from agentactivity.serve.server import build_server, serve_until_signalled
from agentactivity.service import ActivityService
from agentactivity.service.snapshots import Snapshots
from agentactivity.settings import Settings

log = logging.getLogger("agentactivity.serve")

# Work that runs beside the server in a thread until its stop event is set (the demo's
# live events); it is stopped and joined before the store closes.
Task = Callable[[threading.Event], None]


@dataclass(frozen=True)
class Listen:
    """Where and how to serve."""

    host: str
    port: int
    log_level: str
    shutdown_s: int
    # Sockets already bound (by the parent of `serve --workers N`); None: bind host:port.
    sockets: list[socket.socket] | None = None


def _last_snapshots(snapshots: Snapshots, settings: Settings, name: str) -> None:
    """At a graceful stop: what moved on since the last snapshot, so the next start
    catches up nothing."""
    try:
        written = snapshots.write_due(
            settings.snapshot_interval_seconds, settings.snapshot_events, force=True
        )
        if written:
            log.info("%swrote %d snapshots before stopping", name, written)
    except Exception:  # the next start rebuilds what is missing
        log.exception("%scould not write the snapshots before stopping", name)
    finally:
        snapshots.release()


def run_service(
    service: ActivityService,
    listen: Listen,
    *,
    name: str = "",
    nonces: NonceStore | None = None,
    prune_store: bool = True,
    wrap: Callable[[Starlette], ASGIApp] | None = None,
    before_serving: Callable[[Starlette, uvicorn.Server], None] | None = None,
    tasks: Sequence[Task] = (),
) -> None:
    """Serve `service` until SIGTERM or SIGINT, then drain and close its store (also when
    loading fails: the StoreError is raised to the caller). `prune_store` false prunes the
    engine only (another process prunes the shared store); `name` prefixes the log lines."""
    settings = service.settings
    stops: list[threading.Event] = []
    threads: list[threading.Thread] = []
    snapshots = service.snapshots
    loaded_engine = False
    try:
        held = "" if settings.partition.everything else f" of partition {settings.partition}"
        log.info("%sloading the events%s from %s", name, held, settings.db_url)
        loaded = service.load()
        loaded_engine = True
        stops.append(service.start_pruning(settings.prune_interval_seconds, store=prune_store))
        if snapshots is not None:
            stops.append(
                snapshots.start_writing(
                    settings.snapshot_interval_seconds, settings.snapshot_events
                )
            )
        for task in tasks:
            stop = threading.Event()
            thread = threading.Thread(target=task, args=(stop,), name=task.__name__, daemon=True)
            thread.start()
            stops.append(stop)
            threads.append(thread)
        app = create_app(service, nonces=nonces)
        server = build_server(
            app, listen.host, listen.port, listen.log_level, listen.shutdown_s, wrap
        )
        if before_serving is not None:
            before_serving(app, server)
        log.info(
            "%sloaded %d events%s from %s; serving on http://%s:%d",
            name,
            loaded,
            held,
            settings.db_url,
            listen.host,
            listen.port,
        )
        serve_until_signalled(server, listen.sockets)
    finally:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join()
        if snapshots is not None and loaded_engine:
            _last_snapshots(snapshots, settings, name)
        service.store.close()
        log.info("%sstopped; the store is closed", name)
