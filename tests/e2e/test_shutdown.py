"""Clean shutdown of a real `agentactivity serve` on SIGTERM: it stops accepting
connections, lets the request in flight finish (its events durable), closes the store
and exits 0; a request still unfinished after --shutdown-timeout is cut, storing nothing.

The request in flight is a 10,000-event batch whose body is sent in two halves
(chunked): the server has the request line and headers, and waits for the rest of the
body, when it gets SIGTERM; the test sends the second half only once it has seen the
server refuse new connections.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from tests.e2e.conftest import (
    ACCOUNT,
    STARTUP_TIMEOUT_S,
    ManagedProcess,
    create_keys,
    events_url,
    free_port,
    now_ms,
    oauth,
    sqlite_url,
)

pytestmark = pytest.mark.e2e

BATCH = 10_000
EXIT_TIMEOUT_S = 30.0


class Serve(ManagedProcess):
    """`agentactivity serve` with extra flags, up once /readyz answers 200."""

    def __init__(self, db_url: str, workdir: Path, *flags: str) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", db_url]
        super().__init__([*args, *flags], workdir, f"serve-{self.port}")
        self.wait_for_http(self.base_url + "/readyz", STARTUP_TIMEOUT_S)

    def log_lines(self) -> list[dict[str, Any]]:
        """stderr, where every line must be one JSON object."""
        lines = []
        for line in self.stderr_path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                pytest.fail(f"stderr line is not JSON: {line!r}\n{self.output()}")
            assert isinstance(record, dict), line
            assert {"time", "level", "logger", "message"} <= record.keys(), line
            lines.append(record)
        return lines


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    started: list[Serve] = []

    def start(*flags: str) -> Serve:
        server = Serve(sqlite_url(tmp_path / "shutdown.db"), tmp_path, *flags)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def batch_body() -> bytes:
    """10,000 valid state events: 100 agents, 100 state changes each in the last hour."""
    base = now_ms() - 3_600_000
    states = ("ONLINE", "AWAY", "BACK_SOON", "ONLINE", "OFFLINE")
    events = [
        {
            "type": "state",
            "agentId": str(1000 + i % 100),
            "time": base + i * 300,
            "state": states[(i // 100) % len(states)],
            "eventId": f"shutdown-{i}",
        }
        for i in range(BATCH)
    ]
    return orjson.dumps(events)


class HalfThenRest:
    """A request body sent in two chunks, the second once `release` is set."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.first_sent = threading.Event()
        self.release = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        half = len(self.body) // 2
        yield self.body[:half]
        # Asked for the next chunk: the first one is on the wire.
        self.first_sent.set()
        self.release.wait(EXIT_TIMEOUT_S)
        yield self.body[half:]


def post_in_thread(
    url: str, keys: dict[str, Any], body: HalfThenRest
) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["response"] = requests.post(
                url,
                data=iter(body),
                headers={"Content-Type": "application/json", "X-Request-Id": "in-flight-1"},
                auth=oauth(keys),
                timeout=EXIT_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_until_refused(server: Serve, timeout_s: float = 10.0) -> None:
    """Poll /healthz on new connections until they are refused."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            requests.get(server.base_url + "/healthz", timeout=1.0)
        except requests.ConnectionError:
            return
        time.sleep(0.05)
    pytest.fail(f"the server still accepts connections {timeout_s} s after SIGTERM")


def test_sigterm_lets_the_request_in_flight_finish(start: Callable[..., Serve]) -> None:
    server = start("--shutdown-timeout", "30")
    keys = create_keys(server.db_url, ACCOUNT, "ingest", cwd=server.workdir)
    url = events_url(server.base_url, ACCOUNT)
    body = HalfThenRest(batch_body())
    thread, outcome = post_in_thread(url, keys, body)
    assert body.first_sent.wait(10), "the client never sent the first half of the body"
    time.sleep(0.5)  # the server has read the request line and headers by now

    server.proc.send_signal(signal.SIGTERM)
    wait_until_refused(server)
    assert server.running(), f"exited with a request in flight\n{server.output()}"

    body.release.set()
    thread.join(EXIT_TIMEOUT_S)
    assert "error" not in outcome, f"{outcome.get('error')!r}\n{server.output()}"
    answer = outcome["response"]
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": BATCH, "duplicates": 0}
    assert answer.headers["X-Request-Id"] == "in-flight-1"
    assert server.proc.wait(timeout=EXIT_TIMEOUT_S) == 0, server.output()

    # The logs: JSON lines, the request's access line, the store closed last.
    lines = server.log_lines()
    (access,) = [r for r in lines if r.get("request_id") == "in-flight-1"]
    assert access["logger"] == "agentactivity.access", access
    assert access["status"] == 200 and access["method"] == "POST", access
    assert access["route"] == "/api/account/{accountId}/events", access
    assert access["account"] == ACCOUNT, access
    assert lines[-1]["message"] == "stopped; the store is closed", lines[-1]

    # Durable: a new server on the same database has every event of the batch.
    again = start()
    ready = requests.get(again.base_url + "/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["engineLagEvents"] == 0, ready.text
    repost = requests.post(
        url.replace(server.base_url, again.base_url),
        data=body.body,
        headers={"Content-Type": "application/json"},
        auth=oauth(keys),
        timeout=EXIT_TIMEOUT_S,
    )
    assert repost.status_code == 200, repost.text
    assert repost.json() == {"accepted": 0, "duplicates": BATCH}


def test_shutdown_timeout_bounds_the_wait(start: Callable[..., Serve]) -> None:
    server = start("--shutdown-timeout", "1")
    keys = create_keys(server.db_url, ACCOUNT, "ingest", cwd=server.workdir)
    url = events_url(server.base_url, ACCOUNT)
    body = HalfThenRest(batch_body())
    thread, outcome = post_in_thread(url, keys, body)
    assert body.first_sent.wait(10), "the client never sent the first half of the body"
    time.sleep(0.5)

    sent = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    # The body never completes: the server gives up on it after about 1 s.
    assert server.proc.wait(timeout=EXIT_TIMEOUT_S) == 0, server.output()
    assert time.monotonic() - sent < 10, "the shutdown did not stop at its timeout"
    body.release.set()
    thread.join(EXIT_TIMEOUT_S)
    assert "response" not in outcome or outcome["response"].status_code != 200, outcome

    # Nothing of the cut batch was stored.
    again = start()
    answer = requests.post(
        url.replace(server.base_url, again.base_url),
        data=body.body,
        headers={"Content-Type": "application/json"},
        auth=oauth(keys),
        timeout=EXIT_TIMEOUT_S,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": BATCH, "duplicates": 0}
