"""The answers against their floor, end to end over HTTP (SPEC 11, "Speed").

    python -m bench.floor --agents 1000,10000 [--runs 30] [--keep DIR]

The floor of an answer is what no server can avoid for it, measured in the same run:
the same client's round trip to `/healthz` (one request's fixed cost: the client, the
connection, the HTTP parser, the signing the client does for every request) plus
`orjson.dumps` of the answer. Every run asks `/healthz` and then each query, one after
the other (the small ones first, then an untimed request: the server frees a big answer
while it reads the next request), so that the load of a shared machine weighs on all
alike; the ratio of a query is its median over the floor's (`ratio`), and the median of
the ratios of each run taken alone (`paired_ratio`).

Also measured: the bare round trip (`/healthz` from a client that does not sign), and
what gzip would cost Q2 (the server does not compress: see docs/performance.md): zlib at
level 1 over the answer in the server plus its decompression in the client, added to
Q2's time as an estimate (`Q2 gzip`; the transfer of fewer bytes on loopback saves
almost nothing).

`make bench` runs this on the server it has filled (bench/steps.py); alone, it simulates
the day, fills a server and measures. `--keep DIR` keeps the filled SQLite file there
and reuses it on the next run (the simulation's end is kept beside it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import requests

from bench import httpbench
from bench.data import QUERY_TEXT, http_params, queries, simulate

IDENTITY = {"Accept-Encoding": "identity"}
GZIP_WBITS = 31  # a gzip stream


def _gzip(body: bytes) -> tuple[bytes, float]:
    """The body gzipped at level 1 (the fastest), and the seconds it took (best of 3)."""
    best, packed = float("inf"), b""
    for _ in range(3):
        t0 = time.perf_counter()
        packer = zlib.compressobj(1, zlib.DEFLATED, GZIP_WBITS)
        packed = packer.compress(body) + packer.flush()
        best = min(best, time.perf_counter() - t0)
    return packed, best


def _timed(fn: Callable[[], requests.Response]) -> tuple[float, requests.Response]:
    t0 = time.perf_counter()
    answer = fn()
    answer.content  # noqa: B018 (read the whole body inside the timing)
    return time.perf_counter() - t0, answer


def _dumps_s(answer: Any) -> float:
    t0 = time.perf_counter()
    orjson.dumps(answer)
    return time.perf_counter() - t0


def measure(
    server: httpbench.Server,
    end: int,
    names: tuple[str, ...] = ("Q4", "Q1", "Q2"),
    runs: int = 30,
    budget_s: float = 60.0,
    advance: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Round trips and the queries `names`, in turn, `runs` times (fewer once `budget_s`
    is spent, at least 5); see the module's docstring."""
    session = server.session
    bare = requests.Session()
    healthz = f"{server.base}/healthz"
    url = f"{server.base}/operations/api/account/{httpbench.ACCOUNT}/agentactivity"
    qs = queries(end)
    params = {name: http_params(qs[name]) for name in names}
    times: dict[str, list[float]] = {k: [] for k in ("healthz", "bare", *names)}
    sizes: dict[str, int] = {}
    dumps: dict[str, list[float]] = {name: [] for name in names}
    decoded: dict[str, Any] = {}
    started = time.perf_counter()
    first: dict[str, float] = {}
    for run in range(runs + 1):  # the first run warms up
        step: dict[str, float] = {}
        step["healthz"], _ = _timed(lambda: session.get(healthz, headers=IDENTITY))
        step["bare"], _ = _timed(lambda: bare.get(healthz, headers=IDENTITY))
        for name in names:
            seconds, answer = _timed(
                lambda n=name: session.get(url, params=params[n], headers=IDENTITY)  # type: ignore[misc]
            )
            if answer.status_code != 200:
                raise RuntimeError(f"{name} answered {answer.status_code}: {answer.text[:300]}")
            step[name] = seconds
            if run == 0:
                sizes[name] = len(answer.content)
                decoded[name] = orjson.loads(answer.content)
            elif name != "Q4":  # the floor's other part, in the same run
                dumps[name].append(_dumps_s(decoded[name]))
            del answer
        # Untimed: the server frees the last (largest) answer while it reads the next
        # request; that is the big answer's cost, not the next request's.
        bare.get(healthz, headers=IDENTITY)
        if run:
            for key, value in step.items():
                times[key].append(value)
        else:
            first = {name: step[name] * 1000 for name in names}
        if advance:
            advance(1)
        if run >= 5 and time.perf_counter() - started > budget_s:
            break
    bare.close()
    if "Q2" in names:
        body = orjson.dumps(decoded["Q2"])
        packed, gzip_s = _gzip(body)
        sizes["Q2 gzip"] = len(packed)
        t0 = time.perf_counter()
        zlib.decompress(packed, GZIP_WBITS)
        unzip_s = time.perf_counter() - t0
        times["Q2 gzip"] = [t + gzip_s + unzip_s for t in times["Q2"]]
    healthz_ms = [t * 1000 for t in times["healthz"]]
    out: dict[str, Any] = {
        "runs": len(healthz_ms),
        "healthz_ms": statistics.median(healthz_ms),
        "bare_ms": statistics.median(t * 1000 for t in times["bare"]),
        "queries": {},
    }
    for name in (*names, "Q2 gzip"):
        if not times[name]:
            continue
        base = name.split()[0]
        dumps_ms = [t * 1000 for t in dumps[base]] if dumps.get(base) else [0.0] * len(healthz_ms)
        query_ms = [t * 1000 for t in times[name]]
        floor = out["healthz_ms"] + statistics.median(dumps_ms)
        out["queries"][name] = {
            "query": QUERY_TEXT[base] + (" (if gzipped: estimate)" if name != base else ""),
            "bytes": sizes.get(name, sizes.get(base)),
            "median_ms": statistics.median(query_ms),
            "first_ms": first[base] if name == base else None,
            "dumps_ms": statistics.median(dumps_ms),
            "floor_ms": floor,
            "ratio": statistics.median(query_ms) / floor,
            "paired_ratio": statistics.median(
                q / (h + d) for q, h, d in zip(query_ms, healthz_ms, dumps_ms, strict=True)
            ),
        }
    return out


def table(results: dict[str, Any]) -> tuple[str, list[str], list[list[str]]]:
    """The floor table of bench/report.py: one row per agent count and query."""
    headers = [
        "agents",
        "query",
        "answer",
        "HTTP",
        "/healthz round trip (signed / bare)",
        "orjson.dumps",
        "HTTP / floor",
        "paired",
        "first ask (nothing kept) / floor",
    ]
    rows = []
    for agents, run in results["runs"].items():
        floor = run.get("floor")
        if not floor:
            continue
        trip = f"{floor['healthz_ms']:.2f} / {floor['bare_ms']:.2f} ms"
        for name, q in floor["queries"].items():
            # The first ask renders every scope: in `make bench` the HTTP part's first
            # query after the ingest, alone this run's first.
            asked = run.get("queries", {}).get(name, {}).get("http", {}).get("first_ms")
            first = asked or q.get("first_ms")
            rows.append(
                [
                    f"{int(agents):,}",
                    f"{name} {q['query']}",
                    f"{q['bytes'] / 1e3:,.1f} KB",
                    f"{q['median_ms']:.2f} ms",
                    trip,
                    f"{q['dumps_ms']:.2f} ms",
                    f"{q['ratio']:.2f}x",
                    f"{q['paired_ratio']:.2f}x",
                    f"{first:.1f} ms, {first / q['floor_ms']:.2f}x" if first else "-",
                ]
            )
    title = f"Against the floor ({'; '.join(_runs(results))}; SPEC 11)"
    return title, headers, rows


def _runs(results: dict[str, Any]) -> list[str]:
    return [
        f"{int(a):,} agents: {r['floor']['runs']} runs in turn"
        for a, r in results["runs"].items()
        if r.get("floor")
    ]


# (agents, query, goal): SPEC 11's floor targets; Q4's floor is the round trip alone.
TARGETS = (("1000", "Q1", 2.0), ("1000", "Q2", 2.0), ("10000", "Q2", 3.0), ("1000", "Q4", 1.5))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the targets table (the paired ratio decides: see the docstring)."""
    out = []
    for agents, name, goal in TARGETS:
        floor = results["runs"].get(agents, {}).get("floor")
        q = floor["queries"].get(name) if floor else None
        entry: dict[str, Any] = {
            "target": f"{name} at {int(agents):,} agents, HTTP / "
            + ("/healthz round trip" if name == "Q4" else "floor"),
            "goal": f"<= {goal:g}x",
        }
        if q is None:
            entry.update(measured="-", met=False, gap="not measured")
        else:
            value = q["paired_ratio"]
            entry.update(
                measured=f"{value:.2f}x (medians {q['ratio']:.2f}x)",
                met=value <= goal,
                value=value,
            )
            if value > goal:
                entry["gap"] = f"missed: {value / goal:.2f}x over"
        out.append(entry)
    return out


def _filled(agents: int, keep: Path | None, workdir: str) -> tuple[str, int, bool]:
    """(database URL, the simulation's end, whether it still needs filling)."""
    folder = keep or Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    db, meta = folder / f"floor-{agents}.db", folder / f"floor-{agents}.json"
    if keep and db.exists() and meta.exists():
        return f"sqlite:///{db}", int(json.loads(meta.read_text())["end"]), False
    end = time.time_ns() // 1_000_000
    meta.write_text(json.dumps({"end": end}))
    return f"sqlite:///{db}", end, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--agents", default="1000", help="comma-separated counts (1000)")
    parser.add_argument("--runs", type=int, default=30, help="runs of every request (30)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per count (60)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the databases here")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for agents in (int(a) for a in args.agents.split(",")):
            db, end, empty = _filled(agents, args.keep, tmp)
            with httpbench.serve(tmp, db=db, name=f"floor-{agents}") as server:
                if empty:
                    print(f"{agents:,} agents: simulating and ingesting", file=sys.stderr)
                    server.ingest(simulate(agents, 24, end).raw)
                names = ("Q4", "Q1", "Q2")
                results[str(agents)] = measure(server, end, names, args.runs, args.budget)
            print(json.dumps({str(agents): results[str(agents)]}, indent=1), file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
