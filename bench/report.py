"""The results as tables: Rich on the terminal, Markdown for docs/performance.md."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from bench import floor, restart, transfer
from bench.targets import targets_table

Rows = tuple[str, list[str], list[list[str]]]  # (title, headers, rows)


def _ms(measure: dict[str, Any] | None) -> str:
    if not measure:
        return "-"
    value = measure["median_ms"]
    return f"{value:,.2f} ms" if value < 10 else f"{value:,.1f} ms"


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if not a or not b:
        return "-"
    return f"{a['median_ms'] / b['median_ms']:,.2f}x"


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1e3:,.1f} KB"


def _rate(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}/s"


def query_table(results: dict[str, Any]) -> Rows:
    headers = [
        "agents",
        "query",
        "answer",
        "engine (in-process)",
        "HTTP end to end",
        "DuckDB",
        "DuckDB / HTTP",
        "DuckDB / engine",
        "floor: orjson.dumps",
        "HTTP / floor",
        "engine / floor",
    ]
    rows = []
    for agents, run in results["runs"].items():
        for name, q in run["queries"].items():
            rows.append(
                [
                    f"{int(agents):,}",
                    f"{name} {q['query']}",
                    _size(q["bytes"]),
                    _ms(q["engine"]),
                    _ms(q.get("http")),
                    _ms(q.get("duckdb")),
                    _ratio(q.get("duckdb"), q.get("http")),
                    _ratio(q.get("duckdb"), q["engine"]),
                    _ms(q["floor"]),
                    _ratio(q.get("http"), q["floor"]),
                    _ratio(q["engine"], q["floor"]),
                ]
            )
    return "Queries (median; fixed `to`; HTTP signed with OAuth1)", headers, rows


def ingest_table(results: dict[str, Any]) -> Rows:
    headers = [
        "agents",
        "events",
        "HTTP ingest, durable",
        "executemany ceiling",
        "HTTP / ceiling",
        "ceiling without event_id index",
        "engine build (in-process)",
    ]
    rows = []
    for agents, run in results["runs"].items():
        http = run.get("http", {})
        share = http.get("ingest_share_of_ceiling")
        rows.append(
            [
                f"{int(agents):,}",
                f"{run['events']:,}",
                _rate(http.get("ingest_events_per_s")),
                _rate(http.get("ceiling_events_per_s")),
                "-" if share is None else f"{share:.0%}",
                _rate(http.get("ceiling_no_index_events_per_s")),
                _rate(run.get("engine_build_events_per_s")),
            ]
        )
    return (
        "Ingest (events/s; batches of 1,000, each committed with synchronous=FULL)",
        headers,
        rows,
    )


def other_table(results: dict[str, Any]) -> Rows:
    rows = []
    history = results.get("history")
    if history:
        h = results["config"]["hours"]
        short, long = history[f"{h:g}h"], history[f"{10 * h:g}h"]
        rows.append(
            [
                f"Q1 in-process, {history['agents']:,} agents, {h:g} h of history "
                f"({short['events']:,} events)",
                f"{short['q1_engine_ms']:.1f} ms",
            ]
        )
        rows.append(
            [
                f"Q1 in-process, {history['agents']:,} agents, {10 * h:g} h of history "
                f"({long['events']:,} events)",
                f"{long['q1_engine_ms']:.1f} ms",
            ]
        )
        rows.append(
            ["ratio (10x history / 1x), medians timed alternately", f"{history['ratio']:.2f}x"]
        )
        if "paired_ratio" in history:
            rows.append(
                ["ratio, median over pairs of consecutive runs", f"{history['paired_ratio']:.2f}x"]
            )
    grouped = results.get("groups")
    if grouped:
        rows.append(
            [
                f"Q1 in-process, {grouped['agents']:,} agents / with groupTotals over "
                f"{grouped['groups']} groups (medians timed alternately)",
                f"{grouped['q1_ms']:.1f} ms / {grouped['q1_group_totals_ms']:.1f} ms: "
                f"{grouped['ratio']:.2f}x ({grouped['paired_ratio']:.2f}x over pairs)",
            ]
        )
    directory = results.get("directory")
    if directory:
        rows.append(
            [
                f"directory of {directory['users']:,} users in {directory['groups']} groups: "
                "cold load (best of 5) / a call finding it current",
                f"{directory['cold_best_s']:.2f} s / {directory['current_call_us']:.0f} µs",
            ]
        )
    memory = results.get("memory")
    if memory:
        rows.append(
            [
                f"engine resident bytes per retained event ({memory['agents']:,} agents x "
                f"{memory['hours']:g} h, {memory['events']:,} events)",
                f"{memory['bytes_per_event']:.0f} B",
            ]
        )
    return "History, group totals and memory", ["measure", "result"], rows


def partitions_table(results: dict[str, Any]) -> Rows:
    rows = []
    run = results.get("partitions")
    if run:
        holds = {
            "whole": "serve: both accounts",
            "partition0": "serve --partition 0/2: account 1",
            "partition1": "serve --partition 1/2: account 2",
            "empty": f"serve --partition {run.get('empty_partition', '?')}: no account",
        }
        servers = run["servers"]
        base = servers.get("empty", {}).get("rss_bytes")
        for name, server in servers.items():
            above = ""
            if base is not None and name != "empty":
                above = f" ({_size(server['rss_bytes'] - base)} above no account)"
            rows.append(
                [
                    f"{holds.get(name, name)}: start to /readyz 200, resident memory",
                    f"{server['ready_s']:.1f} s, {_size(server['rss_bytes'])}{above}",
                ]
            )
        for target, ms in run["q1_median_ms"].items():
            rows.append([f"Q1 of account 1, {target} (median of {run['q1_runs']})", f"{ms:.1f} ms"])
    title = "Partitions"
    if run:
        title += (
            f": 2 accounts x {run['agents_per_account']:,} agents x {run['hours']:g} h "
            f"({run['events']:,} events), {run['db']}"
        )
    return title, ["measure", "result"], rows


def throughput_table(results: dict[str, Any]) -> Rows:
    headers = [
        "workers",
        "Q1 requests/s",
        "speedup",
        "median latency",
        "server CPU per request",
        "server cores used",
        "answers per worker",
    ]
    measured = results.get("throughput") or {"runs": [], "agents": 0}
    rows = [
        [
            str(r["workers"]),
            f"{r['requests_per_s']:.1f}",
            f"{r['speedup']:.2f}x",
            f"{r['median_ms']:.1f} ms",
            f"{r['server_cpu_ms_per_request']:.1f} ms",
            f"{r['server_cores_used']:.2f}",
            ", ".join(str(n) for n in r["answers_per_worker"]),
        ]
        for r in measured["runs"]
    ]
    clients = measured["runs"][0]["clients"] if measured["runs"] else 0
    title = (
        f"Q1 throughput, serve --workers N ({measured['agents']:,} agents; {clients} client "
        "processes on the same machine, fresh nonce and connection per request)"
    )
    return title, headers, rows


def detail_tables(results: dict[str, Any]) -> list[Rows]:
    tables: list[Rows] = []
    reference = str(results["config"]["reference_agents"])
    run = results["runs"].get(reference, {})
    stages = run.get("http", {}).get("ingest_stages")
    if stages:
        labels = {
            "http_oauth_client_rest_us_per_event": "rest: HTTP, OAuth, client (by difference)"
        }
        rows = [
            [labels.get(k, k.replace("_us_per_event", "").replace("_", " ")), f"{v:.1f} us"]
            for k, v in stages.items()
        ]
        tables.append((f"Ingest, per event ({reference} agents)", ["stage", "time"], rows))
    memory = results.get("memory")
    if memory and memory.get("breakdown_bytes_per_event"):
        rows = [[k, f"{v:.0f} B"] for k, v in memory["breakdown_bytes_per_event"].items()]
        rows.append(
            ["sum of the above", f"{sum(memory['breakdown_bytes_per_event'].values()):.0f} B"]
        )
        rows.append(["RSS delta", f"{memory['bytes_per_event']:.0f} B"])
        tables.append(
            ("Engine memory per retained event, by structure", ["structure", "bytes"], rows)
        )
    splits = {k: v for k, v in run.get("profiles", {}).items() if k.endswith("_split")}
    if splits:
        rows = [
            [
                k.replace("_split", ""),
                f"{v['whole_ms']:.1f} ms",
                f"{v['figures_ms']:.1f} ms",
                f"{v['shaping_ms']:.1f} ms ({v['shaping_ms'] / v['whole_ms']:.0%})",
            ]
            for k, v in splits.items()
        ]
        tables.append(
            (
                f"In-process split ({reference} agents): figures (numpy) vs the rest",
                ["query", "whole answer", "figures only", "shaping the answer"],
                rows,
            )
        )
    for name, top in run.get("profiles", {}).items():
        if not isinstance(top, list):
            continue
        rows = [
            [
                r["function"],
                f"{r['calls_per_run']:,.0f}",
                f"{r['own_ms_per_run']:.1f} ms",
                f"{r['own_share']:.0%}",
            ]
            for r in top[:8]
        ]
        tables.append(
            (
                f"{name} in-process: functions by own time (cProfile)",
                ["function", "calls", "own time", "share"],
                rows,
            )
        )
    return tables


def all_tables(results: dict[str, Any]) -> list[Rows]:
    return [
        query_table(results),
        floor.table(results),
        ingest_table(results),
        other_table(results),
        partitions_table(results),
        throughput_table(results),
        targets_table(results),
        *transfer.tables(results),
        *detail_tables(results),
        *([restart.table(results["restart"])] if "restart" in results else []),
    ]


def print_tables(console: Console, results: dict[str, Any]) -> None:
    for title, headers, rows in all_tables(results):
        table = Table(title=title)
        for i, header in enumerate(headers):
            table.add_column(header, justify="left" if i < 2 else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, numpy {m['numpy']}, "
        f"DuckDB {m['duckdb']}. Run took {results.get('elapsed_s', 0):.0f} s.",
        "",
    ]
    code = results.get("code") or {}
    if code.get("commit"):
        dirty = " with uncommitted changes in src/" if code.get("src_modified") else ""
        lines += [f"Code: commit {code['commit']}{dirty}.", ""]
    outputs = {run.get("engine_output") for run in results["runs"].values()} - {None}
    if outputs:
        lines += [f"In-process time is the engine's answer as: {', '.join(sorted(outputs))}.", ""]
    for title, headers, rows in all_tables(results):
        lines += [
            f"**{title}**",
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "|".join("---" for _ in headers) + "|",
        ]
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        ]
        lines.append("")
    return "\n".join(lines)
