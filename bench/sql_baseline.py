"""The baseline: the same figures computed by DuckDB from the same events, in SQL.

This is the query an analyst would write against an `events` table, with nothing
precomputed: every query replays each agent's whole history with window functions.

1. Per agent, in (time, seq) order, count the OFFLINE events seen so far: the *epoch*.
   Every OFFLINE ends all chats (SPEC section 2), so chat activity never carries across
   epochs and each epoch starts with no active chat.
2. Per (agent, chat, epoch), LAG gives the chat's previous event: a `chat_start` adds the
   chat only when it was not active already (+1), a `chat_end` removes it only when it
   was active (-1); anything else is a no-op (0). A running sum of those +1/-1 per
   (agent, epoch) is the number of active chats after every event. Chats started while
   logged out count, as the SPEC says.
3. State, Away reason and chat limit are carried forward from the last event that set
   them (LAST_VALUE ... IGNORE NULLS); LEAD(time) closes each event's situation into a
   segment [time, next time). Same-millisecond events give zero-length segments, so
   only the situation after the last of them counts.
4. Logged-in segments are clipped to every scope (the window and each interval) with a
   range join and summed per (scope, agent, state), per (scope, agent) (Logged in) and
   per (scope, agent, Away reason): total ms, ms while chatting, ms at max concurrency.

`shape` turns those ms rows into the reference's JSON structure, independently of the
engine's own response code, so that the two can be compared as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np

from agentactivity.events import Event

FAR_FUTURE = 2**62

SQL = """
WITH ev AS (
    SELECT agent_id, time, seq, type, state, reason_id, chat_id, max_chats
    FROM events
    WHERE time < $window_end {agent_filter}
),
epochs AS (
    SELECT *,
        SUM(CASE WHEN type = 'state' AND state = 'OFFLINE' THEN 1 ELSE 0 END) OVER (
            PARTITION BY agent_id ORDER BY time, seq ROWS UNBOUNDED PRECEDING
        ) AS epoch
    FROM ev
),
chat_prev AS (
    SELECT *,
        LAG(type) OVER (PARTITION BY agent_id, chat_id, epoch ORDER BY time, seq) AS prev_type
    FROM epochs
),
toggles AS (
    SELECT *,
        CASE
            WHEN type = 'chat_start' AND prev_type IS DISTINCT FROM 'chat_start' THEN 1
            WHEN type = 'chat_end' AND prev_type = 'chat_start' THEN -1
            ELSE 0
        END AS delta
    FROM chat_prev
),
situations AS (
    SELECT agent_id, time,
        LEAD(time) OVER by_time AS next_time,
        COALESCE(
            LAST_VALUE(CASE WHEN type = 'state' THEN state END IGNORE NULLS) OVER so_far,
            'OFFLINE'
        ) AS state,
        LAST_VALUE(CASE WHEN type = 'state' THEN COALESCE(reason_id, '') END IGNORE NULLS)
            OVER so_far AS reason,
        COALESCE(LAST_VALUE(max_chats IGNORE NULLS) OVER so_far, 0) AS max_chats,
        SUM(delta) OVER (
            PARTITION BY agent_id, epoch ORDER BY time, seq ROWS UNBOUNDED PRECEDING
        ) AS chats
    FROM toggles
    WINDOW by_time AS (PARTITION BY agent_id ORDER BY time, seq),
           so_far AS (PARTITION BY agent_id ORDER BY time, seq ROWS UNBOUNDED PRECEDING)
),
segments AS (
    SELECT agent_id, time AS seg_start, COALESCE(next_time, {far_future}) AS seg_end,
        state,
        CASE WHEN state = 'AWAY' AND reason <> '' THEN reason END AS reason,
        chats >= 1 AS chatting,
        max_chats > 0 AND chats >= max_chats AS at_max
    FROM situations
    WHERE state <> 'OFFLINE' AND (next_time IS NULL OR next_time > time)
),
clipped AS (
    SELECT s.k, g.agent_id, g.state, g.reason, g.chatting, g.at_max,
        LEAST(g.seg_end, s.b) - GREATEST(g.seg_start, s.a) AS ms
    FROM segments g JOIN scopes s ON g.seg_start < s.b AND g.seg_end > s.a
)
SELECT k, agent_id, state, reason,
    GROUPING(state) AS no_state, GROUPING(reason) AS no_reason,
    SUM(ms)::BIGINT AS total,
    COALESCE(SUM(ms) FILTER (WHERE chatting), 0)::BIGINT AS chatting,
    COALESCE(SUM(ms) FILTER (WHERE at_max), 0)::BIGINT AS at_max
FROM clipped
GROUP BY GROUPING SETS ((k, agent_id), (k, agent_id, state), (k, agent_id, state, reason))
"""


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def load(con: duckdb.DuckDBPyConnection, events: Sequence[Event]) -> None:
    """The events, with their store sequence (1-based, in list order), as table `events`."""
    n = len(events)
    columns: dict[str, np.ndarray] = {
        "agent_id": np.fromiter((e.agent_id for e in events), dtype=np.int64, count=n),
        "time": np.fromiter((e.time for e in events), dtype=np.int64, count=n),
        "seq": np.arange(1, n + 1, dtype=np.int64),
        "type": np.array([e.type for e in events], dtype=object),
        "state": np.array([e.state for e in events], dtype=object),
        "reason_id": np.array([e.reason_id for e in events], dtype=object),
        "chat_id": np.array([e.chat_id for e in events], dtype=object),
        "max_chats": np.array([e.max_chats for e in events], dtype=object),
    }
    con.register("events_in", columns)
    con.execute("DROP TABLE IF EXISTS events")
    con.execute(
        "CREATE TABLE events AS SELECT agent_id, time, seq, type, state, reason_id, chat_id, "
        "max_chats::INTEGER AS max_chats FROM events_in"
    )
    con.unregister("events_in")


def prepare(agent_ids: Sequence[int] | None) -> str:
    """The SQL text for one agent selection (None: all agents)."""
    agent_filter = ""
    if agent_ids is not None:
        agent_filter = "AND agent_id IN (" + ",".join(str(int(a)) for a in agent_ids) + ")"
    return SQL.format(agent_filter=agent_filter, far_future=FAR_FUTURE)


def set_scopes(con: duckdb.DuckDBPyConnection, scopes: Sequence[tuple[int, int]]) -> None:
    """Scope k is [a, b): k = 0 the window, k >= 1 the intervals, newest first."""
    con.execute("CREATE OR REPLACE TEMP TABLE scopes (k INTEGER, a BIGINT, b BIGINT)")
    con.executemany(
        "INSERT INTO scopes VALUES (?, ?, ?)", [(k, a, b) for k, (a, b) in enumerate(scopes)]
    )


def run(con: duckdb.DuckDBPyConnection, sql: str, window_end: int) -> list[tuple[Any, ...]]:
    """The timed part: execute the query and fetch every row."""
    return con.execute(sql, {"window_end": window_end}).fetchall()


# --- shaping: ms rows into the reference's JSON structure (independent of the engine) --


def _value(total: int, chatting: int, at_max: int) -> dict[str, int]:
    return {
        "total": total // 1000,
        "chatting": chatting // 1000,
        "notChatting": (total - chatting) // 1000,
        "chattingInMaxConcurrency": at_max // 1000,
    }


ZERO = (0, 0, 0)


def ms_figures(rows: list[tuple[Any, ...]]) -> dict[int, dict[int, dict[Any, tuple[int, ...]]]]:
    """{scope: {agent: {key: (total, chatting, at_max) ms}}}; key is "LOGGED_IN", a state,
    or ("AWAY", reason)."""
    out: dict[int, dict[int, dict[Any, tuple[int, ...]]]] = {}
    for k, agent, state, reason, no_state, no_reason, total, chatting, at_max in rows:
        if no_state:
            key: Any = "LOGGED_IN"
        elif no_reason:
            key = state
        elif reason is None:
            continue  # the state's time outside any reason: already in the state row
        else:
            key = ("AWAY", reason)
        out.setdefault(k, {}).setdefault(agent, {})[key] = (total, chatting, at_max)
    return out


def shape(
    rows: list[tuple[Any, ...]],
    interval_stamps: Sequence[int],
    version: int = 1,
    names: tuple[str, str, str, str] = ("Online", "Back in 5", "Away", "Logged in"),
) -> dict[str, Any]:
    """The whole response body of SPEC section 3 from DuckDB's ms rows."""
    figures = ms_figures(rows)

    def agents_metrics(k: int) -> dict[str, Any]:
        per_agent: dict[str, Any] = {}
        for agent, keys in sorted(figures.get(k, {}).items()):
            if keys.get("LOGGED_IN", ZERO)[0] <= 0:
                continue
            reasons = sorted(
                ((key[1], ms) for key, ms in keys.items() if isinstance(key, tuple) and ms[0] > 0),
                key=lambda item: (-item[1][0], item[0]),
            )
            per_agent[str(agent)] = [
                {"id": 2, "name": names[0], "value": _value(*keys.get("ONLINE", ZERO))},
                {"id": 3, "name": names[1], "value": _value(*keys.get("BACK_SOON", ZERO))},
                {
                    "reasons": [{"id": rid, "value": _value(*ms)} for rid, ms in reasons],
                    "id": 4,
                    "name": names[2],
                    "value": _value(*keys.get("AWAY", ZERO)),
                },
                {"id": -1, "name": names[3], "value": _value(*keys["LOGGED_IN"])},
            ]
        return {"metricsPerAgent": per_agent, "metricsTotals": []}

    body: dict[str, Any] = {}
    if interval_stamps:
        body["metricsByIntervals"] = [
            {"timestamp": stamp, "metricsData": {"agentsMetrics": agents_metrics(k)}}
            for k, stamp in enumerate(interval_stamps, start=1)
        ]
    body["agentsMetrics"] = agents_metrics(0)
    if version == 2:
        return {"meta": {"responseCode": 200}, "body": body}
    return body


def first_difference(ours: Any, theirs: Any, path: str = "$") -> str | None:
    """Where two JSON structures first differ, for the assertion message."""
    if type(ours) is not type(theirs):
        return f"{path}: engine {type(ours).__name__} vs DuckDB {type(theirs).__name__}"
    if isinstance(ours, dict):
        if list(ours) != list(theirs):
            only_ours = [k for k in ours if k not in theirs][:5]
            only_theirs = [k for k in theirs if k not in ours][:5]
            return f"{path}: keys differ (engine only {only_ours}, DuckDB only {only_theirs})"
        for key in ours:
            found = first_difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} items in the engine's vs {len(theirs)} in DuckDB's"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if ours == theirs else f"{path}: engine {ours!r} vs DuckDB {theirs!r}"
