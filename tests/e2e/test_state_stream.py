"""The live stream of agent state against real `agentactivity serve` processes: snapshot,
changes after ingest, resume with Last-Event-ID, the per-account limit, keep-alives, an
ingest through a second server on the same SQLite file, and SIGTERM with a stream open."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
    ACCOUNT,
    STOP_TIMEOUT_S,
    Server,
    create_keys,
    events_url,
    now_ms,
    oauth,
    sqlite_url,
)
from tests.e2e.sse import SseStream

pytestmark = pytest.mark.e2e

SETTINGS = {
    "AGENTACTIVITY_STREAM_HEARTBEAT_SECONDS": "0.5",
    "AGENTACTIVITY_MAX_STREAMS_PER_ACCOUNT": "3",
    "AGENTACTIVITY_STREAM_POLL_SECONDS": "0.1",
}


def state(agent: int, name: str, time_ms: int | None = None) -> dict[str, Any]:
    return {"type": "state", "agentId": agent, "time": time_ms or now_ms(), "state": name}


def ingest(server: Server, keys: dict[str, Any], events: list[dict[str, Any]]) -> None:
    answer = requests.post(
        events_url(server.base_url, ACCOUNT), json=events, auth=oauth(keys), timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == len(events)


def listing(server: Server, keys: dict[str, Any]) -> dict[str, Any]:
    answer = requests.get(
        f"{server.base_url}/api/account/{ACCOUNT}/agents/state",
        params={"agentIds": "all"},
        auth=oauth(keys),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "stream.db")


@pytest.fixture
def keys(db_url: str, tmp_path: Path) -> dict[str, Any]:
    return create_keys(db_url, ACCOUNT, "read", "ingest", cwd=tmp_path)


@pytest.fixture
def server(server_factory: Callable[..., Server], db_url: str, keys: dict[str, Any]) -> Server:
    return server_factory(db_url, env=SETTINGS)


def test_snapshot_then_changes_then_resume(server: Server, keys: dict[str, Any]) -> None:
    ingest(server, keys, [state(1, "ONLINE", now_ms() - 1000)])
    with SseStream(server.base_url, keys, params={"access_token": "not-ours"}) as stream:
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        first = stream.next()
        assert first is not None and first.retry is not None
        snapshot = stream.next_event()
        assert (snapshot.event, snapshot.id) == ("snapshot", "1")
        assert snapshot.json()["agents"] == listing(server, keys)["agents"]

        ingest(server, keys, [state(1, "AWAY"), state(2, "ONLINE")])
        changes = [stream.next_event(), stream.next_event()]
        now_listing = listing(server, keys)["agents"]
        assert [(m.event, m.id) for m in changes] == [("agent", "2"), ("agent", "3")]
        for message in changes:
            data = message.json()
            assert data == {**now_listing[data["agentId"]], "agentId": data["agentId"]}
        last_id = changes[-1].id
    assert last_id is not None

    # While nobody listens: two more changes; the resumed stream gets exactly those.
    ingest(server, keys, [state(3, "BACK_SOON")])
    ingest(server, keys, [state(1, "ONLINE")])
    with SseStream(server.base_url, keys, headers={"Last-Event-ID": last_id}) as resumed:
        messages = [resumed.next_event(), resumed.next_event()]
        assert [(m.event, m.id, m.json()["agentId"]) for m in messages] == [
            ("agent", "4", "3"),
            ("agent", "5", "1"),
        ]
        ingest(server, keys, [state(2, "AWAY")])
        message = resumed.next_event()
        assert (message.event, message.id, message.json()["state"]) == ("agent", "6", "AWAY")

    # Ahead of the store (say, the database was restored from a backup): a snapshot.
    with SseStream(server.base_url, keys, headers={"Last-Event-ID": "99"}) as ahead:
        snapshot = ahead.next_event()
        assert (snapshot.event, snapshot.id) == ("snapshot", "6")
        assert snapshot.json()["agents"] == listing(server, keys)["agents"]
    # A malformed id: refused, naming the header.
    with SseStream(server.base_url, keys, headers={"Last-Event-ID": "x"}) as bad:
        assert bad.status == 400
        assert "Last-Event-ID" in bad.error()["message"]


def test_keep_alive_comments(server: Server, keys: dict[str, Any]) -> None:
    with SseStream(server.base_url, keys, read_timeout_s=5) as stream:
        assert stream.next_event().event == "snapshot"
        comments: list[str] = []
        while len(comments) < 2:
            message = stream.next()
            assert message is not None and message.event is None
            comments += message.comments
        assert comments[:2] == ["keep-alive", "keep-alive"]


def test_past_the_limit_429_and_slots_come_back(server: Server, keys: dict[str, Any]) -> None:
    streams = [SseStream(server.base_url, keys) for _ in range(3)]
    try:
        assert [s.status for s in streams] == [200, 200, 200]
        for stream in streams:
            assert stream.next_event().event == "snapshot"
        with SseStream(server.base_url, keys) as refused:
            assert refused.status == 429
            assert refused.headers["retry-after"] == "1"
            body = refused.error()
            assert body["status"] == 429 and "3 streams open" in body["message"]
        streams.pop().close()
        # The disconnect frees the slot (noticed by the server within moments).
        deadline = time.monotonic() + 10
        while True:
            again = SseStream(server.base_url, keys)
            if again.status == 200 or time.monotonic() > deadline:
                break
            again.close()
            time.sleep(0.1)
        streams.append(again)
        assert again.status == 200
        metrics = requests.get(server.base_url + "/metrics", timeout=10).text
        assert f'agentactivity_streams_open{{account="{ACCOUNT}"}} 3.0' in metrics
    finally:
        for stream in streams:
            stream.close()


def test_an_ingest_through_another_server_reaches_the_stream(
    server_factory: Callable[..., Server], server: Server, db_url: str, keys: dict[str, Any]
) -> None:
    other = server_factory(db_url, env=SETTINGS)
    with SseStream(server.base_url, keys) as stream:
        assert stream.next_event().event == "snapshot"
        ingest(other, keys, [state(7, "ONLINE")])
        message = stream.next_event()
        assert (message.event, message.id) == ("agent", "1")
        data = message.json()
        assert data == {**listing(server, keys)["agents"]["7"], "agentId": "7"}


def test_sigterm_with_an_open_stream_exits_promptly(server: Server, keys: dict[str, Any]) -> None:
    with SseStream(server.base_url, keys) as stream:
        assert stream.next_event().event == "snapshot"
        server.proc.send_signal(signal.SIGTERM)
        # The server ends the stream itself, well before its shutdown timeout (30 s by
        # default) would cut it.
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while (message := stream.next()) is not None:
            assert message.event is None, message  # keep-alives only, then the end
            assert time.monotonic() < deadline, "the stream outlived the shutdown"
        assert server.proc.wait(timeout=STOP_TIMEOUT_S) == 0
    assert "stopped; the store is closed" in server.stderr_path.read_text()
