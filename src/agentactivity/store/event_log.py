"""The accounts and their event logs, written once for every backend (store/adapter.py).

Each account's events are numbered by its own sequence (1, 2, 3, ... without gaps) in
arrival order, `accounts.last_seq` being the last number given. A batch is one
transaction that first locks its account's row, so concurrent batches of one account
run one after the other, each numbering on from the `last_seq` the previous one
committed: sequences become visible in order, which the engine's catch-up by sequence
relies on (a reader never sees seq n + 1 without n). The batch's status-change records
(store/status_projection.py) are written in the same transaction. Batches of different accounts do
not wait for each other on PostgreSQL (SQLite has one writer at a time anyway).
"""

from __future__ import annotations

from collections.abc import Sequence

from agentactivity.clock import now_ms
from agentactivity.events import Event
from agentactivity.retention import prunable
from agentactivity.store import status_projection
from agentactivity.store.adapter import NOTHING_STORED, Adapter, Sql
from agentactivity.store.base import AppendResult, event_row, number_new_events
from agentactivity.store.event_window import read_window

EVENT_COLUMNS = (
    "account_id, seq, event_id, agent_id, time, type, state, reason_id, chat_id, max_chats"
)


def ensure_account(sql: Sql, account_id: str) -> None:
    sql(
        "INSERT INTO accounts (account_id, created_at) VALUES (?, ?) "
        "ON CONFLICT (account_id) DO NOTHING",
        (account_id, now_ms()),
    )


def lock_account(sql: Sql, account_id: str) -> int:
    """Create the account if needed and lock it until the transaction ends; returns its
    last_seq as of the previous committed batch."""
    ensure_account(sql, account_id)
    ((last_seq,),) = sql(
        "SELECT last_seq FROM accounts WHERE account_id = ?" + sql.lock_clause, (account_id,)
    )
    return int(last_seq)


class EventLog:
    """Every account's event log."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    def ensure_account(self, account_id: str) -> None:
        with self._adapter.transaction() as sql:
            ensure_account(sql, account_id)

    def account_ids(self) -> list[str]:
        with self._adapter.read() as sql:
            rows = sql("SELECT account_id FROM accounts ORDER BY account_id")
        return [row[0] for row in rows]

    def agent_ids(self, account_id: str) -> list[int]:
        with self._adapter.read() as sql:
            rows = sql(
                "SELECT agent_id FROM agents WHERE account_id = ? ORDER BY agent_id", (account_id,)
            )
        return [int(row[0]) for row in rows]

    def last_seq(self, account_id: str) -> int:
        with self._adapter.read() as sql:
            rows = sql("SELECT last_seq FROM accounts WHERE account_id = ?", (account_id,))
        return int(rows[0][0]) if rows else 0

    def last_seqs(self) -> dict[str, int]:
        with self._adapter.read() as sql:
            rows = sql("SELECT account_id, last_seq FROM accounts")
        return {account_id: last_seq for account_id, last_seq in rows}

    def append(self, account_id: str, events: list[Event]) -> AppendResult:
        """Store the events not seen before (by eventId), atomically and durably."""
        with self._adapter.transaction(undone=NOTHING_STORED) as sql:
            last_seq = lock_account(sql, account_id)
            seen = sql.where_in(
                "SELECT event_id FROM events WHERE account_id = ?",
                (account_id,),
                "event_id",
                list({event.event_id for event in events}),
            )
            stored = number_new_events(events, {row[0] for row in seen}, last_seq)
            rows = [event_row(account_id, seq, event) for seq, event in stored]
            last_seq += len(rows)
            if rows:
                # No other batch of this account can run until we commit (the lock), so
                # nothing can take these event ids meanwhile; the unique index stays the
                # last word if something did.
                sql.insert_many("events", EVENT_COLUMNS, rows)
                # The account's agents, for reads of the history (store/event_window.py);
                # the account's lock keeps another batch from adding the same ones.
                agents = {row[3] for row in rows}
                known = sql.where_in(
                    "SELECT agent_id FROM agents WHERE account_id = ?",
                    (account_id,),
                    "agent_id",
                    list(agents),
                )
                new_agents = sorted(agents - {row[0] for row in known})
                if new_agents:
                    sql.insert_many(
                        "agents", "account_id, agent_id", [(account_id, a) for a in new_agents]
                    )
                status_projection.project(sql, account_id, stored)
                sql(
                    "UPDATE accounts SET last_seq = ? WHERE account_id = ?",
                    (last_seq, account_id),
                )
        return AppendResult(len(rows), len(events) - len(rows), last_seq, tuple(stored))

    def read_after(
        self, account_id: str, after_seq: int, limit: int = 50_000
    ) -> list[tuple[int, Event]]:
        """Events with seq > after_seq in seq order, at most `limit`."""
        with self._adapter.read() as sql:
            rows = sql(
                "SELECT seq, type, agent_id, time, event_id, state, reason_id, chat_id, "
                "max_chats FROM events WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (account_id, after_seq, limit),
            )
        return [(row[0], Event(*row[1:])) for row in rows]

    def read_window(
        self,
        account_id: str,
        start_ms: int,
        end_ms: int,
        agent_ids: Sequence[int] | None,
        max_seq: int,
    ) -> list[tuple[int, Event]]:
        """See event_window.read_window."""
        return read_window(self._adapter, account_id, start_ms, end_ms, agent_ids, max_seq)

    def prune(self, account_id: str, before_ms: int) -> int:
        """Delete the account's events older than `before_ms` that no longer matter
        (see `retention.events_to_keep`), and its status-change records of the hours
        before (store/status_projection.py); returns how many events were deleted."""
        with self._adapter.transaction() as sql:
            # The account's lock, from read to delete: a batch committed meanwhile could
            # otherwise change which old events still matter.
            locked = sql(
                "SELECT last_seq FROM accounts WHERE account_id = ?" + sql.lock_clause,
                (account_id,),
            )
            if not locked:
                return 0  # no such account: no events (and none is created)
            # Per agent through events_by_agent_time: only the events before the edge
            # are read, however long the history behind it. CROSS JOIN makes SQLite loop
            # over the agents (PostgreSQL plans it as any join): with a plain JOIN it
            # drove from `events`, reading every row of the account (35 s at 10 million
            # events, the write lock held and /readyz waiting, even with nothing to prune).
            rows = sql(
                "SELECT e.agent_id, e.time, e.seq, e.type, e.state, e.reason_id, e.chat_id, "
                "e.max_chats FROM agents a CROSS JOIN events e WHERE a.account_id = ? "
                "AND e.account_id = a.account_id AND e.agent_id = a.agent_id AND e.time < ? "
                "ORDER BY e.agent_id, e.time, e.seq",
                (account_id, before_ms),
            )
            later = {
                row[0]
                for row in sql(
                    "SELECT a.agent_id FROM agents a WHERE a.account_id = ? AND EXISTS ("
                    "SELECT 1 FROM events e WHERE e.account_id = a.account_id "
                    "AND e.agent_id = a.agent_id AND e.time >= ?)",
                    (account_id, before_ms),
                )
            }
            doomed = list(prunable(((row[0], row[1:]) for row in rows), later))
            sql.where_in("DELETE FROM events WHERE account_id = ?", (account_id,), "seq", doomed)
            status_projection.prune(sql, account_id, before_ms)
        return len(doomed)
