"""The benchmark of the issue "Speed": `make bench`, or `python -m bench [--quick]`.

For each agent count (default 1,000 and 10,000, simulated over 24 h):

1. simulate the day (`agentactivity.simulate.Simulator`), build the engine in-process;
2. Q1-Q4 in-process (engine only: figures and the response dict), median of repeats,
   and the floor: `orjson.dumps` of the finished answer;
3. DuckDB: load the same events into a table, run the analyst's window-function SQL
   (bench/sql_baseline.py); FIRST assert that its figures are the engine's (ms per
   agent/scope/state/reason, and the whole response built from them), then time it;
4. HTTP: a real `agentactivity serve` on a fresh SQLite file: ingest every event in
   OAuth1-signed batches of 1,000 (each committed durably before the next), then
   Q1-Q4 signed end to end (each answer checked equal to the in-process one), then
   Q1, Q2, Q4 in turn with `/healthz` against their floor (bench/floor.py);
5. the ingest ceiling: the same rows with `executemany` into SQLite, same durability.

Then, once: restart time to `/readyz` with and without an engine snapshot over a week
(bench/restart.py, 10,000 agents by default), query time against 10x the history (Q1,
same agents, 240 h instead of 24 h),
Q1 with `groupTotals=true` over a 20-group directory against Q1 (bench/groups.py),
resident bytes per retained event (fresh process), partitions (bench/partitions.py:
each server's memory and start, Q1 through HAProxy), and profiles of the slow paths.
Prints Rich tables, writes bench/results/latest.json and bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from bench import (
    check,
    directory_load,
    groups,
    history_window,
    partitions,
    restart,
    throughput,
    transfer,
)
from bench.data import simulate
from bench.machine import code_version, machine
from bench.report import markdown, print_tables
from bench.steps import RESULTS, Bench
from bench.targets import evaluate_targets

PG_VARIABLE = "AGENTACTIVITY_BENCH_POSTGRES"  # an empty database for the history measures
REFERENCE_AGENTS = 1000  # the targets of the issue are stated at 1,000 agents


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark of agentactivity (issue 'Speed')."
    )
    parser.add_argument(
        "--agents",
        default=None,
        help="comma-separated agent counts (default 1000,10000; --quick: 200)",
    )
    parser.add_argument("--hours", type=float, default=24, help="simulated history (24)")
    parser.add_argument(
        "--http-max-agents",
        type=int,
        default=10_000,
        help="run the HTTP part only for agent counts up to this (10000)",
    )
    parser.add_argument("--repeat", type=int, default=15, help="max timed runs per figure")
    parser.add_argument("--min-runs", type=int, default=5, help="min timed runs per figure")
    parser.add_argument("--budget", type=float, default=4.0, help="seconds per figure, soft")
    parser.add_argument("--duckdb-threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--quick", action="store_true", help="small and fast: a smoke run")
    parser.add_argument("--no-history", action="store_true", help="skip the 10x history run")
    parser.add_argument("--no-groups", action="store_true", help="skip Q1 with groupTotals")
    parser.add_argument(
        "--no-directory", action="store_true", help="skip loading a 10,000-user directory"
    )
    parser.add_argument(
        "--no-two-windows",
        action="store_true",
        help="skip the live window and history measures (memory with 7 and 60 days, "
        "ingest, Q1 30 days back; PostgreSQL too if AGENTACTIVITY_BENCH_POSTGRES is set)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory run")
    parser.add_argument(
        "--no-partitions",
        action="store_true",
        help="skip the partitions run (whole server vs serve --partition 0/2 and 1/2, HAProxy)",
    )
    parser.add_argument(
        "--transfer",
        default="10000x167",
        help="`import` then `export` of AGENTSxHOURS simulated events, in processes of "
        "their own: speed and peak memory (10000x167: 10.6 M events, ~10 min; --quick: "
        "200x24; '' to skip)",
    )
    parser.add_argument(
        "--restart-agents",
        type=int,
        default=10_000,
        help="restart time to /readyz with and without a snapshot, over a week of this "
        "many agents (10000: 10.6 M events, ~20 min; --quick: 200; 0 to skip)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the profiles")
    parser.add_argument(
        "--throughput-workers",
        default="1,2,4",
        help="Q1 throughput for these `serve --workers N` (1,2,4; '' to skip)",
    )
    parser.add_argument("--throughput-clients", type=int, default=3, help="client processes")
    parser.add_argument("--throughput-seconds", type=float, default=8.0, help="per worker count")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.agents = args.agents or "200"
        args.repeat, args.min_runs, args.budget = 5, 3, 1.0
        args.throughput_seconds = 2.0
        args.transfer = "200x24" if args.transfer == "10000x167" else args.transfer
        args.restart_agents = min(args.restart_agents, 200)
    args.agent_counts = [int(a) for a in (args.agents or "1000,10000").split(",") if a.strip()]
    if not args.agent_counts or min(args.agent_counts) < 50:
        parser.error("--agents: give counts of at least 50 (Q3 lists 50 agents)")
    return args


def run_all(
    bench: Bench, args: argparse.Namespace, end: int, reference: int, results: dict[str, Any]
) -> None:
    bench.log("checking DuckDB's SQL against the engine on adversarial events")
    results["adversarial_check"] = check.check_adversarial(end, args.duckdb_threads)
    for agents in args.agent_counts:
        http = agents <= args.http_max_agents
        profile = agents == reference and not args.no_profile
        results["runs"][str(agents)] = bench.run_agents(agents, end, http, profile)
    if not args.no_history:
        results["history"] = bench.history(reference, end)
    if not args.no_groups:
        bench.step(f"groupTotals: Q1 with and without, {reference:,} agents, alternately", None)
        results["groups"] = groups.measure(reference, args.hours, end, max(args.repeat, 30))
    if not args.no_directory:
        bench.step("directory: 10,000 users in 50 groups loaded cold (SQLite), then current", None)
        results["directory"] = directory_load.run()
    if not args.no_two_windows:
        bench.step("two windows: memory with 7 and 60 days, ingest, Q1 30 days back", None)
        results["two_windows"] = history_window.run_all(end, os.environ.get(PG_VARIABLE))
    if not args.no_memory:
        results["memory"] = bench.memory(reference, end)
    if not args.no_partitions:
        bench.step(f"partitions: 2 accounts x {reference:,} agents, 3 servers, HAProxy", None)
        options = argparse.Namespace(
            agents=reference, hours=args.hours, db=os.environ.get(PG_VARIABLE), repeat=20
        )
        results["partitions"] = partitions.run(options)
    if args.transfer:
        agents, hours = (int(n) for n in args.transfer.split("x"))
        bench.step(f"import and export of {agents:,} agents x {hours} h (processes)", None)
        with tempfile.TemporaryDirectory(dir=bench.workdir) as tmp:
            results["transfer"] = transfer.measure(agents, hours, end, Path(tmp))
    if args.restart_agents:
        hours = 24 if args.quick else 167
        advance = bench.step(f"restart: {args.restart_agents:,} agents x {hours} h", hours)
        results["restart"] = restart.run(args.restart_agents, hours, advance)
    if args.throughput_workers:
        bench.step(f"Q1 throughput, {reference:,} agents, workers {args.throughput_workers}", None)
        ds = simulate(reference, args.hours, end)
        counts = [int(n) for n in args.throughput_workers.split(",")]
        results["throughput"] = throughput.run(
            ds, counts, args.throughput_clients, args.throughput_seconds, bench.workdir
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(stderr=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    end = time.time_ns() // 1_000_000  # the fixed `to`: the simulated days end now
    reference = REFERENCE_AGENTS if REFERENCE_AGENTS in args.agent_counts else args.agent_counts[0]
    results: dict[str, Any] = {
        "machine": machine(),
        "code": code_version(),
        "config": {
            "agents": args.agent_counts,
            "hours": args.hours,
            "to": end,
            "repeat": args.repeat,
            "min_runs": args.min_runs,
            "budget_s": args.budget,
            "http_max_agents": args.http_max_agents,
            "duckdb_threads": args.duckdb_threads or "all cores",
            "reference_agents": reference,
            "quick": args.quick,
        },
        "runs": {},
    }
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        bench = Bench(args, console, progress)
        try:
            run_all(bench, args, end, reference, results)
        finally:
            shutil.rmtree(bench.workdir, ignore_errors=True)
    results["targets"] = evaluate_targets(results)
    results["elapsed_s"] = time.perf_counter() - started
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    md = args.output.with_suffix(".md")
    md.write_text(markdown(results))
    print_tables(Console(), results)
    console.print(f"wrote {args.output} and {md} in {results['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
