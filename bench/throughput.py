"""Q1 throughput: requests per second that `serve --workers N` answers to concurrent
signed clients, for several N on one SQLite file.

    python -m bench.throughput --agents 1000 --workers 1,2,4 [--clients 4 --seconds 8]

The events are ingested once (over HTTP, by a one-process server); then, for each N, a
server with N workers starts on that database, every worker is warmed up (its first Q1
packs the engine), and `--clients` client processes send Q1 (`agentIds=all
timeframe=1440`, fixed `to`) back to back for `--seconds`, each request signed with a
fresh nonce and sent on a new connection (so the kernel spreads them over the workers).
Every answer is checked byte for byte against the first one. The clients run on the
same machine as the server and share its cores, so the server's CPU time per request
(all its processes, from /proc) is reported too: it does not depend on how busy the
machine is, the requests per second do.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from requests_oauthlib import OAuth1

from bench import httpbench
from bench.data import Dataset, http_params, queries, simulate

WARM_UP_TRIES = 200


def _auth(keys: dict[str, str]) -> OAuth1:
    return OAuth1(keys["appKey"], keys["appSecret"], keys["accessToken"], keys["accessTokenSecret"])


def _get(url: str, params: dict[str, Any], keys: dict[str, str]) -> requests.Response:
    # requests.get opens a new connection for every call (no session is kept).
    answer = requests.get(url, params=params, auth=_auth(keys), timeout=60)
    if answer.status_code != 200:
        raise RuntimeError(f"Q1 answered {answer.status_code}: {answer.text[:300]}")
    return answer


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        pending += [int(child) for child in children]
    return total


def client(
    url: str,
    params: dict[str, Any],
    keys: dict[str, str],
    expected: bytes,
    start_at: float,
    seconds: float,
    results: Any,
) -> None:
    """Send Q1 back to back from `start_at` (wall clock) for `seconds`; report."""
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    served: Counter[str] = Counter()
    wrong = 0
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        answer = _get(url, params, keys)
        latencies.append(time.perf_counter() - t0)
        wrong += answer.content != expected
        served[answer.headers.get("X-Served-By", "single")] += 1
    results.put({"latencies": latencies, "served": dict(served), "wrong": wrong})


def measure(
    db: str,
    keys: dict[str, str],
    params: dict[str, Any],
    workers: int,
    clients: int,
    seconds: float,
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        httpbench.serve(tmp, db=db, keys=keys, name=f"workers{workers}", workers=workers) as server,
    ):
        url = f"{server.base}/operations/api/account/{httpbench.ACCOUNT}/agentactivity"
        # Warm-up: every worker answers Q1 once (its first answer packs the engine).
        bodies: dict[str, bytes] = {}
        for _ in range(WARM_UP_TRIES):
            answer = _get(url, params, keys)
            bodies.setdefault(answer.headers.get("X-Served-By", "single"), answer.content)
            if len(bodies) == workers:
                break
        else:
            raise RuntimeError(f"only {len(bodies)} of {workers} workers answered the warm-up")
        if len(set(bodies.values())) != 1:
            raise RuntimeError("workers disagree on Q1")
        expected = next(iter(bodies.values()))
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        start_at = time.time() + 2.0  # every client process is up by then
        processes = [
            context.Process(
                target=client, args=(url, params, keys, expected, start_at, seconds, queue)
            )
            for _ in range(clients)
        ]
        for process in processes:
            process.start()
        time.sleep(max(0.0, start_at - time.time()))
        cpu_before = process_tree_cpu_s(server.process.pid)
        reports = [queue.get(timeout=seconds + 120) for _ in processes]
        server_cpu_s = process_tree_cpu_s(server.process.pid) - cpu_before
        for process in processes:
            process.join()
    latencies = [x for r in reports for x in r["latencies"]]
    served: Counter[str] = Counter()
    for r in reports:
        served.update(r["served"])
    wrong = sum(r["wrong"] for r in reports)
    if wrong:
        raise RuntimeError(f"{wrong} answers differ from the first one")
    return {
        "workers": workers,
        "clients": clients,
        "seconds": seconds,
        "requests": len(latencies),
        "requests_per_s": len(latencies) / seconds,
        "median_ms": statistics.median(latencies) * 1000,
        "p90_ms": statistics.quantiles(latencies, n=10)[-1] * 1000,
        "answers_per_worker": sorted(served.values(), reverse=True),
        "server_cpu_ms_per_request": server_cpu_s * 1000 / max(1, len(latencies)),
        "server_cores_used": server_cpu_s / seconds,
        "answer_bytes": len(expected),
    }


def run(
    ds: Dataset, workers: list[int], clients: int, seconds: float, workdir: Path
) -> dict[str, Any]:
    """Ingest `ds` once, then measure Q1 throughput for each worker count."""
    params = http_params(queries(ds.end)["Q1"])
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        db = f"sqlite:///{tmp}/throughput.db"
        keys = httpbench.create_keys(db)
        with httpbench.serve(tmp, db=db, keys=keys, name="loader") as loader:
            _, accepted = loader.ingest(ds.raw)
        if accepted != len(ds.raw):
            raise RuntimeError(f"{accepted} of {len(ds.raw)} events accepted")
        runs = [measure(db, keys, params, n, clients, seconds) for n in workers]
    base = runs[0]["requests_per_s"]
    for r in runs:
        r["speedup"] = r["requests_per_s"] / base
    return {"agents": ds.agents, "events": len(ds.raw), "query": "Q1", "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--workers", default="1,2,4", help="worker counts (1,2,4)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (4)")
    parser.add_argument("--seconds", type=float, default=8.0, help="per worker count (8)")
    args = parser.parse_args(argv)
    end = time.time_ns() // 1_000_000
    ds = simulate(args.agents, args.hours, end)
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as workdir:
        result = run(ds, counts, args.clients, args.seconds, Path(workdir))
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
