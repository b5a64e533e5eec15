"""HTTP ingest against the executemany ceilings, batch by batch in turn (paired).

    python -m bench.paired --agents 1000 [--runs 3]

On a machine others share, a rate measured a minute after another compares two
different machines: the load changes between them. Here every batch of 1,000 is posted
to the server (and acknowledged, durably), then the same rows are inserted with
`executemany` into the store's layout and into a plain table (each its own SQLite file,
WAL, synchronous=FULL, one transaction per batch), so that all three see the same load;
the ratios are of the summed times.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench import httpbench
from bench.ceiling import EVENT_ID_INDEX, INSERT, TABLE
from bench.data import Dataset, simulate


def _ceiling_db(path: Path, with_index: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(TABLE)
    if with_index:
        db.execute(EVENT_ID_INDEX)
    return db


def _insert(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> float:
    t0 = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.executemany(INSERT, rows)
    db.execute("COMMIT")
    return time.perf_counter() - t0


def run_once(ds: Dataset, workdir: Path) -> dict[str, float]:
    rows = [
        ("12345678", seq, e.event_id, e.agent_id, e.time, e.type, e.state)
        + (e.reason_id, e.chat_id, e.max_chats)
        for seq, e in enumerate(ds.events, start=1)
    ]
    batch = httpbench.BATCH
    bodies = [orjson.dumps(ds.raw[i : i + batch]) for i in range(0, len(ds.raw), batch)]
    layout = _ceiling_db(workdir / "layout.db", with_index=True)
    plain = _ceiling_db(workdir / "plain.db", with_index=False)
    http_s = layout_s = plain_s = 0.0
    with httpbench.serve(str(workdir)) as server:
        url = f"{server.base}/api/account/{httpbench.ACCOUNT}/events"
        headers = {"Content-Type": "application/json"}
        for i, body in enumerate(bodies):
            t0 = time.perf_counter()
            answer = server.session.post(url, data=body, headers=headers)
            http_s += time.perf_counter() - t0
            if answer.status_code != 200:
                raise RuntimeError(f"ingest answered {answer.status_code}: {answer.text[:300]}")
            chunk = rows[i * batch : (i + 1) * batch]
            layout_s += _insert(layout, chunk)
            plain_s += _insert(plain, chunk)
    layout.close()
    plain.close()
    n = len(rows)
    return {
        "http_events_per_s": n / http_s,
        "layout_events_per_s": n / layout_s,
        "plain_events_per_s": n / plain_s,
        "share_of_layout": layout_s / http_s,
        "share_of_plain": plain_s / http_s,
    }


def run(ds: Dataset, runs: int, workdir: Path) -> dict[str, Any]:
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            results.append(run_once(ds, Path(tmp)))
    medians = {k: statistics.median(r[k] for r in results) for k in results[0]}
    return {"agents": ds.agents, "events": len(ds.events), "runs": results, "median": medians}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paired", description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    ds = simulate(args.agents, args.hours, time.time_ns() // 1_000_000)
    with tempfile.TemporaryDirectory() as workdir:
        result = run(ds, args.runs, Path(workdir))
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
