"""A Server-Sent Events reader over httpx streaming, signed with OAuth 1.0a, for tests
and measurements against a real server. Messages are read on the caller's thread, each
one with the time it arrived."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentactivity.credentials import Credentials
from tests.conftest import OAuth1Auth, httpx


def credentials_of(keys: dict[str, Any]) -> Credentials:
    return Credentials(
        keys["accountId"],
        keys["appKey"],
        keys["appSecret"],
        keys["accessToken"],
        keys["accessTokenSecret"],
        tuple(keys["scopes"]),
    )


def stream_url(base_url: str, account: str) -> str:
    return f"{base_url}/api/account/{account}/agents/state/stream"


@dataclass
class Message:
    event: str | None = None
    id: str | None = None
    data: str = ""
    retry: str | None = None
    comments: list[str] = field(default_factory=list)
    arrived: float = 0.0  # time.perf_counter()

    def json(self) -> Any:
        return orjson.loads(self.data)


class SseStream:
    """GET the stream; `status` and `headers` at once, messages with `next()`."""

    def __init__(
        self,
        base_url: str,
        keys: dict[str, Any],
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        read_timeout_s: float = 20.0,
    ) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(10.0, read=read_timeout_s))
        request = self.client.build_request(
            "GET", stream_url(base_url, keys["accountId"]), params=params, headers=headers
        )
        self.response = self.client.send(
            request, stream=True, auth=OAuth1Auth(credentials_of(keys))
        )
        self.status = self.response.status_code
        self.headers = self.response.headers
        self._lines: Iterator[str] = self.response.iter_lines()

    def next(self) -> Message | None:
        """The next message (a block ending in a blank line); None at the end of the stream."""
        message, seen = Message(), False
        for line in self._lines:
            if line == "":
                if seen:
                    message.arrived = time.perf_counter()
                    return message
                continue
            seen = True
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "":
                message.comments.append(value)
            elif name == "data":
                message.data = f"{message.data}\n{value}" if message.data else value
            elif name in ("event", "id", "retry"):
                setattr(message, name, value)
        return None

    def next_event(self, deadline_s: float = 20.0) -> Message:
        """The next message carrying an event (comments and the retry hint skipped)."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            message = self.next()
            assert message is not None, "the stream ended"
            if message.event is not None:
                return message
        raise AssertionError(f"no event within {deadline_s} s")

    def error(self) -> Any:
        self.response.read()
        return self.response.json()

    def close(self) -> None:
        self.response.close()
        self.client.close()

    def __enter__(self) -> SseStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
