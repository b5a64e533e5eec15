"""uvicorn's httptools protocol with a bounded request head.

httptools (llhttp) parses several times faster than h11 but sets no bound on a request
head: uvicorn gathers the URL and the headers in memory as they arrive, whatever their
size. This protocol counts what it has gathered of the head and, past the limit,
answers 414 (the URL) or 431 (the headers) as JSON saying what to do, then closes the
connection, without reading more. Below the limit the app's RequestLimits
(api/request_limits.py) answers the configured limits exactly; this is the backstop
that keeps memory bounded.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from agentactivity.api.errors import error_body

# What a head may hold besides its URL and header names and values (the request line's
# method and version, separators): the limits below are on the URL and the headers.
HEAD_SLACK = 4096


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    max_url_bytes = 64 * 1024 + HEAD_SLACK
    max_header_bytes = 32 * 1024 + HEAD_SLACK

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._header_bytes = 0
        self._refusal: tuple[int, str] | None = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > self.max_url_bytes:
            self._refuse(
                414,
                f"the URL is over {self.max_url_bytes} bytes. "
                "Send long agentIds lists with POST and a JSON body",
            )
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > self.max_header_bytes:
            self._refuse(431, f"the request headers are over {self.max_header_bytes} bytes")
        super().on_header(name, value)

    def _refuse(self, status: int, message: str) -> None:
        # Raising from a callback stops the parser; uvicorn then answers 400 through
        # send_400_response, which answers this refusal instead.
        self._refusal = (status, message)
        raise HeadTooLarge(message)

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
            return
        status, message = self._refusal
        body = orjson.dumps(error_body(status, message))
        reason = {414: b"URI Too Long", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()


class HeadTooLarge(Exception):
    """The request head went past the protocol's bound (see BoundedHttpToolsProtocol)."""


def bounded_protocol(max_url_bytes: int, max_header_bytes: int) -> type[HttpToolsProtocol]:
    """The protocol class for uvicorn's `http=`, bounding the URL and the headers to the
    given limits plus HEAD_SLACK."""
    return type(
        "BoundedHttpTools",
        (BoundedHttpToolsProtocol,),
        {
            "max_url_bytes": max_url_bytes + HEAD_SLACK,
            "max_header_bytes": max_header_bytes + HEAD_SLACK,
        },
    )
