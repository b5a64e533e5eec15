"""The PostgreSQL backend: the same log, shared by any number of service processes.

`PostgresAdapter` is the store's adapter (store/adapter.py) on a pool of connections:
a transaction is a pooled connection in a transaction, and a row read with
`SELECT ... FOR UPDATE` (`Sql.lock_clause`) stays locked until it ends, so writers of
one account (its `accounts` row, its reasons' collection row) run one after the other
while those of different accounts do not wait for each other. `PostgresStore` connects
and applies the migrations the database lacks.

Errors: a lock held too long, a serialization failure or deadlock, a lost connection or
no free connection in time are `StoreBusyError` (retryable: the API answers 503 with
Retry-After, and a retried batch is never stored twice, its events being recognised by
eventId). A server that cannot be reached at open is a `StoreError` that says what to
check.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from agentactivity.store.adapter import NOTHING_CHANGED, Ddl, Row
from agentactivity.store.base import StoreBusyError, StoreError
from agentactivity.store.sql_store import SqlStore

# How long to wait to connect, for a free connection of the pool, and for a row lock
# another transaction holds (e.g. a long batch of the same account) before giving up.
CONNECT_TIMEOUT_S = 5
POOL_TIMEOUT_S = 5.0
LOCK_TIMEOUT_S = 5.0
# Connections per process: the service's request threads share them.
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
# Serialises schema migrations of every process on the same database.
MIGRATION_LOCK_KEY = 0x61676163  # "agac"

TABLES = ("accounts", "credentials", "events")


def describe(url: str) -> str:
    """The database a URL names, for messages: never with its password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "(an unreadable PostgreSQL URL)"
    user = info.get("user") or "(default user)"
    host = info.get("host") or "(local socket)"
    port = info.get("port") or "5432"
    dbname = info.get("dbname") or "(default database)"
    return f"postgresql://{user}@{host}:{port}/{dbname}"


def database_name(url: str) -> str:
    """The database a PostgreSQL URL names ("postgres" when it names none), for file
    names such as the default snapshot directory."""
    try:
        return str(conninfo_to_dict(url).get("dbname") or "postgres")
    except psycopg.Error:
        return "postgres"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _Statements:
    """`Sql` on one connection of the pool."""

    lock_clause = " FOR UPDATE"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def __call__(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if not params:  # DDL and constant queries: nothing to translate
            cursor = self._conn.execute(sql)
        else:
            cursor = self._conn.execute(sql.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []

    def insert_many(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def where_in(
        self, sql: str, params: Sequence[Any], column: str, values: Sequence[Any]
    ) -> list[Row]:
        if not values:
            return []
        return self(f"{sql} AND {column} = ANY(?)", (*params, list(values)))

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, Any]:
        return f"{column} = ANY(?)", list(values)


class PostgresAdapter:
    """A pool of connections to the database `url` names (checked reachable at once)."""

    def __init__(self, url: str) -> None:
        self.where = describe(url)
        # One plain connection first: its error says why (no server, no such database,
        # bad password, ...), where a pool would only time out.
        try:
            psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S).close()
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to PostgreSQL {self.where}: {_first_line(exc)}. Check that "
                "the server is running and reachable from here, and that the URL's host, "
                "port, user, password and database are right "
                "(postgresql://USER:PASSWORD@HOST:5432/DATABASE)"
            ) from exc
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=POOL_MIN_SIZE,
            max_size=POOL_MAX_SIZE,
            open=False,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
            configure=self._configure,
            check=ConnectionPool.check_connection,  # drop connections the server closed
            timeout=POOL_TIMEOUT_S,
            name="agentactivity",
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(
                f"cannot connect to PostgreSQL {self.where} within {CONNECT_TIMEOUT_S} s: "
                "check that the server is running and accepts connections"
            ) from exc
        except BaseException:
            self._pool.close()
            raise

    @staticmethod
    def _configure(conn: psycopg.Connection[Any]) -> None:
        conn.execute(f"SET lock_timeout = '{int(LOCK_TIMEOUT_S * 1000)}ms'")

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection of the pool, with PostgreSQL's transient failures as
        StoreBusyError."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise StoreBusyError(
                f"no connection to PostgreSQL {self.where} within {POOL_TIMEOUT_S:g} s "
                "(the server is down or unreachable, or every connection is busy); "
                "retry in a moment"
            ) from exc
        except pg_errors.LockNotAvailable as exc:
            raise StoreBusyError(
                f"a lock on the account was held by another transaction for over "
                f"{LOCK_TIMEOUT_S:g} s; nothing was changed, retry in a moment"
            ) from exc
        except pg_errors.TransactionRollback as exc:  # serialization failure, deadlock
            raise StoreBusyError(
                f"PostgreSQL rolled the transaction back ({_first_line(exc)}); nothing was "
                "changed, retry in a moment"
            ) from exc
        except psycopg.OperationalError as exc:  # connection lost, server shutting down
            raise StoreBusyError(
                f"lost the connection to PostgreSQL {self.where} ({_first_line(exc)}); "
                "retry in a moment (a retried batch is never stored twice)"
            ) from exc

    @contextmanager
    def transaction(self, undone: str = NOTHING_CHANGED) -> Iterator[_Statements]:
        # `undone`: PostgreSQL's busy messages say "nothing was changed" whatever the work.
        with self._connection() as conn, conn.transaction():
            yield _Statements(conn)

    @contextmanager
    def read(self) -> Iterator[_Statements]:
        with self._connection() as conn:
            yield _Statements(conn)

    @contextmanager
    def migration(self) -> Iterator[_Statements]:
        with self.transaction() as sql:
            sql("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))
            yield sql

    def ddl(self, migration: Ddl) -> tuple[str, ...]:
        return migration.postgres

    def schema_version(self) -> tuple[int, bool]:
        with self.read() as sql:
            ((has_versions, *present),) = sql(
                "SELECT to_regclass('schema_version') IS NOT NULL, "
                + ", ".join(f"to_regclass('{table}') IS NOT NULL" for table in TABLES)
            )
            if has_versions:
                ((version,),) = sql("SELECT MAX(version) FROM schema_version")
                return int(version or 0), False
        found = [table for table, there in zip(TABLES, present) if there]
        if found:
            raise StoreError(
                f"database {self.where} is not an agentactivity database: it has table "
                f"{', '.join(found)} but no schema_version. Point --db at the right "
                "database or schema, or at a new one"
            )
        return 0, False

    def close(self) -> None:
        self._pool.close()


class PostgresStore(SqlStore):
    """The store on the PostgreSQL database a postgresql:// URL names."""

    def __init__(self, url: str, auto_migrate: bool = True) -> None:
        super().__init__(PostgresAdapter(url), auto_migrate)
