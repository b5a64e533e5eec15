"""The measurement steps of `python -m bench`, as methods of `Bench`.

For each agent count (`run_agents`): simulate and build the engine, Q1-Q4 in-process
with their floor (`orjson.dumps` of the answer), the profiles at the reference count,
DuckDB (checked first, then timed), and over HTTP a real server (ingest, Q1-Q4, the
floor, the ingest ceiling). Once: Q1 over 10x the history (`history`) and the resident
bytes per event in a fresh process (`memory`). bench/run.py decides which steps run and
in what order; they share one `Timer` and one progress display, and each returns its
part of the results JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
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
from rich.progress import Progress

from agentactivity.engine import Engine
from agentactivity.query import ActivityQuery
from bench import ceiling, check, floor, httpbench, profiling, sql_baseline
from bench.data import QUERY_TEXT, Dataset, http_params, queries, scopes_of, simulate
from bench.in_process import ACCOUNT, build_engine, decoded, engine_output, served
from bench.timing import Timer, without_result

RESULTS = Path(__file__).resolve().parent / "results"  # profile call trees; run.py: latest.json/.md


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
