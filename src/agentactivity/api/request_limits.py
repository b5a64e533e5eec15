"""Bounds on what a client controls before any handler runs: URL and header sizes.

The HTTP server (httptools, see serve/http.py) already refuses to gather more than a
bounded request head; this middleware turns the configured limits into clear JSON
answers (414, 431) that say what to do instead.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from agentactivity.api.errors import error_body


class RequestLimits:
    def __init__(self, app: ASGIApp, max_url_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or scope["path"].encode()
            url_bytes = len(path) + len(scope.get("query_string", b""))
            if url_bytes > self.max_url_bytes:
                await refuse(
                    send,
                    414,
                    f"the URL is {url_bytes} bytes; the limit is {self.max_url_bytes}. "
                    "Send long agentIds lists with POST and a JSON body",
                )
                return
            header_bytes = sum(len(name) + len(value) for name, value in scope["headers"])
            if header_bytes > self.max_header_bytes:
                await refuse(
                    send,
                    431,
                    f"the request headers are {header_bytes} bytes; "
                    f"the limit is {self.max_header_bytes}",
                )
                return
        await self.app(scope, receive, send)


async def refuse(send: Send, status: int, message: str) -> None:
    """Answer in the API's JSON error shape without reading anything more of the request."""
    body = orjson.dumps(error_body(status, message))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
