"""`serve --workers N`: N worker processes answering on one address.

The parent checks the store once (and applies missing migrations), binds the listening
socket, and spawns the workers (agentactivity.serve.worker), which all accept on that one
socket. It serves nothing itself: it watches them. On SIGTERM or SIGINT it closes its
copy of the socket and sends SIGTERM to every worker; each drains its requests in flight
as a single server does (up to --shutdown-timeout), closes its store and exits 0; the
parent exits 0 once all have. A second SIGINT is passed on (uvicorn then stops waiting).

A worker that dies before it is ready (bad store, port, ...) stops the whole server
(exit 1): a replacement would fail the same way. One that dies while serving is
replaced by a new worker with the same number (it loads the engine again).

Why our own small supervisor and not uvicorn's `--workers`: uvicorn's needs the app as
an import string and leaves a worker that stopped on SIGTERM to die by the signal, so
neither the store would be closed nor could the exit status tell a clean stop.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType

from agentactivity.api.file_nonces import FileNonceStore, nonce_file_for
from agentactivity.serve.worker import WorkerPlan, worker_main
from agentactivity.settings import Settings
from agentactivity.store import StoreError, open_store
from agentactivity.store.sqlite import sqlite_path

log = logging.getLogger("agentactivity.workers")

# After SIGTERM, workers get their graceful timeout plus this to close and exit.
EXIT_GRACE_S = 30.0


class WorkersError(RuntimeError):
    """The workers cannot be started; the message says why and what to do."""


@dataclass
class _Worker:
    index: int
    process: BaseProcess
    conn: Connection
    ready: bool = False
    pid: int | None = None
    conn_open: bool = field(default=True)


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql:", "postgres:"))


def _listen_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise WorkersError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


class Supervisor:
    def __init__(self, plan: WorkerPlan, count: int, sock: socket.socket) -> None:
        self.plan = plan
        self.count = count
        self.sock: socket.socket | None = sock
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.signals: list[int] = []
        self.stopping_since: float | None = None
        self.failed = False
        self.announced = False
        self.stopped_by: int | None = None

    def _spawn(self, index: int) -> _Worker:
        assert self.sock is not None
        ours, theirs = self.context.Pipe()
        process = self.context.Process(
            target=worker_main,
            args=(replace(self.plan, index=index), self.sock, theirs),
            name=f"agentactivity-worker-{index}",
        )
        process.start()
        theirs.close()
        return _Worker(index, process, ours)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals.append(signum)

    def run(self) -> int:
        """Start the workers, watch them until told to stop; the exit status."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self.workers = [self._spawn(i) for i in range(self.count)]
            while self.stopping_since is None or self._alive():
                self._handle_signals()
                self._watch(timeout=0.2)
                if self.stopping_since is not None:
                    self._enforce_deadline()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.sock is not None:
                self.sock.close()
        codes = [w.process.exitcode for w in self.workers]
        if self.failed or any(code != 0 for code in codes):
            log.error("stopped; worker exit codes %s", codes)
            return 1
        log.info("stopped: all %d workers exited cleanly", self.count)
        # As a single server: 130 after Ctrl-C.
        return 130 if self.stopped_by == signal.SIGINT else 0

    def _alive(self) -> list[_Worker]:
        return [w for w in self.workers if w.process.exitcode is None]

    def _stop(self, reason: str) -> None:
        if self.stopping_since is not None:
            return
        log.info("%s: stopping %d workers", reason, len(self._alive()))
        self.stopping_since = time.monotonic()
        # Our copy of the listening socket would keep it open after the workers close
        # theirs: new connections would wait in the backlog instead of being refused.
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self._send_all(signal.SIGTERM)

    def _send_all(self, sig: int) -> None:
        for worker in self._alive():
            try:
                os.kill(worker.process.pid or 0, sig)
            except ProcessLookupError:
                pass

    def _handle_signals(self) -> None:
        while self.signals:
            sig = self.signals.pop(0)
            if self.stopping_since is None:
                self.stopped_by = sig
                self._stop(f"received {signal.Signals(sig).name}")
            elif sig == signal.SIGINT:
                log.info("received SIGINT again: workers stop without waiting")
                self._send_all(signal.SIGINT)

    def _watch(self, timeout: float) -> None:
        conns = [w.conn for w in self.workers if w.conn_open]
        sentinels = [w.process.sentinel for w in self.workers]
        wait([*conns, *sentinels], timeout)
        for worker in self.workers:
            while worker.conn_open and worker.conn.poll():
                try:
                    _, worker.pid = worker.conn.recv()
                    worker.ready = True
                    log.info(
                        "worker %d ready (pid %s)",
                        worker.index,
                        worker.pid,
                        extra={"worker_index": worker.index, "pid": worker.pid},
                    )
                except (EOFError, OSError):
                    worker.conn_open = False
        if not self.announced and all(w.ready for w in self.workers):
            self.announced = True
            pids = [w.pid for w in self.workers]
            log.info("all %d workers ready; pids %s", self.count, pids, extra={"pids": pids})
        for i, worker in enumerate(self.workers):
            code = worker.process.exitcode
            if code is None or self.stopping_since is not None:
                continue
            worker.conn.close()
            worker.conn_open = False
            if not worker.ready:
                self.failed = True
                self._stop(f"worker {worker.index} exited with {code} before it was ready")
            else:
                log.error("worker %d exited with %s; starting another", worker.index, code)
                self.workers[i] = self._spawn(worker.index)

    def _enforce_deadline(self) -> None:
        assert self.stopping_since is not None
        if time.monotonic() - self.stopping_since > self.plan.shutdown_s + EXIT_GRACE_S:
            for worker in self._alive():
                log.error("worker %d did not exit: killing it", worker.index)
                worker.process.kill()
                worker.process.join()


def serve_workers(settings: Settings, host: str, port: int, log_level: str, shutdown_s: int) -> int:
    """Serve with settings.workers processes until SIGTERM/SIGINT; the exit status."""
    url = settings.db_url
    if not _is_postgres(url) and sqlite_path(url) == ":memory:":
        raise WorkersError(
            "--workers N > 1 needs a database file or PostgreSQL: an in-memory SQLite "
            "database belongs to one process"
        )
    # Once here, not N times at once: migrations, and a clear error for a bad store.
    open_store(url).close()
    temp_dir: str | None = None
    nonce_path: str | None = None
    if not settings.redis_url:
        if _is_postgres(url):
            # One host's workers share the file; servers on other hosts need --redis.
            temp_dir = tempfile.mkdtemp(prefix="agentactivity-nonces-")
            nonce_path = os.path.join(temp_dir, "nonces.db")
        else:
            nonce_path = nonce_file_for(sqlite_path(url))
        try:
            FileNonceStore(nonce_path).close()  # created once, before the workers race
        except Exception as exc:
            raise StoreError(f"cannot create the nonce file {nonce_path!r}: {exc}") from exc
    try:
        sock = _listen_socket(host, port)
        plan = WorkerPlan(settings, host, port, log_level, shutdown_s, 0, nonce_path)
        log.info(
            "serving on http://%s:%d with %d workers",
            host,
            port,
            settings.workers,
            extra={"db": url},
        )
        return Supervisor(plan, settings.workers, sock).run()
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
