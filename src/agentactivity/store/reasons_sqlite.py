"""Status reasons on the SQLite store's connection (see store/reasons.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from agentactivity.store.base import StoreBusyError
from agentactivity.store.reasons import ReasonCollections, Sql

if TYPE_CHECKING:
    from agentactivity.store.sqlite import SQLiteStore


def sqlite_reasons(store: SQLiteStore) -> ReasonCollections:
    def run(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return store._db.execute(sql, params).fetchall()

    @contextmanager
    def busy_as_retryable() -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            # Here, not at the top: store/sqlite.py imports this module.
            from agentactivity.store.sqlite import BUSY_TIMEOUT_S, _is_locked

            if _is_locked(exc):
                raise StoreBusyError(
                    f"the database is locked by another process (waited {BUSY_TIMEOUT_S:g} "
                    "s); nothing was changed, retry in a moment"
                ) from exc
            raise

    @contextmanager
    def transaction() -> Iterator[Sql]:
        # BEGIN IMMEDIATE takes the database's write lock: other writers, in this
        # process (the store's lock) or another, wait until COMMIT.
        with store._lock, busy_as_retryable():
            db = store._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield run
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @contextmanager
    def read() -> Iterator[Sql]:
        with store._lock, busy_as_retryable():
            yield run

    return ReasonCollections(transaction, read, lock_clause="")
