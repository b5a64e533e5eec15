"""HTTP ingest and Q1 against N real servers sharing one database.

    python -m bench.servers --agents 1000                      # one server, SQLite
    python -m bench.servers --agents 1000 --db postgresql://postgres@127.0.0.1:5432/postgres
    python -m bench.servers --agents 1000 --db postgresql://... --servers 2 \\
        --redis redis://127.0.0.1:6379/14

On PostgreSQL the run gets a fresh schema `bench_<random>` (named in the URL's
search_path, as tests/store/conftest.py does), dropped afterwards. Ingest: signed
batches of 1,000, posted one after the other by one client, batch i to server
i mod N, each acknowledged (durably) before the next. Q1: one warm-up per server, then
signed GETs alternating between servers; every answer must equal the first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import orjson

from bench import httpbench
from bench.data import http_params, queries, simulate


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL of a new, empty schema of the PostgreSQL database at `url`; dropped on exit."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')


def ingest(servers: list[httpbench.Server], raw: list[dict[str, Any]]) -> tuple[float, int]:
    """Signed batches of 1,000, one after the other, batch i to server i mod N."""
    bodies = [
        orjson.dumps(raw[i : i + httpbench.BATCH]) for i in range(0, len(raw), httpbench.BATCH)
    ]
    headers = {"Content-Type": "application/json"}
    accepted = 0
    started = time.perf_counter()
    for i, body in enumerate(bodies):
        server = servers[i % len(servers)]
        url = f"{server.base}/api/account/{httpbench.ACCOUNT}/events"
        answer = server.session.post(url, data=body, headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"ingest answered {answer.status_code}: {answer.text[:500]}")
        accepted += answer.json()["accepted"]
    return time.perf_counter() - started, accepted


def run(args: argparse.Namespace) -> dict[str, Any]:
    end = time.time_ns() // 1_000_000
    ds = simulate(args.agents, args.hours, end)
    params = http_params(queries(end)["Q1"])
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        db = stack.enter_context(fresh_schema(args.db)) if args.db else None
        db = db or f"sqlite:///{tmp}/bench.db"
        keys = httpbench.create_keys(db)
        servers = [
            stack.enter_context(
                httpbench.serve(tmp, db=db, redis=args.redis, keys=keys, name=f"server{i}")
            )
            for i in range(args.servers)
        ]
        seconds, accepted = ingest(servers, ds.raw)
        if accepted != len(ds.raw):
            raise RuntimeError(f"{accepted} of {len(ds.raw)} events accepted")
        reference = orjson.loads(servers[0].query(params)[1])
        for server in servers[1:]:  # warm-up of the others (catch-up read)
            if orjson.loads(server.query(params)[1]) != reference:
                raise RuntimeError("servers disagree on Q1")
        times = []
        for i in range(args.repeat):
            elapsed, body = servers[i % len(servers)].query(params)
            if orjson.loads(body) != reference:
                raise RuntimeError("servers disagree on Q1")
            times.append(elapsed)
    return {
        "agents": args.agents,
        "hours": args.hours,
        "events": len(ds.raw),
        "db": "postgresql" if args.db else "sqlite",
        "servers": args.servers,
        "redis": bool(args.redis),
        "ingest_s": seconds,
        "ingest_events_per_s": accepted / seconds,
        "q1_http_median_ms": statistics.median(times) * 1000,
        "q1_http_runs": len(times),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.servers", description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--db", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--servers", type=int, default=1, help="servers on the database (1)")
    parser.add_argument("--redis", default=None, help="redis://... (required when N > 1)")
    parser.add_argument("--repeat", type=int, default=20, help="timed Q1 runs (20)")
    args = parser.parse_args(argv)
    if args.servers < 1:
        parser.error("--servers must be at least 1")
    if args.servers > 1 and not (args.db and args.redis):
        parser.error("--servers N > 1 needs --db postgresql://... and --redis redis://...")
    json.dump(run(args), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
