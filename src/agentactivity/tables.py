"""Agent Activity answers as readable tables for people (the `query` command)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rich.console import Console
from rich.table import Table


def duration(seconds: int) -> str:
    """Seconds as h:mm:ss, the way contact-center reports show time."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def metrics_table(title: str, agents_metrics: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    for header in ("Agent", "Logged in", "Online", "Back soon", "Away", "Chatting",
                   "Not chatting", "At max chats", "Away reasons"):
        table.add_column(header, justify="left" if header in ("Agent", "Away reasons") else "right")
    rows = list(agents_metrics["metricsPerAgent"].items())
    totals = agents_metrics.get("metricsTotals") or []
    if totals:
        rows.append(("TOTAL", totals))
    for agent, entries in rows:
        online, back, away, logged = entries
        reasons = ", ".join(
            f"{r['id']} {duration(r['value']['total'])}" for r in away.get("reasons", [])
        )
        table.add_row(
            agent,
            duration(logged["value"]["total"]),
            duration(online["value"]["total"]),
            duration(back["value"]["total"]),
            duration(away["value"]["total"]),
            duration(logged["value"]["chatting"]),
            duration(logged["value"]["notChatting"]),
            duration(logged["value"]["chattingInMaxConcurrency"]),
            reasons or "-",
        )
    if not rows:
        table.add_row("(no agent logged in)", *[""] * 8)
    return table


def print_activity(console: Console, response: dict[str, Any]) -> None:
    body = response.get("body", response)
    for interval in body.get("metricsByIntervals", []):
        metrics = interval["metricsData"]["agentsMetrics"]
        console.print(metrics_table(f"Interval ending {_utc(interval['timestamp'])}", metrics))
    console.print(metrics_table("Whole window", body["agentsMetrics"]))
