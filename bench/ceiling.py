"""The ingest ceiling: the same rows straight into SQLite with `executemany`.

Same durability as the service: WAL, `synchronous=FULL`, one transaction (one fsync'd
commit) per 1,000 events. The table has the layout of the store's event log (primary
key (account, seq), unique (account, event_id) for idempotency), so the only things
left out are what the service does on top: HTTP, OAuth, JSON decoding, validation, the
duplicate look-up and the engine update. A plain table without the event_id index is
measured too, to show what the idempotency index costs.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from agentactivity.events import Event
from agentactivity.store.migrations import SQLITE_V1

# The store's own layout (schema version 1): the events table and its event_id index.
TABLE, EVENT_ID_INDEX = SQLITE_V1[2], SQLITE_V1[3]
INSERT = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def executemany_rate(
    path: Path,
    events: list[Event],
    batch: int = 1000,
    with_index: bool = True,
    advance: Callable[[int], None] | None = None,
) -> float:
    """Events per second committed, one transaction per `batch`."""
    rows = [
        (
            "12345678",
            seq,
            e.event_id,
            e.agent_id,
            e.time,
            e.type,
            e.state,
            e.reason_id,
            e.chat_id,
            e.max_chats,
        )
        for seq, e in enumerate(events, start=1)
    ]
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(TABLE)
        if with_index:
            db.execute(EVENT_ID_INDEX)
        started = time.perf_counter()
        for i in range(0, len(rows), batch):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(INSERT, rows[i : i + batch])
            db.execute("COMMIT")
            if advance:
                advance(1)
        elapsed = time.perf_counter() - started
    finally:
        db.close()
    return len(rows) / elapsed
