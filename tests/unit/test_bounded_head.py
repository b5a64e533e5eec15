"""The httptools protocol bounds what it gathers of a request head (serve/http.py): past
the bound it answers 414 or 431 as JSON and closes, however the head is cut into
packets; below it requests reach the app as before."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import uvicorn
from uvicorn.server import ServerState

from agentactivity.serve.http import HEAD_SLACK, bounded_protocol

MAX_URL, MAX_HEADERS = 1000, 500


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def connect(loop: asyncio.AbstractEventLoop) -> tuple[asyncio.Protocol, Transport]:
    config = uvicorn.Config(app, log_config=None, lifespan="off")
    protocol_class = bounded_protocol(MAX_URL, MAX_HEADERS)
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)  # type: ignore[call-arg]
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport


def feed(protocol: asyncio.Protocol, transport: Transport, data: bytes, packet: int) -> None:
    """As the event loop would: packet by packet until the connection is closed."""
    for i in range(0, len(data), packet):
        if transport.closed:
            return
        protocol.data_received(data[i : i + packet])


def answer_of(transport: Transport) -> tuple[int, dict[str, Any]]:
    head, _, body = transport.written.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), orjson.loads(body)


@pytest.mark.parametrize("packet", [7, 1000, 10_000_000])
def test_a_url_past_the_bound_is_a_json_414(loop: asyncio.AbstractEventLoop, packet: int) -> None:
    protocol, transport = connect(loop)
    url = b"/x?agentIds=" + b"1," * 2_000_000
    feed(protocol, transport, b"GET " + url + b" HTTP/1.1\r\nHost: x\r\n\r\n", packet)
    status, body = answer_of(transport)
    assert status == 414 and transport.closed
    assert "POST" in body["message"] and str(MAX_URL + HEAD_SLACK) in body["message"]
    assert len(protocol.url) <= MAX_URL + HEAD_SLACK  # type: ignore[attr-defined]


@pytest.mark.parametrize("many", [False, True])
def test_headers_past_the_bound_are_a_json_431(loop: asyncio.AbstractEventLoop, many: bool) -> None:
    protocol, transport = connect(loop)
    if many:  # many small headers add up
        headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 20) for i in range(1000))
    else:
        headers = b"X-Pad: " + b"a" * 2_000_000 + b"\r\n"
    feed(protocol, transport, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", 4096)
    status, body = answer_of(transport)
    assert status == 431 and transport.closed
    assert str(MAX_HEADERS + HEAD_SLACK) in body["message"]
    kept = sum(len(n) + len(v) for n, v in protocol.headers)  # type: ignore[attr-defined]
    assert kept <= MAX_HEADERS + HEAD_SLACK


def test_a_head_within_the_bound_reaches_the_app(loop: asyncio.AbstractEventLoop) -> None:
    protocol, transport = connect(loop)
    head = b"GET /x?" + b"a" * MAX_URL + b" HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"b" * 400
    feed(protocol, transport, head + b"\r\n\r\n", 100)
    loop.run_until_complete(asyncio.sleep(0.01))
    assert transport.written.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nok\r\n" in transport.written and not transport.closed


def test_malformed_requests_are_still_uvicorns_400(loop: asyncio.AbstractEventLoop) -> None:
    protocol, transport = connect(loop)
    feed(protocol, transport, b"NOT HTTP AT ALL\r\n\r\n", 100)
    assert transport.written.startswith(b"HTTP/1.1 400 ") and transport.closed
