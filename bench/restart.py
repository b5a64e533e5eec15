"""Restart time: how long `agentactivity serve` takes to answer `/readyz` with 200 on a
store holding a week, with an engine snapshot and without (a full rebuild).

    python -m bench.restart --agents 10000          # the issue's case: 10.6 M events
    python -m bench.restart --agents 300 --hours 24 # a quick look
    python -m bench.restart --agents 1000 --db postgresql://postgres@127.0.0.1/empty

Steps: simulate `--hours` (default 167) of `--agents` agents ending now, straight into a
fresh SQLite file, hour by hour (constant memory); start `serve --no-snapshot`, time to
`/readyz` 200 (the rebuild), stop it; start `serve` (snapshots beside the file): a
rebuild again, after which it writes the snapshot (its size and write time are read
from its log line); stop it; start `serve` again and time `/readyz` (the snapshot).
Q1 is asked of both the rebuilt and the restored server and must be equal. With `--db`
(an empty PostgreSQL database) the same steps run there, the snapshots in the working
folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from agentactivity.events import parse_event
from agentactivity.simulate import Simulator
from agentactivity.store import open_store
from bench import httpbench
from bench.data import ANY_TIME, FIRST_AGENT, HOUR_MS, SEED, http_params, queries

WRITTEN = re.compile(
    r"snapshot of seq (\d+) written \(([\d.]+) MB\) in ([\d.]+) s, the engine held ([\d.]+) s"
)
LOADED = re.compile(r"loaded the snapshot of seq \d+ .* in ([\d.]+) s")
BATCH = 20_000


def fill(db: str, agents: int, hours: float, end: int, advance: Callable[[int], None]) -> int:
    """Simulated events into the store, an hour at a time; returns how many."""
    store = open_store(db)
    simulator = Simulator(
        agents=agents, seed=SEED, start_ms=end - int(hours * HOUR_MS), first_agent_id=FIRST_AGENT
    )
    total = 0
    try:
        steps = max(1, int(hours))
        for h in range(1, steps + 1):
            until = end if h == steps else end - int(hours * HOUR_MS) + h * HOUR_MS
            raw = simulator.events_until(until)
            for i in range(0, len(raw), BATCH):
                events = [parse_event(obj, ANY_TIME) for obj in raw[i : i + BATCH]]
                total += store.append(httpbench.ACCOUNT, events).accepted
            advance(1)
    finally:
        store.close()
    return total


def start(
    workdir: Path, db: str, name: str, extra: list[str]
) -> tuple[subprocess.Popen[bytes], str, Path, float]:
    """`serve` started; returns it, its base URL, its log and the seconds to /readyz 200."""
    port = httpbench.free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = workdir / f"{name}.log"
    env = {**os.environ, "AGENTACTIVITY_PRUNE_INTERVAL_SECONDS": "86400"}
    command = [httpbench._exe(), "serve", "--port", str(port), "--db", db, *extra]
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
    try:
        while True:
            try:
                if requests.get(f"{base}/readyz", timeout=60).status_code == 200:
                    return process, base, log_path, time.perf_counter() - started
            except requests.ConnectionError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"serve stopped:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.05)
    except BaseException:
        stop(process)
        raise


def stop(process: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    process.terminate()
    process.wait(timeout=600)
    return time.perf_counter() - started


def q1(base: str, keys: dict[str, str], end: int) -> bytes:
    from requests_oauthlib import OAuth1

    auth = OAuth1(keys["appKey"], keys["appSecret"], keys["accessToken"], keys["accessTokenSecret"])
    url = f"{base}/operations/api/account/{httpbench.ACCOUNT}/agentactivity"
    answer = requests.get(url, params=http_params(queries(end)["Q1"]), auth=auth, timeout=600)
    answer.raise_for_status()
    return answer.content


def wait_for_write(log_path: Path, timeout_s: float = 900) -> re.Match[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = WRITTEN.search(log_path.read_text(errors="replace"))
        if found:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"no snapshot was written:\n{log_path.read_text()[-2000:]}")


def run(
    agents: int,
    hours: float,
    advance: Callable[[int], None] | None = None,
    keep: Path | None = None,
    db_url: str | None = None,
) -> dict[str, Any]:
    """The measures; `keep`: a folder to work in and leave behind (the servers' logs);
    `db_url`: an empty database to fill (default: a new SQLite file there)."""
    end = time.time_ns() // 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        workdir = keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        db = db_url or f"sqlite:///{workdir}/restart.db"
        if not db.startswith("sqlite"):
            os.environ["AGENTACTIVITY_SNAPSHOT_DIR"] = str(workdir / "snapshots")
        filled = time.perf_counter()
        events = fill(db, agents, hours, end, advance or (lambda n: None))
        filled = time.perf_counter() - filled
        keys = httpbench.create_keys(db)

        process, _, _, rebuild_s = start(workdir, db, "rebuild", ["--no-snapshot"])
        stop(process)
        process, base, log_path, first_s = start(workdir, db, "first", [])
        try:
            written = wait_for_write(log_path)
            rebuilt_answer = q1(base, keys, end)
        finally:
            stop(process)
        process, base, log_path, snapshot_s = start(workdir, db, "restored", [])
        try:
            restored_answer = q1(base, keys, end)
        finally:
            stop(process)
        loaded = LOADED.search(log_path.read_text(errors="replace"))
        if loaded is None:
            raise RuntimeError("the restart did not load the snapshot")
        if restored_answer != rebuilt_answer:
            raise RuntimeError("Q1 after the restart differs from Q1 after the rebuild")
    return {
        "agents": agents,
        "hours": hours,
        "backend": "SQLite" if db.startswith("sqlite") else "PostgreSQL",
        "events": events,
        "fill_s": filled,
        "ready_rebuild_s": rebuild_s,
        "ready_first_start_s": first_s,
        "ready_snapshot_s": snapshot_s,
        "snapshot_read_s": float(loaded.group(1)),
        "load_average_1min": os.getloadavg()[0],
        "snapshot_mb": float(written.group(2)),
        "snapshot_write_s": float(written.group(3)),
        "snapshot_engine_held_s": float(written.group(4)),
    }


def table(result: dict[str, Any]) -> tuple[str, list[str], list[list[str]]]:
    """The restart measures as one table of the report (bench/report.py)."""
    title = (
        f"Restart to /readyz 200: {result['agents']:,} agents x {result['hours']:g} h "
        f"({result['events']:,} events, {result.get('backend', 'SQLite')})"
    )
    rows = [
        ["without a snapshot (full rebuild)", f"{result['ready_rebuild_s']:.1f} s"],
        ["with the snapshot", f"{result['ready_snapshot_s']:.1f} s"],
        ["  of which reading, checking and thawing it", f"{result['snapshot_read_s']:.1f} s"],
        ["snapshot size", f"{result['snapshot_mb']:,.0f} MB"],
        ["snapshot write (background)", f"{result['snapshot_write_s']:.1f} s"],
        ["  of which the engine was held", f"{result['snapshot_engine_held_s']:.2f} s"],
    ]
    return title, ["measure", "value"], rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.restart", description=__doc__)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--hours", type=float, default=167)
    parser.add_argument(
        "--keep", type=Path, default=None, help="work in this new folder and keep it (logs)"
    )
    parser.add_argument(
        "--db", default=None, help="an empty database to use (default: a new SQLite file)"
    )
    args = parser.parse_args(argv)
    from rich.progress import Progress

    with Progress() as progress:
        task = progress.add_task("simulating into the store (hours)", total=max(1, int(args.hours)))
        advance = lambda n: progress.advance(task, n)  # noqa: E731
        result = run(args.agents, args.hours, advance, args.keep, args.db)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
