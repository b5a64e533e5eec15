"""What loading an account's directory costs: `ActivityService.directory` on a cold
cache, and a call that finds its snapshot current.

    python -m bench.directory_load [--users 10000] [--groups 50] [--db URL]

Without `--db`, a new SQLite file in a temporary folder; a postgresql:// URL should
name an empty database or schema (the users are created in account "bench").
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from agentactivity.directory import AgentGroup, User
from agentactivity.directory_items import Change
from agentactivity.service.directory import DirectoryCache
from agentactivity.store import Store, open_store

ACCOUNT = "bench"
BATCH = 1000  # the API's per-request cap


def fill(store: Store, users: int, groups: int) -> None:
    directory = store.directory
    directory.groups.create(
        ACCOUNT, [Change(AgentGroup("", f"Team {n}", "-1")) for n in range(groups)]
    )
    for start in range(0, users, BATCH):
        batch = [
            Change(
                User(
                    1000 + n,
                    f"agent{n}@example.com",
                    f"Agent {n}",
                    f"A{n}",
                    f"E-{n}",
                    max_chats=3,
                    skill_ids=(1, 2),
                    group_id=str(1 + n % groups),
                    external_ids=(("genesys", f"g-{n}"),),
                )
            )
            for n in range(start, min(start + BATCH, users))
        ]
        directory.users.create(ACCOUNT, batch)


def measure(store: Store, rounds: int = 5, calls: int = 1000) -> dict[str, float]:
    cold = []
    for _ in range(rounds):
        cache = DirectoryCache(store)  # a new process's cache: nothing held yet
        started = time.perf_counter()
        cache.snapshot(ACCOUNT)
        cold.append(time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(calls):
        cache.snapshot(ACCOUNT)
    current = (time.perf_counter() - started) / calls
    return {
        "cold_best_s": round(min(cold), 3),
        "cold_median_s": round(statistics.median(cold), 3),
        "current_call_us": round(current * 1e6, 1),
    }


def run(users: int = 10_000, groups: int = 50, db: str | None = None) -> dict[str, float]:
    """Fill a directory of `users` in `groups`, then measure its loads (make bench runs
    this on a new SQLite file)."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(db or f"sqlite:///{Path(folder) / 'directory.db'}")
        try:
            fill(store, users, groups)
            return {"users": users, "groups": groups, **measure(store)}
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--db", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    print(json.dumps(run(args.users, args.groups, args.db)))


if __name__ == "__main__":
    main()
