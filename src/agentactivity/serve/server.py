"""Running the app under uvicorn until SIGTERM or SIGINT, then draining (one process, or
one worker of `serve --workers N` on a socket its parent bound)."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from agentactivity.serve.http import bounded_protocol
from agentactivity.settings import Settings


def http_protocol(app: Starlette) -> type[asyncio.Protocol]:
    """httptools, with the request head bounded by the app's limits (serve/http.py)."""
    settings: Settings = app.state.service.settings
    return bounded_protocol(settings.max_url_bytes, settings.max_header_bytes)


class _Server(uvicorn.Server):
    """uvicorn waits for requests in flight at shutdown; live streams never end by
    themselves, so they are ended first (api/stream.py)."""

    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self._streams = getattr(app.state, "streams", None)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._streams is not None:
            self._streams.close_all()
        super().handle_exit(sig, frame)


def build_server(
    app: Starlette,
    host: str,
    port: int,
    log_level: str,
    shutdown_s: int,
    wrap: Callable[[Starlette], ASGIApp] | None = None,
) -> uvicorn.Server:
    """A uvicorn server for `app` (optionally wrapped in one more ASGI layer). Logs go
    through our JSON handler; the access log is the app's own (api/observability.py)."""
    config = uvicorn.Config(
        wrap(app) if wrap else app,
        host=host,
        port=port,
        log_config=None,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=shutdown_s,
        # httptools parses several times faster than h11; the protocol bounds what it
        # gathers of a request head, so a huge URL or header cannot exhaust memory (the
        # app answers 414/431 below that bound, with the configured limits).
        http=http_protocol(app),
    )
    return _Server(config, app)


def serve_until_signalled(
    server: uvicorn.Server, sockets: list[socket.socket] | None = None
) -> None:
    """Serve until SIGTERM or SIGINT, then drain: uvicorn closes the listening socket and
    waits up to its graceful-shutdown timeout for requests in flight."""
    # uvicorn handles SIGTERM while it serves, then raises it again to the handler found
    # before it started: with the default one the process would die by the signal instead
    # of returning here to close the store and exit 0.
    previous = signal.signal(signal.SIGTERM, server.handle_exit)
    try:
        server.run(sockets=sockets)
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_server(app: Starlette, host: str, port: int, log_level: str, shutdown_s: int) -> None:
    """Serve `app` on host:port in this process until SIGTERM or SIGINT, then drain."""
    serve_until_signalled(build_server(app, host, port, log_level, shutdown_s))
