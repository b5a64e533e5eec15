"""First numbers through HTTP: signed ingest rate and Q1-Q4 latency on a real server.

    .venv/bin/python bench/http_baseline.py --agents 1000 --hours 24

Starts `agentactivity serve` on a free loopback port with a fresh SQLite file, posts a
simulated day in OAuth1-signed batches of 1,000 (each acknowledged durably), then times
each query (median of --repeat runs, with a fixed `to`). Prints a table and JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from requests_oauthlib import OAuth1
from rich.console import Console
from rich.table import Table

from agentactivity.simulate import Simulator

ACCOUNT = "12345678"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str) -> str:
    exe = Path(sys.executable).with_name("agentactivity")
    return subprocess.run([str(exe), *args], check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    console = Console(stderr=True)

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        keys = json.loads(cli("keys", "create", "--account", ACCOUNT, "--db", db))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        exe = Path(sys.executable).with_name("agentactivity")
        server = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--db", db],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ},
        )
        try:
            session = requests.Session()
            session.auth = OAuth1(
                keys["appKey"], keys["appSecret"], keys["accessToken"], keys["accessTokenSecret"]
            )
            for _ in range(200):
                try:
                    session.get(f"{base}/api/account/1/service/leDataReporting/baseURI.json")
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            end = time.time_ns() // 1_000_000
            simulator = Simulator(
                agents=args.agents, seed=1, start_ms=end - int(args.hours * 3.6e6)
            )
            events = simulator.events_until(end)
            started = time.perf_counter()
            for i in range(0, len(events), 1000):
                answer = session.post(
                    f"{base}/api/account/{ACCOUNT}/events", json=events[i : i + 1000]
                )
                answer.raise_for_status()
            ingest_s = time.perf_counter() - started
            rows = [("ingest", f"{len(events)} events", f"{len(events) / ingest_s:,.0f} events/s")]
            results: dict[str, object] = {
                "events": len(events),
                "ingest_events_per_s": len(events) / ingest_s,
            }
            agents = ",".join(str(1001 + i) for i in range(50))
            queries = {
                "Q1": {"timeframe": 1440, "agentIds": "all"},
                "Q2": {"timeframe": 1440, "agentIds": "all", "interval": 60},
                "Q3": {"timeframe": 60, "agentIds": agents, "interval": 5},
                "Q4": {"timeframe": 1440, "agentIds": "1001"},
            }
            for name, params in queries.items():
                url = f"{base}/operations/api/account/{ACCOUNT}/agentactivity"
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    answer = session.get(url, params={**params, "v": 1, "to": end})
                    answer.raise_for_status()
                    times.append(time.perf_counter() - t0)
                median_ms = statistics.median(times) * 1000
                results[name] = {"median_ms": median_ms, "bytes": len(answer.content)}
                rows.append((name, json.dumps(params)[:60], f"{median_ms:.1f} ms"))
        finally:
            server.terminate()
            server.wait(timeout=30)

    table = Table(title=f"HTTP baseline, {args.agents} agents x {args.hours:g} h")
    for header in ("what", "input", "result"):
        table.add_column(header)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
