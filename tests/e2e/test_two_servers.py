"""Two real `agentactivity serve` processes on one PostgreSQL database and one Redis, as
behind a load balancer: what one acknowledges, the other answers at once, identically."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
    ACCOUNT,
    DISCOVERY_PATH,
    STARTUP_TIMEOUT_S,
    ManagedProcess,
    activity_url,
    create_keys,
    events_url,
    free_port,
    now_ms,
    oauth,
    run_cli,
)
from tests.e2e.sse import SseStream
from tests.redis_support import shared_redis
from tests.store.conftest import postgres_schema

pytestmark = pytest.mark.e2e

MIN = 60_000
TIMEOUT = 10.0


class RedisServer(ManagedProcess):
    """`agentactivity serve --db <postgres> --redis <redis>` on a free port."""

    def __init__(self, db_url: str, redis_url: str, workdir: Path, name: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        super().__init__([*args, "--db", db_url, "--redis", redis_url], workdir, name)
        self.wait_for_http(self.base_url + DISCOVERY_PATH, STARTUP_TIMEOUT_S)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisServer, dict[str, Any]]]:
    with postgres_schema() as db_url, shared_redis() as redis_url:
        keys = create_keys(db_url, ACCOUNT, cwd=tmp_path)
        a = RedisServer(db_url, redis_url, tmp_path, "a")
        try:
            b = RedisServer(db_url, redis_url, tmp_path, "b")
        except BaseException:
            a.stop()
            raise
        try:
            yield a, b, keys
        finally:
            for server in (a, b):
                assert server.stop(), f"did not stop on SIGTERM\n{server.output()}"


def ingest(server: RedisServer, keys: dict[str, Any], events: list[dict[str, Any]]) -> None:
    answer = requests.post(
        events_url(server.base_url, ACCOUNT), json=events, auth=oauth(keys), timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == len(events), answer.text


def query(server: RedisServer, keys: dict[str, Any], to: int) -> dict[str, Any]:
    params = {"v": 1, "timeframe": 60, "agentIds": "all", "to": to}
    answer = requests.get(
        activity_url(server.base_url, ACCOUNT), params=params, auth=oauth(keys), timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def agents_in(body: dict[str, Any]) -> set[str]:
    per_agent = body["agentsMetrics"]["metricsPerAgent"]
    if isinstance(per_agent, dict):
        return set(per_agent)
    return {str(row["agentId"]) for row in per_agent}


def batch(agent: str, start: int) -> list[dict[str, Any]]:
    """An agent online for 3 minutes, away for 2, then back in 5."""
    return [
        {"type": "state", "agentId": agent, "time": start, "state": "ONLINE"},
        {"type": "state", "agentId": agent, "time": start + 3 * MIN, "state": "AWAY"},
        {"type": "state", "agentId": agent, "time": start + 5 * MIN, "state": "BACK_SOON"},
    ]


def test_each_server_answers_at_once_what_the_other_acknowledged(setup) -> None:
    a, b, keys = setup
    to = now_ms()
    start = to - 50 * MIN
    for round_ in range(6):
        writer, reader = (a, b) if round_ % 2 == 0 else (b, a)
        agent = str(1000 + round_)
        ingest(writer, keys, batch(agent, start + round_ * MIN))
        read = query(reader, keys, to)  # immediately, on the other server
        assert agent in agents_in(read), (round_, read)
        assert agents_in(read) == {str(1000 + r) for r in range(round_ + 1)}
        assert query(writer, keys, to) == read


def test_concurrent_ingest_on_both_servers_gives_identical_answers(setup) -> None:
    a, b, keys = setup
    to = now_ms()
    start = to - 50 * MIN
    errors: list[BaseException] = []

    def feed(server: RedisServer, first_agent: int) -> None:
        try:
            for i in range(8):
                agent = str(first_agent + i)
                ingest(server, keys, batch(agent, start + i * MIN))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=feed, args=(a, 2000)),
        threading.Thread(target=feed, args=(b, 3000)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    from_a, from_b = query(a, keys, to), query(b, keys, to)
    expected = {str(2000 + i) for i in range(8)} | {str(3000 + i) for i in range(8)}
    assert agents_in(from_a) == expected
    assert from_a == from_b


def test_serve_exits_with_one_clear_line_when_redis_is_unreachable(tmp_path: Path) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = run_cli(
        "serve", "--port", str(free_port()), "--db", db, "--redis", dead, cwd=tmp_path, timeout=30
    )
    assert result.returncode == 1, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.startswith("agentactivity: error:")]
    assert len(error_lines) == 1, result.stderr
    assert "Redis at " + dead in error_lines[0] and "not reachable" in error_lines[0], lines
    assert "Traceback" not in result.stderr


def test_a_stream_on_one_server_gets_what_the_other_acknowledges(
    setup: tuple[RedisServer, RedisServer, dict[str, Any]],
) -> None:
    a, b, keys = setup
    with SseStream(a.base_url, keys) as stream:
        assert stream.next_event().event == "snapshot"
        ingest(b, keys, [{"type": "state", "agentId": 31, "time": now_ms(), "state": "AWAY"}])
        message = stream.next_event()
        assert message.event == "agent" and message.id is not None
        assert (message.json()["agentId"], message.json()["state"]) == ("31", "AWAY")
    # Reconnecting to the other server, which has kept no changes of the account: the
    # same state as a snapshot, with the same sequence as id.
    with SseStream(b.base_url, keys, headers={"Last-Event-ID": message.id}) as other:
        snapshot = other.next_event()
        assert (snapshot.event, snapshot.id) == ("snapshot", message.id)
        assert snapshot.json()["agents"]["31"]["state"] == "AWAY"


def test_a_late_event_acknowledged_by_one_server_is_in_the_others_next_answer(setup) -> None:
    # Server B keeps the scopes it rendered for the next identical query (closed
    # intervals); an event stored through A inside one of them must still be in B's very
    # next answer (engine/scope_cache.py: the catch-up drops what it changes).
    a, b, keys = setup
    to = now_ms()
    start = to - 50 * MIN
    ingest(a, keys, batch("4000", start))
    params = {"v": 1, "timeframe": 60, "agentIds": "all", "to": to, "interval": 5}

    def by_intervals(server: RedisServer) -> dict[str, Any]:
        answer = requests.get(
            activity_url(server.base_url, ACCOUNT), params=params, auth=oauth(keys), timeout=10
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    before = by_intervals(b)
    assert by_intervals(b) == before  # asked again: from the kept scopes
    # Late: the agent was away from minute 1 of its first 5-minute interval.
    late = [{"type": "state", "agentId": "4000", "time": start + 1 * MIN, "state": "AWAY"}]
    ingest(a, keys, late)
    after = by_intervals(b)
    assert after != before
    assert after == by_intervals(a)
