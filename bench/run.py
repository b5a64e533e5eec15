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
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from agentactivity.engine import Engine
from agentactivity.query import ActivityQuery
from bench import (
    ceiling,
    check,
    directory_load,
    floor,
    groups,
    history_window,
    httpbench,
    partitions,
    profiling,
    restart,
    sql_baseline,
    throughput,
    transfer,
)
from bench.data import QUERY_TEXT, Dataset, http_params, queries, scopes_of, simulate
from bench.in_process import ACCOUNT, build_engine, decoded, engine_output, served
from bench.machine import code_version, machine
from bench.report import evaluate_targets, markdown, print_tables
from bench.timing import Timer, without_result

RESULTS = Path(__file__).resolve().parent / "results"
PG_VARIABLE = "AGENTACTIVITY_BENCH_POSTGRES"  # an empty database for the history measures
REFERENCE_AGENTS = 1000  # the targets of the issue are stated at 1,000 agents


class Bench:
    def __init__(self, args: argparse.Namespace, console: Console, progress: Progress) -> None:
        self.args = args
        self.console = console
        self.progress = progress
        self.timer = Timer(args.repeat, args.min_runs, args.budget)
        self.workdir = Path(tempfile.mkdtemp(prefix="agentactivity-bench-"))

    def step(self, description: str, total: int | None) -> Callable[[int], None]:
        task = self.progress.add_task(description, total=total)
        return lambda n: self.progress.advance(task, n)

    def log(self, message: str) -> None:
        self.progress.console.log(message)

    # -- one agent count -------------------------------------------------------------

    def run_agents(self, agents: int, end: int, http: bool, profile: bool) -> dict[str, Any]:
        hours = self.args.hours
        out: dict[str, Any] = {"agents": agents, "hours": hours}
        ds = simulate(agents, hours, end, self.step(f"{agents:,} agents: simulate", 2 * hours))
        out["events"] = len(ds.events)
        self.log(f"{agents:,} agents x {hours:g} h: {len(ds.events):,} events")

        advance = self.step(f"{agents:,} agents: build the engine", -(-len(ds.events) // 1000))
        t0 = time.perf_counter()
        engine = build_engine(ds.events, advance)
        out["engine_build_events_per_s"] = len(ds.events) / (time.perf_counter() - t0)
        out["engine_output"] = engine_output(engine)
        gc.collect()
        gc.freeze()  # as the service does after loading: the collector skips the data

        qs = queries(end)
        answers: dict[str, dict[str, Any]] = {}
        results: dict[str, dict[str, Any]] = {}
        advance = self.step(f"{agents:,} agents: Q1-Q4 in-process", None)
        for name, query in qs.items():
            measured = self.timer(served(engine, query, end), advance)
            answer = decoded(measured.pop("result"))
            answers[name] = answer
            floor = self.timer(partial(orjson.dumps, answer), advance)
            results[name] = {
                "query": QUERY_TEXT[name],
                "bytes": len(floor.pop("result")),
                "engine": without_result(measured),
                "floor": without_result(floor),
            }
        if profile:
            out["profiles"] = self.profile_queries(engine, qs, end)

        self.run_duckdb(ds, engine, qs, answers, results)
        if http:
            out["http"] = self.run_http(ds, qs, answers, results, profile)
            out["floor"] = out["http"].pop("floor")
        out["queries"] = results
        gc.unfreeze()
        gc.collect()
        return out

    def run_duckdb(
        self,
        ds: Dataset,
        engine: Engine,
        qs: dict[str, ActivityQuery],
        answers: dict[str, dict[str, Any]],
        results: dict[str, dict[str, Any]],
    ) -> None:
        agents = ds.agents
        con = sql_baseline.connect(self.args.duckdb_threads)
        t0 = time.perf_counter()
        sql_baseline.load(con, ds.events)
        load_s = time.perf_counter() - t0
        advance = self.step(f"{agents:,} agents: DuckDB check + Q1-Q4", None)
        for name, query in qs.items():
            run, _ = check.duckdb_figures(con, query)
            # FIRST: the same figures, or no timing at all.
            check.assert_same(
                f"{agents} agents {name}", engine, ACCOUNT, query, answers[name], run()
            )
            measured = self.timer(run, advance)
            measured.pop("result")
            results[name]["duckdb"] = measured
            results[name]["duckdb_load_s"] = load_s
        con.close()
        self.log(f"{agents:,} agents: DuckDB's figures equal the engine's for Q1-Q4")

    def run_http(
        self,
        ds: Dataset,
        qs: dict[str, ActivityQuery],
        answers: dict[str, dict[str, Any]],
        results: dict[str, dict[str, Any]],
        profile: bool,
    ) -> dict[str, Any]:
        agents = ds.agents
        out: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            with httpbench.serve(tmp) as server:
                batches = -(-len(ds.raw) // httpbench.BATCH)
                seconds, accepted = server.ingest(
                    ds.raw, self.step(f"{agents:,} agents: HTTP ingest (batches)", batches)
                )
                if accepted != len(ds.raw):
                    raise RuntimeError(f"{accepted} of {len(ds.raw)} events accepted")
                out["ingest_events_per_s"] = accepted / seconds
                out["ingest_s"] = seconds
                advance = self.step(f"{agents:,} agents: Q1-Q4 over HTTP", None)
                for name, query in qs.items():
                    params = http_params(query)
                    measured = self.timer(partial(server.query, params), advance)
                    _, body = measured.pop("result")
                    if orjson.loads(body) != answers[name]:
                        raise check.Mismatch(f"{name}: the HTTP answer is not the in-process one")
                    results[name]["http"] = measured
                # SPEC 11: the answers against their floor, in turn with /healthz.
                runs = self.args.repeat * 2
                advance = self.step(f"{agents:,} agents: against the floor", runs + 1)
                out["floor"] = floor.measure(server, ds.end, runs=runs, advance=advance)
                out["server_rss_bytes"] = httpbench.server_rss(server)
            advance = self.step(f"{agents:,} agents: executemany ceiling", 2 * batches)
            path = Path(tmp) / "ceiling.db"
            out["ceiling_events_per_s"] = ceiling.executemany_rate(path, ds.events, advance=advance)
            path2 = Path(tmp) / "ceiling-plain.db"
            out["ceiling_no_index_events_per_s"] = ceiling.executemany_rate(
                path2, ds.events, with_index=False, advance=advance
            )
            out["ingest_share_of_ceiling"] = (
                out["ingest_events_per_s"] / out["ceiling_events_per_s"]
            )
            if profile:
                stages = profiling.ingest_stages(
                    ds.raw, Path(tmp), self.step(f"{agents:,} agents: ingest stages", batches)
                )
                n = len(ds.raw)
                per_event = {
                    k.replace("_s", "_us_per_event"): v * 1e6 / n for k, v in stages.items()
                }
                per_event["http_total_us_per_event"] = seconds * 1e6 / n
                per_event["http_oauth_client_rest_us_per_event"] = (
                    seconds * 1e6 / n - sum(stages.values()) * 1e6 / n
                )
                per_event["ceiling_us_per_event"] = 1e6 / out["ceiling_events_per_s"]
                out["ingest_stages"] = per_event
        return out

    # -- once -------------------------------------------------------------------------

    def profile_queries(
        self, engine: Engine, qs: dict[str, ActivityQuery], end: int
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        advance = self.step("profiles of Q1 and Q2 (in-process)", 4)
        account = engine.account(ACCOUNT)
        for name in ("Q1", "Q2"):
            query = qs[name]
            fn = served(engine, query, end)
            # The numeric part alone (ms figures as arrays) against the whole answer:
            # the rest is shaping the figures into dicts and lists.
            scopes, _ = scopes_of(query, end)
            if account is not None:
                figures = self.timer(partial(account.figures, query.agent_ids, scopes))
                whole = self.timer(fn)
                out[f"{name}_split"] = {
                    "figures_ms": figures["median_ms"],
                    "whole_ms": whole["median_ms"],
                    "shaping_ms": whole["median_ms"] - figures["median_ms"],
                }
            out[name] = profiling.top_functions(fn, runs=5)
            advance(1)
            tree = RESULTS / f"profile-{name}.txt"
            if profiling.call_tree(fn, runs=5, path=tree):
                out[f"{name}_call_tree"] = str(tree.relative_to(RESULTS.parent.parent))
            advance(1)
        return out

    def history(self, agents: int, end: int) -> dict[str, Any]:
        """Q1 over the last 24 h of 24 h of history versus of 10x that history.

        Both engines are built first and their Q1 timed in alternation (one run of each,
        again and again), so that the load of a shared machine weighs on both alike."""
        out: dict[str, Any] = {"agents": agents}
        served_by: dict[str, Callable[[], bytes]] = {}
        engines = []
        query = queries(end)["Q1"]
        for hours in (self.args.hours, 10 * self.args.hours):
            key = f"{hours:g}h"
            ds = simulate(
                agents, hours, end, self.step(f"history: {hours:g} h simulate", 2 * hours)
            )
            engine = build_engine(ds.events)
            engines.append(engine)
            served_by[key] = served(engine, query, end)
            out[key] = {"events": len(ds.events)}
            del ds
        gc.collect()
        gc.freeze()
        times: dict[str, list[float]] = {key: [] for key in served_by}

        def both() -> None:
            for key, fn in served_by.items():
                t0 = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - t0)

        self.timer(both, self.step("history: Q1 at 1x and 10x, alternately", None))
        for key, measured in times.items():
            measured = measured[1:]  # the first call of each was the warm-up
            out[key].update(q1_engine_ms=statistics.median(measured) * 1000, runs=len(measured))
        short, long = (times[key][1:] for key in served_by)
        out["ratio"] = (
            out[f"{10 * self.args.hours:g}h"]["q1_engine_ms"]
            / (out[f"{self.args.hours:g}h"]["q1_engine_ms"])
        )
        out["paired_ratio"] = statistics.median(b / a for a, b in zip(short, long))
        engines.clear()
        served_by.clear()
        gc.unfreeze()
        gc.collect()
        return out

    def memory(self, agents: int, end: int) -> dict[str, Any]:
        self.step(f"memory: {agents:,} agents x {self.args.hours:g} h, fresh process", None)
        cmd = [
            sys.executable,
            "-m",
            "bench.memory",
            "--agents",
            str(agents),
            "--hours",
            str(self.args.hours),
            "--end",
            str(end),
        ]
        root = Path(__file__).resolve().parent.parent
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=root)
        return dict(json.loads(done.stdout))


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
