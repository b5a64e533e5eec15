"""Agent Activity answers as readable tables for people (the `query` command)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


def duration(seconds: int) -> str:
    """Seconds as h:mm:ss, the way contact-center reports show time."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def metrics_table(title: str, agents_metrics: dict[str, Any]) -> Table:
    """One row per agent (and a TOTAL row with totals): time per state and chat use."""
    # Compact on purpose: a 19-digit agent id and six h:mm:ss columns fit 80 columns.
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 0, 0, 1),
        show_edge=False,
    )
    table.add_column("Agent", no_wrap=True)
    for header in ("Logged\nin", "Online", "Back\nsoon", "Away", "Chatting", "At max\nchats"):
        table.add_column(header, justify="right", no_wrap=True, min_width=8)
    rows = list(agents_metrics["metricsPerAgent"].items())
    totals = agents_metrics.get("metricsTotals") or []
    if totals:
        rows.append(("TOTAL", totals))
    for agent, entries in rows:
        online, back, away, logged = entries
        table.add_row(
            agent,
            *(duration(entry["value"]["total"]) for entry in (logged, online, back, away)),
            duration(logged["value"]["chatting"]),
            duration(logged["value"]["chattingInMaxConcurrency"]),
        )
    if not rows:
        table.add_row("(nobody logged in)", *[""] * 6)
    return table


def reasons_table(agents_metrics: dict[str, Any]) -> Table | None:
    """Away time per reason, per agent; None when nobody was Away with a reason."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Away reasons", title_justify="left")
    for header in ("Agent", "Reason", "Away"):
        table.add_column(header, justify="right" if header == "Away" else "left", overflow="fold")
    for agent, entries in agents_metrics["metricsPerAgent"].items():
        for reason in entries[2]["reasons"]:
            table.add_row(agent, reason["id"], duration(reason["value"]["total"]))
    return table if table.row_count else None


def print_activity(console: Console, response: dict[str, Any]) -> None:
    body = response.get("body", response)
    for interval in body.get("metricsByIntervals", []):
        metrics = interval["metricsData"]["agentsMetrics"]
        console.print(metrics_table(f"Interval ending {_utc(interval['timestamp'])}", metrics))
    console.print(metrics_table("Whole window", body["agentsMetrics"]))
    reasons = reasons_table(body["agentsMetrics"])
    if reasons is not None:
        console.print(reasons)
