"""The issue's targets: each one's goal against its measure, at the reference agent count.

`evaluate_targets` reads the results JSON (and `floor.targets` for the answers against
their floor) into its `targets` list; `targets_table` shows that list in the report.
"""

from __future__ import annotations

from typing import Any

from bench import floor


def targets_table(results: dict[str, Any]) -> tuple[str, list[str], list[list[str]]]:
    """The targets as a table for bench/report.py: goal, measure and status of each."""
    rows = [
        [t["target"], t["goal"], t["measured"], "met" if t["met"] else t.get("gap", "missed")]
        for t in results.get("targets", [])
    ]
    agents = results["config"]["reference_agents"]
    return f"Targets (at {agents:,} agents)", ["target", "goal", "measured", "status"], rows


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    reference = str(results["config"]["reference_agents"])
    run = results["runs"].get(reference, {})
    q = run.get("queries", {})
    out: list[dict[str, Any]] = []

    def bound(target: str, goal: float, value: float | None, unit: str, least: bool) -> None:
        entry: dict[str, Any] = {
            "target": target,
            "goal": f"{'>=' if least else '<='} {goal:g}{unit}",
        }
        if value is None:
            entry.update(measured="-", met=False, gap="not measured")
        else:
            met = value >= goal if least else value <= goal
            entry.update(measured=f"{value:.2f}{unit}", met=met, value=value)
            if not met:
                shortfall = goal / value if least else value / goal
                entry["gap"] = f"missed: {shortfall:.1f}x {'short' if least else 'over'}"
        out.append(entry)

    def at_least(target: str, goal: float, value: float | None, unit: str = "x") -> None:
        bound(target, goal, value, unit, least=True)

    def at_most(target: str, goal: float, value: float | None, unit: str) -> None:
        bound(target, goal, value, unit, least=False)

    def ratio(name: str) -> float | None:
        entry = q.get(name, {})
        if "duckdb" in entry and "http" in entry:
            return float(entry["duckdb"]["median_ms"] / entry["http"]["median_ms"])
        return None

    def http_ms(name: str) -> float | None:
        entry = q.get(name, {}).get("http")
        return float(entry["median_ms"]) if entry else None

    at_least("Q1 DuckDB time / ours, HTTP end to end", 5, ratio("Q1"))
    at_least("Q2 DuckDB time / ours, HTTP end to end", 2, ratio("Q2"))
    at_most("Q4 end to end", 5, http_ms("Q4"), " ms")
    at_most("Q3 end to end", 10, http_ms("Q3"), " ms")
    out += floor.targets(results)
    history = results.get("history")
    at_most("Q1 with 10x history / Q1", 1.5, history["ratio"] if history else None, "x")
    grouped = results.get("groups")
    at_most("Q1 groupTotals (20 groups) / Q1", 1.3, grouped["ratio"] if grouped else None, "x")
    directory = results.get("directory")
    cold = directory["cold_best_s"] if directory else None
    at_most("directory of 10,000 users, cold load", 1, cold, " s")
    http = run.get("http", {})
    share = http.get("ingest_share_of_ceiling")
    at_least("ingest HTTP / executemany ceiling, store's table layout", 0.25, share, "")
    plain = http.get("ceiling_no_index_events_per_s")
    at_least(
        "ingest HTTP / executemany ceiling, plain table",
        0.25,
        http["ingest_events_per_s"] / plain if plain else None,
        "",
    )
    memory = results.get("memory")
    at_most(
        "resident bytes per retained event",
        200,
        memory["bytes_per_event"] if memory else None,
        " B",
    )
    return out
