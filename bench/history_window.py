"""Two windows (SPEC section 9): what the history costs a server, and what an old window
costs a query.

    python -m bench.history_window memory --agents 200 --days 7 --end 1764064800000
    python -m bench.history_window ingest --agents 200 --days 60 --end 1764064800000
    python -m bench.history_window past --agents 1000 --days 31 --db postgresql://...

Every store holds the same simulated day (`--agents`, seed 1) repeated `--days` times,
each copy moved by whole days and given its own event ids, so that 7 and 60 days are
exactly the same daily load. `memory` loads a server's engine from such a store in a
fresh process, answers one Q1, collects garbage and prints the resident size; `ingest`
times fresh events stored and applied through the service (batches of 1,000, each
durable) on a 7-day and a `--days` store, batch by batch in turn; `past` times Q1 (all
agents, 24 h) ending `--back` days ago, read from the store, against the same Q1 over
the live window. Each prints one JSON object.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentactivity.clock import DAY_MS
from agentactivity.events import Event, TimeBounds, parse_batch
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.simulate import Simulator
from agentactivity.store import Store, open_store
from bench.memory import rss_bytes

ACCOUNT = "bench"
BATCH = 10_000


def one_day(agents: int, day_end: int) -> list[Event]:
    """A simulated day of `agents` agents ending at `day_end`, validated."""
    raw = Simulator(agents=agents, seed=1, start_ms=day_end - DAY_MS).events_until(day_end)
    events, problems = parse_batch(raw, TimeBounds(-(2**62), 2**62))
    assert not problems, problems[:3]
    return events


def fill(store: Store, agents: int, days: int, end: int) -> int:
    """`days` copies of one simulated day, the last one ending at `end`, oldest first."""
    day = one_day(agents, end)
    stored = 0
    for back in range(days - 1, -1, -1):
        shift = back * DAY_MS
        copy = [
            dataclasses.replace(e, time=e.time - shift, event_id=f"{e.event_id}-d{back}")
            for e in day
        ]
        for i in range(0, len(copy), BATCH):
            stored += store.append(ACCOUNT, copy[i : i + BATCH]).accepted
    return stored


def service_on(url: str, end: int) -> ActivityService:
    settings = Settings(db_url=url, retention_days=7, history_days=400)
    return ActivityService(open_store(url), settings, clock=lambda: end)


def q1(to: int) -> ActivityQuery:
    return ActivityQuery(1440, None, 1, None, to, False)


def memory(agents: int, days: int, end: int, url: str) -> dict[str, Any]:
    """RSS of a fresh process whose engine was loaded from a store of `days` days."""
    store = open_store(url)
    stored = fill(store, agents, days, end)
    store.close()
    cmd = [sys.executable, "-m", "bench.history_window", "load", "--db", url, "--end", str(end)]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=root)
    return {"agents": agents, "days": days, "stored": stored, **json.loads(done.stdout)}


def load(end: int, url: str) -> dict[str, Any]:
    """In this process: RSS before and after loading the engine and answering one Q1."""
    gc.collect()
    before = rss_bytes()
    service = service_on(url, end)
    loaded = service.load()
    service.agent_activity_json(ACCOUNT, q1(end), end)
    gc.collect()
    # Memory freed by the load (the rows read) goes back to the system, as it would
    # in a serving process over time; what remains is what the server holds.
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    after = rss_bytes()
    service.store.close()
    return {"loaded": loaded, "rss_before_load": before, "rss": after}


def ingest(agents: int, days: list[int], end: int, folder: Path) -> dict[str, Any]:
    """Fresh events per second stored and applied, on stores of each of `days` days;
    batch by batch in turn (the same fresh batch to each store), so that a busy
    machine weighs on all alike."""
    services = {}
    for count in days:
        url = f"sqlite:///{folder / f'ingest-{count}.db'}"
        store = open_store(url)
        fill(store, agents, count, end - DAY_MS)  # the fresh day comes after these
        store.close()
        services[count] = service_on(url, end)
        services[count].load()
    fresh = [dataclasses.replace(e, event_id=f"{e.event_id}-fresh") for e in one_day(agents, end)]
    spent = dict.fromkeys(days, 0.0)
    for i in range(0, len(fresh), 1000):
        for count, service in services.items():
            started = time.perf_counter()
            service.ingest(ACCOUNT, fresh[i : i + 1000])
            spent[count] += time.perf_counter() - started
    for service in services.values():
        service.store.close()
    rates = {f"{count}d_events_per_s": len(fresh) / spent[count] for count in days}
    return {"agents": agents, "events": len(fresh), **rates}


def past(agents: int, days: int, back: int, end: int, url: str, runs: int) -> dict[str, Any]:
    """Median ms of Q1 ending `back` days ago (read from the store) and of the live Q1."""
    store = open_store(url)
    stored = fill(store, agents, days, end)
    store.close()
    service = service_on(url, end)
    service.load()
    out: dict[str, Any] = {"agents": agents, "days": days, "back": back, "stored": stored}
    for name, to in (("past", end - back * DAY_MS), ("live", end)):
        answer = service.agent_activity_json(ACCOUNT, q1(to), end)  # warm-up
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            service.agent_activity_json(ACCOUNT, q1(to), end)
            timings.append((time.perf_counter() - started) * 1000)
        out[f"{name}_q1_ms"] = statistics.median(timings)
        out[f"{name}_answer_bytes"] = len(answer)
    service.store.close()
    return out


def in_subprocess(what: str, *args: str) -> dict[str, Any]:
    """One measure in a fresh process (a clean heap for each)."""
    cmd = [sys.executable, "-m", "bench.history_window", what, *args]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=root)
    return dict(json.loads(done.stdout))


def run_all(end: int, postgres_url: str | None) -> dict[str, Any]:
    """Every measure of docs/performance.md's History section; PostgreSQL (an empty
    database, emptied between measures) only if a URL is given."""
    at = ("--end", str(end))
    out: dict[str, Any] = {}
    for days in (7, 60):
        out[f"memory_{days}d"] = in_subprocess(
            "memory", "--agents", "200", "--days", str(days), *at
        )
    out["memory_ratio"] = out["memory_60d"]["rss"] / out["memory_7d"]["rss"]
    # One run measures both stores, batch by batch in turn (see `ingest`).
    out["ingest"] = in_subprocess("ingest", "--agents", "200", "--days", "60", *at)
    out["ingest_ratio"] = out["ingest"]["60d_events_per_s"] / out["ingest"]["7d_events_per_s"]
    past_args = ("--agents", "1000", "--days", "31", "--back", "30", *at)
    out["past_sqlite"] = in_subprocess("past", *past_args)
    if postgres_url:
        empty(postgres_url)
        out["past_postgresql"] = in_subprocess("past", *past_args, "--db", postgres_url)
        empty(postgres_url)
    return out


def empty(url: str) -> None:
    """Drop every table of the database's public schema (a bench database only)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["memory", "load", "ingest", "past"])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--back", type=int, default=30, help="past: days before --end")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--end", type=int, default=None, help="epoch ms (default: now)")
    parser.add_argument("--db", default=None, help="postgresql://... (empty; default: SQLite)")
    args = parser.parse_args()
    end = args.end or time.time_ns() // 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'history.db'}"
        if args.what == "load":
            print(json.dumps(load(end, url)))
            return
        if args.what == "memory":
            result = memory(args.agents, args.days, end, url)
        elif args.what == "ingest":
            result = ingest(args.agents, [7, args.days], end, Path(folder))
        else:
            result = past(args.agents, args.days, args.back, end, url, args.runs)
    result["db"] = "postgresql" if args.db else "sqlite"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
