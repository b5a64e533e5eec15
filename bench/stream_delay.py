"""Delay from an ingest's acknowledgement to its change arriving on a live stream.

    python -m bench.stream_delay [--events 200]

Real `agentactivity serve` processes on one SQLite file; a reader thread holds a stream
open on server A. One client posts single-event batches one after the other, each the
first event of a new agent (so each makes exactly one change), to server A
("same process": published while the ingest is handled) or to server B ("across
processes": A finds the event by polling the store, every 250 ms by default). For each
event: t_ack when the 200 is read, t_arrival when its `event: agent` is read;
delay = t_arrival - t_ack (negative when the event was on the stream before the client
had read the 200). Printed as median / p95 / max in ms.

First, in process: the time the change feed adds to an ingest (the median over 10
batches of 10,000 state events over 1,000 agents, each batch changing every agent),
for an account nobody streams and for one with a stream open.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from agentactivity.events import TimeBounds, parse_batch
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.e2e.conftest import ACCOUNT, Server, create_keys, events_url, now_ms, oauth, sqlite_url
from tests.e2e.sse import SseStream


def measure(reader_server: Server, writer: Server, keys: dict[str, Any], count: int) -> list[float]:
    arrivals: dict[str, float] = {}
    ready = threading.Event()
    done = threading.Event()

    def read() -> None:
        with SseStream(reader_server.base_url, keys, read_timeout_s=30) as stream:
            while not done.is_set():
                message = stream.next()
                if message is None:
                    return
                if message.event == "snapshot":
                    ready.set()
                elif message.event == "agent" and message.id is not None:
                    arrivals[message.id] = message.arrived

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(20), "no snapshot"
    session = requests.Session()
    auth = oauth(keys)
    acks: dict[str, float] = {}
    last_seq = 0  # a fresh database: the account's events are numbered 1, 2, ...
    for i in range(count):
        # A new agent each time: one change per event (changes of one agent that another
        # process stores within one poll interval reach the stream as one, the latest).
        event = {"type": "state", "agentId": i + 1, "time": now_ms(), "state": "ONLINE"}
        answer = session.post(
            events_url(writer.base_url, ACCOUNT), json=[event], auth=auth, timeout=10
        )
        acks_at = time.perf_counter()
        assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
        last_seq += 1
        acks[str(last_seq)] = acks_at
    deadline = time.monotonic() + 10
    while len(arrivals) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    missing = set(acks) - set(arrivals)
    assert not missing, f"{len(missing)} changes never arrived"
    return [(arrivals[seq] - acks[seq]) * 1000 for seq in acks]


def feed_cost_ms(streamed: bool, batches: int = 10, agents: int = 1000) -> float:
    """Median ms spent in the change feed per 10,000-event ingest."""
    store = SQLiteStore(":memory:")
    now = [1_800_000_000_000]
    service = ActivityService(store, Settings(db_url=":memory:"), clock=lambda: now[0])
    if streamed:
        service.live.open_feed(ACCOUNT, None)
    spent: list[float] = []
    applied = service.live.feed.applied

    def timed(*args: Any) -> None:
        started = time.perf_counter()
        applied(*args)
        spent.append(time.perf_counter() - started)

    service.live.feed.applied = timed  # type: ignore[method-assign,assignment]
    names = ["ONLINE", "AWAY", "BACK_SOON"]
    for batch in range(batches):
        now[0] += 60_000
        raw = [
            {
                "type": "state",
                "agentId": 1 + i % agents,
                "time": now[0] - 50_000 + i,
                "state": names[(i // agents + batch) % 3],
            }
            for i in range(10_000)
        ]
        events, _ = parse_batch(raw, TimeBounds.around(now[0], service.settings.retention_ms))
        service.ingest(ACCOUNT, events)
    store.close()
    return statistics.median(spent) * 1000


def summary(delays: list[float]) -> str:
    ordered = sorted(delays)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (
        f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, "
        f"max {ordered[-1]:.1f} ms over {len(ordered)} events"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    print(
        f"change feed per 10,000-event ingest: {feed_cost_ms(False):.2f} ms (no stream), "
        f"{feed_cost_ms(True):.2f} ms (a stream open)",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for label, two in (("same process", False), ("across processes", True)):
            db_url = sqlite_url(workdir / f"delay-{int(two)}.db")
            keys = create_keys(db_url, ACCOUNT, "read", "ingest", cwd=workdir)
            a = Server(db_url, workdir, "a")
            b = Server(db_url, workdir, "b") if two else a
            try:
                print(f"{label}: {summary(measure(a, b, keys, args.events))}", flush=True)
            finally:
                for server in {id(a): a, id(b): b}.values():
                    server.stop()


if __name__ == "__main__":
    main()
