"""Q1 with `groupTotals=true` against Q1 without, over a generated 20-group directory.

    python -m bench.groups [--agents 1000] [--runs 40]

The directory: the root, 4 departments and 4 teams under each (20 groups besides the
root); most agents in a team, some in a department, some in the root and a few with no
user at all (as agents with events but no directory entry are). Both queries are timed
in alternation (one run of each, again and again) on one engine, so that the load of a
shared machine weighs on both alike; the target (SPEC 8's rollups sum the rows already
computed) is a ratio of at most 1.3x.

The group sums are checked first: for every group of the answer, the sum of its
members' `metricsPerAgent` seconds is within a second per member of the group's figure
(the group's figure is floored once, from ms).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

from agentactivity.directory import ROOT_GROUP_ID, AgentGroup, DirectorySnapshot, User
from agentactivity.engine import Engine
from agentactivity.query import ActivityQuery
from bench.data import FIRST_AGENT, queries, simulate

ACCOUNT = "bench"
DEPARTMENTS = 4
TEAMS_PER_DEPARTMENT = 4


def directory(agents: int) -> DirectorySnapshot:
    """20 groups over `agents` agents ids FIRST_AGENT..; 1 in 50 agents has no user."""
    groups, teams, departments = [], [], []
    next_id = 100
    for d in range(DEPARTMENTS):
        department = str(next_id)
        next_id += 1
        groups.append(AgentGroup(department, f"Department {d}", ROOT_GROUP_ID))
        departments.append(department)
        for t in range(TEAMS_PER_DEPARTMENT):
            team = str(next_id)
            next_id += 1
            groups.append(AgentGroup(team, f"Team {d}.{t}", department))
            teams.append(team)
    users = []
    for n in range(agents):
        agent = FIRST_AGENT + n
        if n % 50 == 49:
            continue  # no directory entry: counted in the root only
        if n % 25 == 0:
            group = departments[n % len(departments)]
        elif n % 40 == 1:
            group = ROOT_GROUP_ID
        else:
            group = teams[n % len(teams)]
        users.append(User(agent, f"agent{agent}", full_name=f"Agent {agent}", group_id=group))
    return DirectorySnapshot.of(users, groups)


def check_sums(answer: dict[str, Any], snapshot: DirectorySnapshot) -> int:
    """Every group's Logged-in total against its members' (see the module's doc)."""
    metrics = answer["agentsMetrics"]
    checked = 0
    for group_id, entries in metrics["metricsPerGroup"].items():
        members = [
            agent
            for agent in metrics["metricsPerAgent"]
            if group_id in snapshot.rollup_groups(int(agent))
        ]
        shown = sum(metrics["metricsPerAgent"][agent][3]["value"]["total"] for agent in members)
        total = entries[3]["value"]["total"]
        if not shown <= total <= shown + len(members):
            raise AssertionError(f"group {group_id}: {total} s, its members {shown} s")
        checked += 1
    if checked != 1 + DEPARTMENTS * (1 + TEAMS_PER_DEPARTMENT):
        raise AssertionError(f"{checked} groups in the answer")
    return checked


def run(engine: Engine, agents: int, end: int, runs: int) -> dict[str, Any]:
    snapshot = directory(agents)
    plain = queries(end)["Q1"]
    grouped = ActivityQuery(**{**_fields(plain), "group_totals": True})
    calls: dict[str, Callable[[], bytes]] = {
        "q1_ms": lambda: engine.agent_activity_json(ACCOUNT, plain, end),
        "q1_group_totals_ms": lambda: engine.agent_activity_json(ACCOUNT, grouped, end, snapshot),
    }
    checked = check_sums(orjson.loads(calls["q1_group_totals_ms"]()), snapshot)
    times: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(runs + 1):  # the first round warms up
        for key, call in calls.items():
            t0 = time.perf_counter()
            call()
            times[key].append(time.perf_counter() - t0)
    out: dict[str, Any] = {
        "agents": agents,
        "groups": len(snapshot.groups) - 1,
        "groups_checked": checked,
        "runs": runs,
    }
    for key, measured in times.items():
        out[key] = statistics.median(measured[1:]) * 1000
    out["ratio"] = out["q1_group_totals_ms"] / out["q1_ms"]
    pairs = zip(times["q1_ms"][1:], times["q1_group_totals_ms"][1:])
    out["paired_ratio"] = statistics.median(b / a for a, b in pairs)
    return out


def _fields(query: ActivityQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__dataclass_fields__}


def measure(agents: int, hours: float, end: int, runs: int) -> dict[str, Any]:
    """Simulate `hours` for `agents` agents, build the engine, then `run`."""
    ds = simulate(agents, hours, end)
    engine = Engine(cache_bytes=0)  # rendering timed, not the kept scopes
    for i in range(0, len(ds.events), 1000):
        engine.apply(ACCOUNT, enumerate(ds.events[i : i + 1000], start=i + 1))
    return run(engine, agents, end, runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.groups", description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    end = time.time_ns() // 1_000_000
    json.dump(measure(args.agents, args.hours, end, args.runs), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
