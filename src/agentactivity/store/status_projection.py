"""The status-change records (status_changes.py) kept in step with the event log, inside
the transaction that stores each batch (store/event_log.py), so that they are as
durable and as consistent as the events, whichever process wrote them.

Per batch, for each agent with `state` events in it:

- in order (no new event earlier than the agent's latest state event, the usual case):
  the records follow from the agent's tail (`status_tails`: its situation after that
  event, one row read per agent, all in one statement);
- late (an event earlier than that): the agent's records are derived again from its
  last record at or before the earliest new event (the anchor: the situation after it
  is known from the record itself); the records after the anchor's event are deleted
  and the agent's state events after it are replayed from the events table.

`status_change_hours` counts the records of each hour, changed with them.

Pruning (EventLog.prune) deletes the records of the hours before the boundary's hour
and their counts, but keeps each agent's last record before it: the anchor of a late
event that lands after the boundary with no record of the agent in between.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from agentactivity.clock import HOUR_MS
from agentactivity.events import Event
from agentactivity.status_changes import (
    LOGGED_OUT,
    Situation,
    StateEvent,
    StatusChange,
    derive,
)
from agentactivity.store.adapter import Sql

RECORD_COLUMNS = (
    "account_id, time, agent_id, event_seq, part, session_id, sequence_number, "
    "status_type, status_sub_type, reason_id, prev_time"
)
TAIL_COLUMNS = (
    "account_id, agent_id, last_time, state, reason_id, session_id, sequence_number, last_change"
)
# A record's own columns (after account_id, time, agent_id): StatusChange's fields.
_RECORD = "time, event_seq, part, session_id, sequence_number, status_type, status_sub_type, "
_RECORD += "reason_id, prev_time"
# Agents whose records a rebuild derives per statement.
REBUILD_AGENTS = 200


def record_row(account_id: str, agent_id: int, record: StatusChange) -> tuple[Any, ...]:
    return (
        account_id,
        record.time,
        agent_id,
        record.event_seq,
        record.part,
        record.session_id,
        record.sequence_number,
        record.status_type,
        record.status_sub_type,
        record.reason_id,
        record.prev_time,
    )


def _tail_row(account_id: str, agent_id: int, last_time: int, s: Situation) -> tuple[Any, ...]:
    return (
        account_id,
        agent_id,
        last_time,
        s.state,
        s.reason,
        s.session_id,
        s.sequence_number,
        s.last_change,
    )


class _Changes:
    """What one batch changes: records to insert, tails to write, counts per hour."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.rows: list[tuple[Any, ...]] = []
        self.tails: list[tuple[Any, ...]] = []
        self.hours: Counter[int] = Counter()

    def add(self, agent_id: int, records: Iterable[StatusChange]) -> None:
        for record in records:
            self.rows.append(record_row(self.account_id, agent_id, record))
            self.hours[record.time - record.time % HOUR_MS] += 1

    def write(self, sql: Sql) -> None:
        account_id = self.account_id
        if self.tails:
            agents = [row[1] for row in self.tails]
            sql.where_in(
                "DELETE FROM status_tails WHERE account_id = ?", (account_id,), "agent_id", agents
            )
            sql.insert_many("status_tails", TAIL_COLUMNS, self.tails)
        if self.rows:
            sql.insert_many("status_changes", RECORD_COLUMNS, self.rows)
        for hour, delta in sorted(self.hours.items()):
            if delta:
                sql(
                    "INSERT INTO status_change_hours (account_id, hour, records) VALUES (?, ?, ?) "
                    "ON CONFLICT (account_id, hour) "
                    "DO UPDATE SET records = status_change_hours.records + excluded.records",
                    (account_id, hour, delta),
                )


def project(sql: Sql, account_id: str, stored: Sequence[tuple[int, Event]]) -> None:
    """Derive the records of a batch's accepted events (already inserted, numbered by
    their seq) in the transaction that stores them."""
    by_agent: dict[int, list[StateEvent]] = {}
    for seq, event in stored:
        if event.type == "state":
            state = event.state or ""
            by_agent.setdefault(event.agent_id, []).append(
                (event.time, seq, state, event.reason_id)
            )
    if not by_agent:
        return
    tails = {
        row[0]: (row[1], Situation(row[2], row[3], row[4], row[5], row[6]))
        for row in sql.where_in(
            "SELECT agent_id, last_time, state, reason_id, session_id, sequence_number, "
            "last_change FROM status_tails WHERE account_id = ?",
            (account_id,),
            "agent_id",
            list(by_agent),
        )
    }
    changes = _Changes(account_id)
    for agent_id, events in by_agent.items():
        events.sort(key=lambda event: (event[0], event[1]))
        last_time, situation = tails.get(agent_id, (events[0][0], LOGGED_OUT))
        if events[0][0] >= last_time:
            records, situation = derive(situation, events)
        else:
            records, situation = _derive_again(sql, changes, agent_id, events[0][0])
        changes.add(agent_id, records)
        changes.tails.append(
            _tail_row(account_id, agent_id, max(last_time, events[-1][0]), situation)
        )
    changes.write(sql)


def _derive_again(
    sql: Sql, changes: _Changes, agent_id: int, since: int
) -> tuple[list[StatusChange], Situation]:
    """An agent's records from its anchor (its last record at or before `since`) on:
    those after the anchor's event are deleted (and uncounted), its state events after
    that event replayed. The new events are stored already, with the highest seqs."""
    account_id = changes.account_id
    anchor = sql(
        f"SELECT {_RECORD} FROM status_changes WHERE account_id = ? AND agent_id = ? "
        "AND time <= ? ORDER BY time DESC, event_seq DESC, part DESC LIMIT 1",
        (account_id, agent_id, since),
    )
    after = (-(2**63), 0)
    situation = LOGGED_OUT
    if anchor:
        record = StatusChange(*anchor[0])
        after = (record.time, record.event_seq)
        situation = Situation.after(record)
    later = "account_id = ? AND agent_id = ? AND (time > ? OR (time = ? AND event_seq > ?))"
    params = (account_id, agent_id, after[0], after[0], after[1])
    for (time,) in sql(f"SELECT time FROM status_changes WHERE {later}", params):
        changes.hours[time - time % HOUR_MS] -= 1
    sql(f"DELETE FROM status_changes WHERE {later}", params)
    events = [
        (time, seq, state, reason_id)
        for time, seq, state, reason_id in sql(
            "SELECT time, seq, state, reason_id FROM events WHERE account_id = ? "
            "AND agent_id = ? AND time >= ? AND type = 'state' ORDER BY time, seq",
            (account_id, agent_id, after[0]),
        )
        if (time, seq) > after
    ]
    return derive(situation, events)


def rebuild(sql: Sql) -> None:
    """Every account's records derived anew from its stored state events (the schema
    migration that adds them, over the events already stored)."""
    for (account_id,) in sql("SELECT account_id FROM accounts ORDER BY account_id"):
        for table in ("status_changes", "status_tails", "status_change_hours"):
            sql(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))
        agents = [
            row[0]
            for row in sql(
                "SELECT DISTINCT agent_id FROM events WHERE account_id = ? AND type = 'state'",
                (account_id,),
            )
        ]
        for start in range(0, len(agents), REBUILD_AGENTS):
            chunk = agents[start : start + REBUILD_AGENTS]
            rows = sql.where_in(
                "SELECT agent_id, time, seq, state, reason_id FROM events "
                "WHERE account_id = ? AND type = 'state'",
                (account_id,),
                "agent_id",
                chunk,
            )
            by_agent: dict[int, list[StateEvent]] = {}
            for agent_id, time, seq, state, reason_id in rows:
                by_agent.setdefault(agent_id, []).append((time, seq, state, reason_id))
            changes = _Changes(account_id)
            for agent_id, events in by_agent.items():
                events.sort(key=lambda event: (event[0], event[1]))
                records, situation = derive(LOGGED_OUT, events)
                changes.add(agent_id, records)
                changes.tails.append(_tail_row(account_id, agent_id, events[-1][0], situation))
            changes.write(sql)


def prune(sql: Sql, account_id: str, before_ms: int) -> int:
    """Delete the account's records of the hours before `before_ms`'s hour but each
    agent's last one before it, and those hours' counts; returns how many went."""
    boundary = before_ms - before_ms % HOUR_MS
    ((doomed,),) = sql(
        "SELECT COUNT(*) FROM status_changes WHERE account_id = ? AND time < ?",
        (account_id, boundary),
    )
    if not doomed:
        return 0
    kept = sql(
        "SELECT agent_id, time, event_seq, part FROM (SELECT agent_id, time, event_seq, part, "
        "ROW_NUMBER() OVER (PARTITION BY agent_id ORDER BY time DESC, event_seq DESC, "
        "part DESC) AS n FROM status_changes WHERE account_id = ? AND time < ?) AS ranked "
        "WHERE n = 1",
        (account_id, boundary),
    )
    # Deleted up to each agent's anchor, one statement per agent that has rows to go.
    for agent_id, time, event_seq, part in kept:
        sql(
            "DELETE FROM status_changes WHERE account_id = ? AND agent_id = ? AND "
            "(time < ? OR (time = ? AND (event_seq < ? OR (event_seq = ? AND part < ?))))",
            (account_id, agent_id, time, time, event_seq, event_seq, part),
        )
    sql(
        "DELETE FROM status_change_hours WHERE account_id = ? AND hour < ?",
        (account_id, boundary),
    )
    return int(doomed) - len(kept)
