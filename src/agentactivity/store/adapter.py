"""What a database backend supplies so that the store's statements are written once.

Every table's statements (store/event_log.py, credentials.py, dashboard_tokens.py,
reasons.py) are plain SQL with `?` placeholders, run through an `Adapter`:

- `transaction()`: one write transaction that holds the write lock of what it changes
  until it commits (SQLite: the process's lock and BEGIN IMMEDIATE, i.e. the database's
  write lock; PostgreSQL: a pooled connection in a transaction, where a row read with
  `Sql.lock_clause` stays locked until the end). An exception rolls it back.
- `read()`: statements each in a transaction of its own; a single statement reads one
  consistent snapshot.
- error mapping, the same for both: a lock or a connection problem that may pass is a
  `StoreBusyError` (the API answers 503 with Retry-After), a damaged database a
  `StoreError`; the database's refusal of a row (a constraint, a bad value) is raised as
  the driver raised it.
- the few statements whose form or speed differ by backend, as methods of `Sql`
  (`insert_many`, `where_in`, `any_of`), and the schema migrations' own transaction and DDL.

A new table is one module of statements over this protocol, written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = tuple[Any, ...]

# What a busy error says was undone by the failed transaction (SQLite words it so).
NOTHING_CHANGED = "nothing was changed"
NOTHING_STORED = "nothing was stored"


class Sql(Protocol):
    """Statements on one connection, with `?` placeholders (no literal `?` or `%`)."""

    # Appended to a SELECT inside a transaction: its rows stay locked until the end
    # (" FOR UPDATE" on PostgreSQL; "" on SQLite, whose transaction locks everything).
    lock_clause: str

    def __call__(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement; its rows (none for a statement that returns none)."""
        ...

    def insert_many(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        """Insert the rows (values of `columns`, a comma-separated list) the fastest way
        the backend has: the ingest's path (executemany on SQLite, COPY on PostgreSQL)."""
        ...

    def where_in(
        self, sql: str, params: Sequence[Any], column: str, values: Sequence[Any]
    ) -> list[Row]:
        """Run `sql`, which ends in a WHERE condition, for the rows whose `column` is one
        of `values`, in as many statements as the backend needs; all their rows. No
        values: no statement, no rows."""
        ...

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, Any]:
        """A condition "`column` is one of `values`" as one placeholder and its parameter,
        for a statement that must stay one (an ORDER BY with LIMIT and OFFSET over the
        rows of many agents): SQLite reads the values from a JSON array, PostgreSQL from
        an array parameter."""
        ...


class Ddl(Protocol):
    """A schema migration's statements for each backend (migrations.Migration)."""

    @property
    def sqlite(self) -> tuple[str, ...]: ...

    @property
    def postgres(self) -> tuple[str, ...]: ...


class Adapter(Protocol):
    """One open database: connections, transactions, locks and errors of a backend."""

    # The database, for messages (never with a password).
    where: str

    def transaction(self, undone: str = NOTHING_CHANGED) -> AbstractContextManager[Sql]:
        """A write transaction holding the write lock (see the module's docstring);
        `undone` is what a busy error says of the work (e.g. NOTHING_STORED)."""
        ...

    def read(self) -> AbstractContextManager[Sql]:
        """Statements outside a transaction (each one atomic): for reads."""
        ...

    def schema_version(self) -> tuple[int, bool]:
        """See migrations.Migratable.schema_version: read from the backend's catalog."""
        ...

    def migration(self) -> AbstractContextManager[Sql]:
        """A transaction that no other process's migration runs alongside."""
        ...

    def ddl(self, migration: Ddl) -> Sequence[str]:
        """The migration's statements for this backend."""
        ...

    def close(self) -> None: ...
