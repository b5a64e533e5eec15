"""Crash safety: SIGKILL a real server in the middle of concurrent ingest, restart it on the
same SQLite file, and check SPEC section 2 to the event:

- every acknowledged batch (200) is stored, exactly once;
- a batch whose request got no answer is stored whole or not at all;
- the figures after the restart are those of exactly the stored events.

Each batch is self-contained so that the figures add up simply: 50 ONLINE -> OFFLINE pairs
for the client's own agents, each pair in a time slot of its own (no two pairs of an agent
overlap), so an agent's logged-in ms is the sum of its stored pairs' durations.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
    ACCOUNT,
    Server,
    activity_url,
    create_keys,
    events_url,
    now_ms,
    oauth,
    sqlite_url,
)

pytestmark = pytest.mark.e2e

MIN = 60_000
CLIENTS = 4
AGENTS_PER_CLIENT = 10
PAIRS_PER_AGENT = 5  # per batch: 10 agents x 5 pairs x 2 events = 100 events
BATCH_EVENTS = AGENTS_PER_CLIENT * PAIRS_PER_AGENT * 2
SLOT_MS = 500  # each pair lives in its own slot; durations 1..SLOT_MS-1 ms
SPAN_MS = 56 * MIN  # all events within [TO - 58 min, TO - 2 min)
MAX_BATCHES = SPAN_MS // (SLOT_MS * PAIRS_PER_AGENT)  # per client; far above what 2 s allow
INGEST_S = 1.75
LOADED = re.compile(r"loaded (\d+) events", re.IGNORECASE)  # the start-up log line

Batch = list[dict[str, Any]]
Key = tuple[int, int]  # (client, batch number)


def agent_id(client: int, agent: int) -> int:
    return 1000 * (client + 1) + agent


def make_batch(client: int, number: int, base: int) -> Batch:
    """100 events: per agent of the client, PAIRS_PER_AGENT pairs in slots of their own,
    shuffled (the order inside a batch must not matter)."""
    rng = random.Random(f"{client}/{number}")
    events: Batch = []
    for agent in range(AGENTS_PER_CLIENT):
        for pair in range(PAIRS_PER_AGENT):
            start = base + (number * PAIRS_PER_AGENT + pair) * SLOT_MS
            end = start + rng.randint(1, SLOT_MS - 1)
            prefix = f"c{client}-b{number}-a{agent}-p{pair}"
            for suffix, state, time_ms in (("on", "ONLINE", start), ("off", "OFFLINE", end)):
                events.append(
                    {
                        "type": "state",
                        "agentId": agent_id(client, agent),
                        "time": time_ms,
                        "state": state,
                        "eventId": f"{prefix}-{suffix}",
                    }
                )
    rng.shuffle(events)
    return events


def logged_in_ms(batches: list[Batch]) -> dict[int, int]:
    """Per agent, the sum of its pairs' durations: what the stored events imply."""
    on: dict[str, int] = {}
    total: dict[int, int] = defaultdict(int)
    for batch in batches:
        for ev in batch:
            if ev["state"] == "ONLINE":
                on[ev["eventId"][: -len("-on")]] = ev["time"]
        for ev in batch:
            if ev["state"] == "OFFLINE":
                total[ev["agentId"]] += ev["time"] - on[ev["eventId"][: -len("-off")]]
    return total


def expected_answer(batches: list[Batch]) -> dict[str, Any]:
    """The v=1 answer without intervals for a window holding all the events."""

    def value(ms: int) -> dict[str, int]:
        return {
            "total": ms // 1000,
            "chatting": 0,
            "notChatting": ms // 1000,
            "chattingInMaxConcurrency": 0,
        }

    per_agent = {}
    for agent, ms in sorted(logged_in_ms(batches).items()):
        per_agent[str(agent)] = [
            {"id": 2, "name": "Online", "value": value(ms)},
            {"id": 3, "name": "Back in 5", "value": value(0)},
            {"reasons": [], "id": 4, "name": "Away", "value": value(0)},
            {"id": -1, "name": "Logged in", "value": value(ms)},
        ]
    return {"agentsMetrics": {"metricsPerAgent": per_agent, "metricsTotals": []}}


@dataclass
class ClientLog:
    acknowledged: list[Key] = field(default_factory=list)
    unknown: list[Key] = field(default_factory=list)  # no answer: fate unknown
    refused: list[tuple[Key, int, str]] = field(default_factory=list)  # must stay empty
    ran_out: bool = False  # sent MAX_BATCHES before the crash: not mid-stream


def ingest_loop(
    client: int,
    url: str,
    keys: dict[str, Any],
    base: int,
    batches: dict[Key, Batch],
    stop: threading.Event,
    log: ClientLog,
) -> None:
    with requests.Session() as session:
        session.auth = oauth(keys)
        for number in range(MAX_BATCHES):
            if stop.is_set():
                return
            batch = make_batch(client, number, base)
            batches[(client, number)] = batch
            try:
                answer = session.post(url, json=batch, timeout=10)
            except requests.RequestException:
                log.unknown.append((client, number))
                return  # the server is gone: every later request would be refused
            if answer.status_code == 200 and answer.json() == {
                "accepted": BATCH_EVENTS,
                "duplicates": 0,
            }:
                log.acknowledged.append((client, number))
            else:
                log.refused.append(((client, number), answer.status_code, answer.text))
                return
        log.ran_out = True


def repost(url: str, keys: dict[str, Any], batches: list[Batch]) -> list[dict[str, Any]]:
    """Post each batch again (4 at a time, one signed session per thread); the answers."""
    local = threading.local()

    def post(batch: Batch) -> dict[str, Any]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.auth = oauth(keys)
        answer = local.session.post(url, json=batch, timeout=30)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(post, batches))


def query(server: Server, keys: dict[str, Any], to: int) -> Any:
    answer = requests.get(
        activity_url(server.base_url, ACCOUNT),
        params={"timeframe": 60, "agentIds": "all", "v": 1, "to": to},
        auth=oauth(keys),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_sigkill_mid_ingest_loses_nothing_acknowledged_and_splits_no_batch(
    tmp_path: Path, server_factory: Callable[..., Server]
) -> None:
    to = now_ms()  # the fixed end of every query window; all events are before it
    base = to - 58 * MIN
    db_url = sqlite_url(tmp_path / "crash.db")
    keys = create_keys(db_url, ACCOUNT, cwd=tmp_path)
    server = server_factory(db_url)
    url = events_url(server.base_url, ACCOUNT)

    batches: dict[Key, Batch] = {}
    logs = [ClientLog() for _ in range(CLIENTS)]
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=ingest_loop,
            args=(c, url, keys, base, batches, stop, logs[c]),
            name=f"client-{c}",
        )
        for c in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(INGEST_S)
    assert server.running(), server.output()
    server.crash()
    crashed_at = time.monotonic()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()

    acknowledged = [key for log in logs for key in log.acknowledged]
    unknown = [key for log in logs for key in log.unknown]
    refused = [entry for log in logs for entry in log.refused]
    assert not refused, f"batches refused while ingesting: {refused[:3]}"
    assert not any(log.ran_out for log in logs), "a client ran out of batches before the crash"
    assert len(acknowledged) >= CLIENTS, "too few batches acknowledged to prove anything"
    assert unknown, "no request was in flight when the server was killed"

    restarted = server_factory(db_url)
    restart_s = time.monotonic() - crashed_at
    loaded_match = LOADED.search(restarted.stderr_path.read_text())
    assert loaded_match, restarted.output()
    loaded = int(loaded_match.group(1))

    # (c), first half: the figures right after the restart, before anything is re-posted.
    after_restart = query(restarted, keys, to)

    # (a) Every acknowledged event is stored, once: re-posting is all duplicates.
    url = events_url(restarted.base_url, ACCOUNT)
    answers = repost(url, keys, [batches[key] for key in acknowledged])
    lost = [
        (key, a)
        for key, a in zip(acknowledged, answers)
        if a != {"accepted": 0, "duplicates": BATCH_EVENTS}
    ]
    assert not lost, f"acknowledged batches not (or not wholly) stored: {lost[:3]}"

    # (b) A batch with no answer was stored whole or not at all.
    answers = repost(url, keys, [batches[key] for key in unknown])
    stored_unknown = []
    for key, answer in zip(unknown, answers):
        assert answer in (
            {"accepted": 0, "duplicates": BATCH_EVENTS},
            {"accepted": BATCH_EVENTS, "duplicates": 0},
        ), f"batch {key} was split by the crash: {answer}"
        if answer["duplicates"] == BATCH_EVENTS:
            stored_unknown.append(key)

    # Exactly the acknowledged batches and the unknown ones found stored were loaded.
    stored = acknowledged + stored_unknown
    assert loaded == BATCH_EVENTS * len(stored), (loaded, len(stored))

    # (c) The figures are those of exactly the stored events, before and after re-posting.
    assert after_restart == expected_answer([batches[key] for key in stored])
    every = acknowledged + unknown
    assert query(restarted, keys, to) == expected_answer([batches[key] for key in every])

    print(
        f"\ncrash test: {len(acknowledged)} batches acknowledged "
        f"({BATCH_EVENTS * len(acknowledged)} events) in {INGEST_S} s by {CLIENTS} clients; "
        f"{len(unknown)} batches of unknown fate, {len(stored_unknown)} of them found stored; "
        f"restart (crash to first answer, {loaded} events loaded) took {restart_s:.2f} s"
    )
