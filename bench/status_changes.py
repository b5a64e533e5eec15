"""The Status Changes API's pages, and what keeping its records costs the ingest.

    python -m bench.status_changes [--agents 1000] [--days 31] [--db URL] [--runs 7]

1. A month of shifts for `--agents` agents (each day: a login, state and Away reason
   changes, a logout; about 20 records per agent and day) stored through the store's
   append in batches of 10,000 in time order, as an ingest or an import would.
2. A `--days`-day v2 page of 5,000 records at offsets 0, the middle and the last page,
   read as the API does (service: store page, directory fields, reason texts) and
   encoded as JSON; then the same offsets with a plain SQL OFFSET over the primary key
   (no hourly counts), for comparison; and a v1 page of 100 agents.
3. Ingest with and without the projection: a simulated day (chats included) appended
   into two new stores, one with the records kept and one without, best of `--runs`.

Without `--db`, SQLite files in a temporary folder; a postgresql:// URL should name an
empty database or schema (tables are created there, accounts "bench" and "ingest-*").
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from agentactivity.clock import DAY_MS, HOUR_MS, MINUTE_MS
from agentactivity.events import Event
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.status_changes import StatusQuery
from agentactivity.store import Store, open_store, status_projection
from bench.data import simulate

ACCOUNT = "bench"
BATCH = 10_000
FIRST_AGENT = 1001
REASONS = ("101", "102", "103", "104")
STATES = ("ONLINE", "ONLINE", "ONLINE", "BACK_SOON", "AWAY")


def shifts(agents: int, days: int, end: int, seed: int = 1) -> Iterator[Event]:
    """Each agent's day: login between 06:00 and 10:00, 16 changes of state or reason
    about every half hour, logout; events of all agents in time order."""
    rng = random.Random(seed)
    day0 = end - end % DAY_MS - days * DAY_MS
    for day in range(days):
        events: list[Event] = []
        for agent in range(FIRST_AGENT, FIRST_AGENT + agents):
            t = day0 + day * DAY_MS + 6 * HOUR_MS + rng.randrange(4 * HOUR_MS)
            current: tuple[str, str | None] = ("ONLINE", None)
            events.append(Event("state", agent, t, f"{agent}-{t}-in", "ONLINE"))
            for n in range(16):
                t += rng.randrange(10 * MINUTE_MS, 50 * MINUTE_MS)
                state: str = "ONLINE"
                reason: str | None = None
                while (state, reason) == current:
                    state = rng.choice(STATES)
                    reason = rng.choice(REASONS) if state == "AWAY" else None
                current = (state, reason)
                events.append(Event("state", agent, t, f"{agent}-{t}-{n}", state, reason))
            t += rng.randrange(MINUTE_MS, 30 * MINUTE_MS)
            events.append(Event("state", agent, t, f"{agent}-{t}-out", "OFFLINE"))
        events.sort(key=lambda event: event.time)
        yield from events


def fill(store: Store, events: Iterator[Event]) -> tuple[int, float]:
    """Append in batches of BATCH; (events, seconds)."""
    count, seconds, batch = 0, 0.0, []
    for event in events:
        batch.append(event)
        if len(batch) == BATCH:
            t0 = time.perf_counter()
            store.append(ACCOUNT, batch)
            seconds += time.perf_counter() - t0
            count, batch = count + len(batch), []
    if batch:
        t0 = time.perf_counter()
        store.append(ACCOUNT, batch)
        seconds += time.perf_counter() - t0
        count += len(batch)
    return count, seconds


def best_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def plain_offset(store: Store, start: int, end: int, offset: int) -> Callable[[], object]:
    """A page with SQL's OFFSET over the primary key alone (what the hourly counts avoid)."""
    adapter = store._adapter  # type: ignore[attr-defined]

    def read() -> object:
        with adapter.read() as sql:
            return sql(
                "SELECT agent_id, time, session_id, sequence_number, status_type, "
                "status_sub_type, reason_id, prev_time FROM status_changes WHERE "
                "account_id = ? AND time >= ? AND time < ? "
                "ORDER BY time, agent_id, event_seq, part LIMIT ? OFFSET ?",
                (ACCOUNT, start, end, 5000, offset),
            )

    return read


def pages(url: str, agents: int, days: int, runs: int) -> dict[str, Any]:
    end = (time.time_ns() // 1_000_000) // DAY_MS * DAY_MS
    store = open_store(url)
    out: dict[str, Any] = {"agents": agents, "days": days}
    try:
        count, seconds = fill(store, shifts(agents, days + 1, end))
        out["fill"] = {"events": count, "seconds": round(seconds, 1)}
        settings = Settings(db_url=url, history_days=days + 30)
        service = ActivityService(store, settings, clock=lambda: end)
        start = end - days * DAY_MS
        first = service.status_changes(ACCOUNT, StatusQuery("bench", 2, start, end, 5000, 0))
        total = first.total
        out["records_in_range"] = total
        offsets = {"0": 0, "middle": total // 2, "last": (total - 1) // 5000 * 5000}
        for name, offset in offsets.items():
            query = StatusQuery("bench", 2, start, end, 5000, offset)

            def page(query: StatusQuery = query) -> bytes:
                return service.status_changes(ACCOUNT, query).items_json

            def store_only(offset: int = offset) -> object:
                return store.status_changes.page(ACCOUNT, start, end, None, offset, 5000)

            plain = plain_offset(store, start, end, offset)
            out[f"v2_offset_{name}"] = {
                "offset": offset,
                "page_ms": round(median_ms(page, runs), 1),
                "store_ms": round(median_ms(store_only, runs), 1),
                "plain_offset_ms": round(median_ms(plain, runs), 1),
            }
        v1 = StatusQuery("bench", 1, start, end, 100, agents // 2)
        out["v1_100_agents_ms"] = round(
            median_ms(lambda: service.status_changes(ACCOUNT, v1).items_json, runs), 1
        )
    finally:
        store.close()
    return out


@contextmanager
def projection(kept: bool) -> Iterator[None]:
    if kept:
        yield
    else:
        with mock.patch.object(status_projection, "project", lambda *args: None):
            yield


def ingest(url_of: Callable[[str], str], runs: int, agents: int) -> dict[str, Any]:
    """Events/s of append with and without the projection, on a simulated day."""
    end = (time.time_ns() // 1_000_000) // HOUR_MS * HOUR_MS
    events = simulate(agents, 24, end).events
    rates: dict[str, list[float]] = {"without": [], "with": []}
    for run in range(runs):
        for name in ("without", "with"):
            store = open_store(url_of(f"{name}{run}"))
            try:
                with projection(name == "with"):
                    account = f"ingest-{name}-{run}"
                    t0 = time.perf_counter()
                    for i in range(0, len(events), BATCH):
                        store.append(account, events[i : i + BATCH])
                    rates[name].append(len(events) / (time.perf_counter() - t0))
            finally:
                store.close()
    best = {name: max(values) for name, values in rates.items()}
    return {
        "events": len(events),
        "events_per_s_without": round(best["without"]),
        "events_per_s_with": round(best["with"]),
        "ratio": round(best["with"] / best["without"], 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--db", help="a postgresql:// URL (default: SQLite files)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            url = args.db
            url_of: Callable[[str], str] = lambda name: args.db  # noqa: E731
        else:
            url = f"sqlite:///{Path(tmp) / 'pages.db'}"
            url_of = lambda name: f"sqlite:///{Path(tmp) / name}.db"  # noqa: E731
        results: dict[str, Any] = {"backend": "postgresql" if args.db else "sqlite"}
        results["pages"] = pages(url, args.agents, args.days, args.runs)
        if not args.skip_ingest:
            results["ingest"] = ingest(url_of, max(1, args.runs // 2), args.agents)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
