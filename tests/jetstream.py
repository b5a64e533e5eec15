"""A real NATS JetStream server for tests: $AGENTACTIVITY_TEST_NATS (default
nats://127.0.0.1:4222). Under CI=true an unreachable server fails the tests, elsewhere they
skip (tests/services.py). Each test gets its own stream, subject and durable names, and
its stream is deleted afterwards, so tests never see each other's messages."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import nats
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from tests.services import require_service

NATS_URL = os.environ.get("AGENTACTIVITY_TEST_NATS", "nats://127.0.0.1:4222")
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
T = TypeVar("T")


def _unreachable(url: str) -> str | None:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), 2):
            return None
    except OSError as exc:
        return str(exc)


def require_nats(url: str = NATS_URL) -> str:
    require_service(
        _unreachable(url),
        f"NATS is not reachable at {url}",
        ".ci/run starts nats-server -js on 127.0.0.1:4222 (Debian's nats-server package)",
        "start `nats-server -js` there, or set AGENTACTIVITY_TEST_NATS to a NATS URL with "
        "JetStream",
    )
    return url


@dataclass(frozen=True)
class Names:
    """One test's stream, subject pattern (`<prefix>.*.events`) and durable."""

    stream: str
    prefix: str
    durable: str

    @property
    def pattern(self) -> str:
        return f"{self.prefix}.*.events"

    def subject(self, account: str) -> str:
        return f"{self.prefix}.{account}.events"


def new_names() -> Names:
    tag = uuid.uuid4().hex[:10]
    return Names(stream=f"T_{tag}", prefix=f"t{tag}", durable=f"d{tag}")


def run(coro: Awaitable[T], timeout_s: float = 120) -> T:
    """Run a coroutine to completion in a fresh event loop (a guard, not a measure)."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout_s)

    return asyncio.run(bounded())


async def connect(url: str = NATS_URL) -> nats.NATS:
    return await nats.connect(url, max_reconnect_attempts=2, connect_timeout=5)


async def delete_stream(name: str, url: str = NATS_URL) -> None:
    client = await connect(url)
    try:
        await client.jetstream().delete_stream(name)
    except NotFoundError:
        pass
    finally:
        await client.close()


@contextlib.contextmanager
def fresh_names() -> Iterator[Names]:
    """New names for one test (NATS required); its stream is deleted afterwards."""
    require_nats()
    created = new_names()
    try:
        yield created
    finally:
        run(delete_stream(created.stream))


async def read_all(js: JetStreamContext, stream: str, subject: str) -> list[Msg]:
    """Every message of `stream` on `subject` (wildcards allowed), read by an ephemeral
    consumer that acknowledges nothing: exactly as many as the stream holds."""
    info = await js.stream_info(stream, subjects_filter=subject)
    expected = sum((info.state.subjects or {}).values())
    sub = await js.pull_subscribe(
        subject, stream=stream, config=ConsumerConfig(ack_policy=AckPolicy.NONE)
    )
    messages: list[Msg] = []
    while len(messages) < expected:
        messages.extend(await sub.fetch(min(1000, expected - len(messages)), timeout=5))
    await sub.unsubscribe()
    return messages


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float) -> None:
    """Poll `check` until it holds; fail saying `what` did not happen (a guard only)."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout_s:g} s")
        await asyncio.sleep(0.05)


class NatsServer:
    """A private nats-server (JetStream on, its own port and directory), e.g. with a
    larger max_payload than the shared one; stopped by `close()`."""

    def __init__(self, workdir: Path, **settings: Any) -> None:
        if not Path(NATS_SERVER).is_file():
            require_service("no nats-server binary", "nats-server is not installed", "", "")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"nats://127.0.0.1:{self.port}"
        config = workdir / "nats.conf"
        config.write_text("".join(f"{key}: {value}\n" for key, value in settings.items()))
        self.log = workdir / "nats.log"
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js"]
            + ["-sd", str(workdir / "js"), "-c", str(config), "-l", str(self.log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while _unreachable(self.url) is not None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.fail(f"nats-server did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
