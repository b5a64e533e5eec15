"""Status reasons on the PostgreSQL store's pool (see store/reasons.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg

from agentactivity.store.reasons import ReasonCollections, Sql

if TYPE_CHECKING:
    from agentactivity.store.postgres import PostgresStore


def _runner(conn: psycopg.Connection[Any]) -> Sql:
    def run(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = conn.execute(sql.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []

    return run


def postgres_reasons(store: PostgresStore) -> ReasonCollections:
    @contextmanager
    def transaction() -> Iterator[Sql]:
        with store._connection() as conn, conn.transaction():
            yield _runner(conn)

    @contextmanager
    def read() -> Iterator[Sql]:
        with store._connection() as conn:
            yield _runner(conn)

    # The collection's row lock: a second writer waits for the first to commit, then
    # reads the revision it left (READ COMMITTED re-reads the locked row).
    return ReasonCollections(transaction, read, lock_clause=" FOR UPDATE")
