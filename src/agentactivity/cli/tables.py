"""Agent Activity answers as readable tables for people (the `query` command)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentactivity.directory import DirectorySnapshot
from agentactivity.directory_csv import group_path


def duration(seconds: int) -> str:
    """Seconds as h:mm:ss, the way contact-center reports show time."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def metrics_table(
    title: str, agents_metrics: dict[str, Any], directory: DirectorySnapshot | None = None
) -> Table:
    """One row per agent (and a TOTAL row with totals): time per state and chat use; the
    agent's name beside its id when the directory has one."""
    rows: list[tuple[str, str | None, list[Any]]] = [
        (agent, agent_name(directory, agent), entries)
        for agent, entries in agents_metrics["metricsPerAgent"].items()
    ]
    totals = agents_metrics.get("metricsTotals") or []
    if totals:
        rows.append(("TOTAL", None, totals))
    return _figures_table(title, "Agent", rows, "(nobody logged in)")


def groups_table(title: str, per_group: dict[str, Any], directory: DirectorySnapshot) -> Table:
    """One row per agent group (`metricsPerGroup`): the sums over its listed members and
    those of the groups below it, named by the group's path."""
    rows: list[tuple[str, str | None, list[Any]]] = [
        (group_id, team_name(directory, group_id), entries)
        for group_id, entries in per_group.items()
    ]
    return _figures_table(title, "Group", rows, "(nobody listed)")


def agent_name(directory: DirectorySnapshot | None, agent: str) -> str | None:
    """What the account's users call the agent (nickname, else full name), if anything."""
    return directory.label(int(agent)).name if directory is not None else None


def team_name(directory: DirectorySnapshot, group_id: str) -> str | None:
    """A group's name path (Sales/Tier 2); the root's own name; None if unknown."""
    if group_id not in directory.groups:
        return None
    return group_path(directory, group_id) or directory.groups[group_id].name


def _figures_table(
    title: str, key: str, rows: list[tuple[str, str | None, list[Any]]], nobody: str
) -> Table:
    # Compact on purpose: a 19-digit agent id and six h:mm:ss columns fit 80 columns.
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 0, 0, 1),
        show_edge=False,
    )
    table.add_column(key, no_wrap=True)
    named = any(name for _, name, _ in rows)
    if named:
        # The one column that may wrap, so a narrow terminal shortens names, never ids
        # or durations; each name stays on one line, cut with an ellipsis.
        table.add_column("Name")
    for header in ("Logged\nin", "Online", "Back\nsoon", "Away", "Chatting", "At max\nchats"):
        table.add_column(header, justify="right", no_wrap=True, min_width=8)
    for label, name, entries in rows:
        online, back, away, logged = entries
        cells = [Text(name or "", no_wrap=True, overflow="ellipsis")] if named else []
        table.add_row(
            label,
            *cells,
            *(duration(entry["value"]["total"]) for entry in (logged, online, back, away)),
            duration(logged["value"]["chatting"]),
            duration(logged["value"]["chattingInMaxConcurrency"]),
        )
    if not rows:
        table.add_row(nobody, *[""] * 6)
    return table


def reasons_table(
    agents_metrics: dict[str, Any], directory: DirectorySnapshot | None = None
) -> Table | None:
    """Away time per reason, per agent (named when the directory has a name); None when
    nobody was Away with a reason."""
    per_agent = agents_metrics["metricsPerAgent"]
    names = {agent: agent_name(directory, agent) for agent in per_agent}
    headers = (
        ("Agent", "Name", "Reason", "Away") if any(names.values()) else ("Agent", "Reason", "Away")
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Away reasons", title_justify="left")
    for header in headers:
        table.add_column(header, justify="right" if header == "Away" else "left", overflow="fold")
    for agent, entries in per_agent.items():
        name = [names[agent] or ""] if len(headers) == 4 else []
        for reason in entries[2]["reasons"]:
            table.add_row(agent, *name, reason["id"], duration(reason["value"]["total"]))
    return table if table.row_count else None


def print_activity(
    console: Console, response: dict[str, Any], directory: DirectorySnapshot | None = None
) -> None:
    """Each interval's tables (newest first), then the whole window's and its Away
    reasons; with a directory, agents' names, and a table of the groups' sums where the
    answer has them (`groupTotals`)."""
    body = response.get("body", response)
    scopes = [
        (f"Interval ending {_utc(interval['timestamp'])}", interval["metricsData"]["agentsMetrics"])
        for interval in body.get("metricsByIntervals", [])
    ]
    for title, metrics in [*scopes, ("Whole window", body["agentsMetrics"])]:
        console.print(metrics_table(title, metrics, directory))
        if "metricsPerGroup" in metrics and directory is not None:
            console.print(groups_table(f"{title}: teams", metrics["metricsPerGroup"], directory))
    reasons = reasons_table(body["agentsMetrics"], directory)
    if reasons is not None:
        console.print(reasons)
