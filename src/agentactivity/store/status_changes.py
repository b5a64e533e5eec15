"""Reading the status-change records (store/status_projection.py writes them): the pages
of the Status Changes API, written once for every backend.

A v2 page is one range of the records' primary key (time, agent, event seq, part). Its
offset is found without skipping every record before it: the hourly counts
(`status_change_hours`) give how many records each whole hour of the range holds, so
the page starts from the hour its first record is in, and SQL's OFFSET skips at most
one hour's records. The partial hours at both ends of the range are counted directly
(at most two hours of one index range). With a list of agents (agentId, empId, groupId)
the page is read with OFFSET over those agents' records in the same order: for a few
agents from the by-agent index, sorted; for many, along the primary key.

A v1 page counts agents: the agents with a record in the range, found by one probe of
the by-agent index per agent that has records at all (`status_tails`), then the
records of the page's agents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agentactivity.clock import HOUR_MS
from agentactivity.store.adapter import Adapter, Sql

# A record as read: agent_id, time, session_id, sequence_number, status_type,
# status_sub_type, reason_id, prev_time.
Row = tuple[int, int, int, int, int, int, "str | None", "int | None"]
_COLUMNS = (
    "agent_id, time, session_id, sequence_number, status_type, status_sub_type, reason_id, "
    "prev_time"
)
_ORDER = "ORDER BY time, agent_id, event_seq, part"
# Up to this many agents, a page of theirs reads each one's records by the by-agent
# index and sorts them (`time + 0` keeps the planner off the primary key's order, which
# would scan every agent's records up to the page); beyond, it scans the primary key.
FEW_AGENTS = 200
_ORDER_OF_FEW = "ORDER BY time + 0, agent_id, event_seq, part"


@dataclass(frozen=True, slots=True)
class Page:
    total: int  # records (v2) or agents (v1) in the range
    rows: list[Row]


class StatusChanges:
    """The accounts' status-change records, read by pages."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    def page(
        self,
        account_id: str,
        start: int,
        end: int,
        agents: Sequence[int] | None,
        offset: int,
        limit: int,
    ) -> Page:
        """v2: the records with start <= time < end (of `agents`; None: all) in
        (time, agent, event order), `limit` of them from the `offset`-th, and how many
        there are."""
        if agents is not None and not agents:
            return Page(0, [])
        with self._adapter.read() as sql:
            if agents is None:
                return _page_of_all(sql, account_id, start, end, offset, limit)
            condition, values = sql.any_of("agent_id", agents)
            where = f"account_id = ? AND time >= ? AND time < ? AND {condition}"
            params = (account_id, start, end, values)
            ((total,),) = sql(f"SELECT COUNT(*) FROM status_changes WHERE {where}", params)
            if offset >= total:
                return Page(int(total), [])
            order = _ORDER_OF_FEW if len(agents) <= FEW_AGENTS else _ORDER
            rows = sql(
                f"SELECT {_COLUMNS} FROM status_changes WHERE {where} {order} LIMIT ? OFFSET ?",
                (*params, limit, offset),
            )
        return Page(int(total), rows)

    def agents(
        self, account_id: str, start: int, end: int, agents: Sequence[int] | None
    ) -> list[int]:
        """v1: the agents (of `agents`; None: all) with a record in [start, end),
        ascending."""
        if agents is not None and not agents:
            return []
        with self._adapter.read() as sql:
            where = (
                "t.account_id = ? AND EXISTS (SELECT 1 FROM status_changes c WHERE "
                "c.account_id = t.account_id AND c.agent_id = t.agent_id AND c.time >= ? "
                "AND c.time < ?)"
            )
            params: tuple[object, ...] = (account_id, start, end)
            if agents is not None:
                condition, values = sql.any_of("t.agent_id", agents)
                where, params = f"{where} AND {condition}", (*params, values)
            rows = sql(f"SELECT t.agent_id FROM status_tails t WHERE {where}", params)
        return sorted(row[0] for row in rows)

    def of_agents(self, account_id: str, start: int, end: int, agents: Sequence[int]) -> list[Row]:
        """v1: the records of `agents` in [start, end), by agent, then in their order."""
        if not agents:
            return []
        with self._adapter.read() as sql:
            condition, values = sql.any_of("agent_id", agents)
            rows = sql(
                f"SELECT {_COLUMNS} FROM status_changes WHERE account_id = ? AND time >= ? "
                f"AND time < ? AND {condition} ORDER BY agent_id, time, event_seq, part",
                (account_id, start, end, values),
            )
        return rows


def _count(sql: Sql, account_id: str, start: int, end: int) -> int:
    ((count,),) = sql(
        "SELECT COUNT(*) FROM status_changes WHERE account_id = ? AND time >= ? AND time < ?",
        (account_id, start, end),
    )
    return int(count)


def _read(sql: Sql, account_id: str, start: int, end: int, offset: int, limit: int) -> list[Row]:
    return sql(
        f"SELECT {_COLUMNS} FROM status_changes WHERE account_id = ? AND time >= ? "
        f"AND time < ? {_ORDER} LIMIT ? OFFSET ?",
        (account_id, start, end, limit, offset),
    )


def _page_of_all(sql: Sql, account_id: str, start: int, end: int, offset: int, limit: int) -> Page:
    first_hour = -(-start // HOUR_MS) * HOUR_MS  # the first whole hour's start
    last_hour = end - end % HOUR_MS  # the end of the last whole hour
    if first_hour >= last_hour:  # no whole hour: at most two partial ones
        total = _count(sql, account_id, start, end)
        rows = _read(sql, account_id, start, end, offset, limit) if offset < total else []
        return Page(total, rows)
    head = _count(sql, account_id, start, first_hour)
    hours = sql(
        "SELECT hour, records FROM status_change_hours WHERE account_id = ? AND hour >= ? "
        "AND hour < ? ORDER BY hour",
        (account_id, first_hour, last_hour),
    )
    tail = _count(sql, account_id, last_hour, end)
    total = head + sum(int(records) for _hour, records in hours) + tail
    if offset >= total:
        return Page(total, [])
    # Where the page's first record is (the head, an hour, or the tail), and the end of
    # the hour its last one is in: the read covers those hours only, so that it stays a
    # few thousand rows whatever plan the database picks (PostgreSQL, before its
    # statistics know the table, sorted the whole range: 0.6 s).
    begin, skip, stop = start, offset, first_hour
    counted = head  # records before the hour the loop is at
    for hour, records in hours:
        if counted >= offset + limit:
            break
        if counted <= offset:
            begin, skip = hour, offset - counted
        counted += int(records)
        stop = hour + HOUR_MS
    else:
        stop = end
        if counted <= offset:
            begin, skip = last_hour, offset - counted
    return Page(total, _read(sql, account_id, begin, stop, skip, limit))
