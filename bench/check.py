"""The assertion that comes before any timing: DuckDB's figures are the engine's.

Two levels, both over every scope (the window and each interval) and every agent:

- ms: the engine's raw figures (`AccountTimelines.figures`) against DuckDB's sums, for
  the three states, "Logged in" and every Away reason (total, chatting, at max);
- the whole response: the JSON structure built from DuckDB's numbers by
  `sql_baseline.shape` (listing rule, key order, reason order, floored seconds) against
  the engine's `agent_activity` answer.

`check_adversarial` makes that assertion on events made to break naive implementations,
before the benchmark proper; `duckdb_figures` is the DuckDB call checked, then timed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb

from agentactivity.engine import Engine
from agentactivity.query import ActivityQuery
from bench import sql_baseline
from bench.data import adversarial, queries, scopes_of
from bench.in_process import ACCOUNT, build_engine

STATE_KEYS = ("ONLINE", "BACK_SOON", "AWAY")


class Mismatch(AssertionError):
    """DuckDB and the engine disagree: the benchmark stops before timing anything."""


def engine_ms(
    engine: Engine, account: str, agent_ids: Sequence[int] | None, scopes: list[tuple[int, int]]
) -> dict[int, dict[int, dict[Any, tuple[int, ...]]]]:
    """The engine's ms figures in the form of `sql_baseline.ms_figures` (zeros left out)."""
    timelines = engine.account(account)
    if timelines is None:
        return {}
    figures = timelines.figures(tuple(agent_ids) if agent_ids is not None else None, scopes)
    out: dict[int, dict[int, dict[Any, tuple[int, ...]]]] = {}
    states = figures.states.tolist()
    for row, agent in enumerate(figures.agent_ids):
        for k in range(len(scopes)):
            cols = states[row][k]
            keys: dict[Any, tuple[int, ...]] = {}
            for g, name in enumerate(STATE_KEYS):
                value = tuple(cols[3 * g : 3 * g + 3])
                if value[0]:
                    keys[name] = value
            logged_in = tuple(sum(cols[3 * g + i] for g in range(3)) for i in range(3))
            if logged_in[0]:
                keys["LOGGED_IN"] = logged_in
                out.setdefault(k, {})[agent] = keys
    reasons = figures.reasons.tolist()
    for series, row in enumerate(figures.reason_rows.tolist()):
        agent = figures.agent_ids[row]
        for k in range(len(scopes)):
            value = tuple(reasons[series][k])
            if value[0]:
                key = ("AWAY", figures.reason_ids[series])
                out.setdefault(k, {}).setdefault(agent, {})[key] = value
    return out


def _nonzero(figs: Mapping[int, Mapping[int, Mapping[Any, tuple[int, ...]]]]) -> dict[Any, Any]:
    return {
        k: {
            agent: {key: tuple(v) for key, v in keys.items() if v[0]}
            for agent, keys in agents.items()
            if any(v[0] for v in keys.values())
        }
        for k, agents in figs.items()
    }


def assert_same(
    name: str,
    engine: Engine,
    account: str,
    query: ActivityQuery,
    ours: dict[str, Any],
    rows: list[tuple[Any, ...]],
) -> None:
    """Raise Mismatch unless DuckDB's rows give exactly the engine's figures and answer."""
    scopes, stamps = scopes_of(query, query.to or 0)
    theirs_ms = _nonzero(sql_baseline.ms_figures(rows))
    ours_ms = _nonzero(engine_ms(engine, account, query.agent_ids, scopes))
    ours_ms = {k: v for k, v in ours_ms.items() if v}
    theirs_ms = {k: v for k, v in theirs_ms.items() if v}
    if ours_ms != theirs_ms:
        for k in sorted(set(ours_ms) | set(theirs_ms)):
            a, b = ours_ms.get(k, {}), theirs_ms.get(k, {})
            for agent in sorted(set(a) | set(b)):
                if a.get(agent) != b.get(agent):
                    raise Mismatch(
                        f"{name}: ms figures differ in scope {k} {scopes[k]} for agent {agent}: "
                        f"engine {a.get(agent)} vs DuckDB {b.get(agent)}"
                    )
    theirs = sql_baseline.shape(rows, stamps, query.version)
    if theirs != ours:
        where = sql_baseline.first_difference(ours, theirs)
        raise Mismatch(f"{name}: the response built from DuckDB's figures differs at {where}")


def duckdb_figures(
    con: duckdb.DuckDBPyConnection, query: ActivityQuery
) -> tuple[Callable[[], list[tuple[Any, ...]]], list[int]]:
    """The timed DuckDB call for one query (scopes table set up first) and its stamps."""
    scopes, stamps = scopes_of(query, query.to or 0)
    sql_baseline.set_scopes(con, scopes)
    sql = sql_baseline.prepare(query.agent_ids)
    window_end = scopes[0][1]
    return (lambda: sql_baseline.run(con, sql, window_end)), stamps


def check_adversarial(end: int, threads: int | None) -> dict[str, Any]:
    """DuckDB against the engine on events made to break naive implementations."""
    checked = 0
    for seed in range(3):
        events = adversarial(seed, end)
        engine = build_engine(events)
        con = sql_baseline.connect(threads)
        sql_baseline.load(con, events)
        extra = {"Q5": ActivityQuery(timeframe=180, agent_ids=None, version=2, interval=5, to=end)}
        for name, query in {**queries(end), **extra}.items():
            run, _ = duckdb_figures(con, query)
            assert_same(
                f"adversarial seed {seed} {name}",
                engine,
                ACCOUNT,
                query,
                engine.agent_activity(ACCOUNT, query, end),
                run(),
            )
            checked += 1
        con.close()
    return {"datasets": 3, "queries_checked": checked, "events_per_dataset": len(events)}
