"""The PostgreSQL store: the same log, shared by any number of service processes.

Same semantics as the SQLite store, by the same means: a batch is one transaction that
locks its account's row (`SELECT ... FOR UPDATE`), so concurrent batches of one account
run one after the other, each numbering its events from the `last_seq` the previous one
committed. Sequences are therefore gapless and become visible in order, which the
engine's catch-up by sequence relies on (a reader never sees seq n + 1 without n).
Batches of different accounts do not wait for each other.

Errors: a lock held too long, a serialization failure or deadlock, a lost connection or
no free connection in time are `StoreBusyError` (retryable: the API answers 503 with
Retry-After, and a retried batch is never stored twice, its events being recognised by
eventId). A server that cannot be reached at open is a `StoreError` that says what to
check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from agentactivity.clock import now_ms
from agentactivity.credentials import Credentials, credentials_from_row
from agentactivity.events import Event
from agentactivity.retention import prunable
from agentactivity.store import migrations
from agentactivity.store.base import (
    AppendResult,
    StoreBusyError,
    StoreError,
    event_row,
    number_new_events,
)
from agentactivity.store.dashboard_tokens import PostgresDashboardTokens
from agentactivity.store.migrations import Migration
from agentactivity.store.reasons_postgres import postgres_reasons

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

EVENT_COLUMNS = (
    "account_id, seq, event_id, agent_id, time, type, state, reason_id, chat_id, max_chats"
)
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresStore(PostgresDashboardTokens):
    def __init__(self, url: str, auto_migrate: bool = True) -> None:
        self.where = describe(url)
        self.reasons = postgres_reasons(self)
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
            if auto_migrate:
                migrations.migrate(self)
            else:
                migrations.check(self)
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

    # --- migrations -------------------------------------------------------------------

    def schema_version(self) -> tuple[int, bool]:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT to_regclass('schema_version') IS NOT NULL, "
                + ", ".join(f"to_regclass('{table}') IS NOT NULL" for table in TABLES)
            ).fetchone()
            assert row is not None
            if row[0]:
                return _max_version(conn), False
        found = [table for table, present in zip(TABLES, row[1:]) if present]
        if found:
            raise StoreError(
                f"database {self.where} is not an agentactivity database: it has table "
                f"{', '.join(found)} but no schema_version. Point --db at the right "
                "database or schema, or at a new one"
            )
        return 0, False

    def apply_migration(self, migration: Migration, record_only: bool) -> bool:
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            conn.execute(migrations.SCHEMA_VERSION_TABLE)
            version = _max_version(conn)
            if version > migrations.LATEST:
                raise migrations.newer_schema(self.where, version)
            if version >= migration.version:
                return False
            if not record_only:
                for statement in migration.postgres:
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (%s, %s, %s)",
                (migration.version, migration.description, now_ms()),
            )
        return True

    # --- the store interface ------------------------------------------------------------

    def close(self) -> None:
        self._pool.close()

    def ensure_account(self, account_id: str) -> None:
        with self._connection() as conn:
            _ensure_account(conn, account_id)

    def account_ids(self) -> list[str]:
        with self._connection() as conn:
            rows = conn.execute("SELECT account_id FROM accounts ORDER BY account_id")
            return [row[0] for row in rows]

    def last_seq(self, account_id: str) -> int:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT last_seq FROM accounts WHERE account_id = %s", (account_id,)
            ).fetchone()
        return row[0] if row else 0

    def last_seqs(self) -> dict[str, int]:
        with self._connection() as conn:
            rows = conn.execute("SELECT account_id, last_seq FROM accounts").fetchall()
        return {account_id: last_seq for account_id, last_seq in rows}

    def add_credentials(self, credentials: Credentials) -> None:
        with self._connection() as conn, conn.transaction():
            _ensure_account(conn, credentials.account_id)
            conn.execute(
                "INSERT INTO credentials (account_id, access_token, app_key, app_secret, "
                "access_token_secret, scopes, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    credentials.account_id,
                    credentials.access_token,
                    credentials.app_key,
                    credentials.app_secret,
                    credentials.access_token_secret,
                    ",".join(credentials.scopes),
                    now_ms(),
                ),
            )

    def credentials_for_token(self, access_token: str) -> Credentials | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT account_id, app_key, app_secret, access_token, access_token_secret, "
                "scopes FROM credentials WHERE access_token = %s",
                (access_token,),
            ).fetchone()
        if row is None:
            return None
        return credentials_from_row(row)

    def append(self, account_id: str, events: list[Event]) -> AppendResult:
        with self._connection() as conn, conn.transaction():
            last_seq = _lock_account(conn, account_id)
            wanted = list({event.event_id for event in events})
            seen = {
                row[0]
                for row in conn.execute(
                    "SELECT event_id FROM events WHERE account_id = %s AND event_id = ANY(%s)",
                    (account_id, wanted),
                )
            }
            stored = number_new_events(events, seen, last_seq)
            rows = [event_row(account_id, seq, event) for seq, event in stored]
            last_seq += len(rows)
            if rows:
                # No other batch of this account can run until we commit (the row lock),
                # so nothing can take these event ids meanwhile; the unique index stays
                # the last word if something did.
                with conn.cursor() as cursor:
                    with cursor.copy(f"COPY events ({EVENT_COLUMNS}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                conn.execute(
                    "UPDATE accounts SET last_seq = %s WHERE account_id = %s",
                    (last_seq, account_id),
                )
        return AppendResult(len(rows), len(events) - len(rows), last_seq, tuple(stored))

    def prune(self, account_id: str, before_ms: int) -> int:
        """Delete the account's events older than `before_ms` that no longer matter
        (see `retention.events_to_keep`); returns how many were deleted."""
        with self._connection() as conn, conn.transaction():
            # The account's lock, from read to delete: a batch committed meanwhile could
            # otherwise change which old events still matter.
            _lock_account(conn, account_id)
            rows = conn.execute(
                "SELECT agent_id, time, seq, type, state, reason_id, chat_id, max_chats "
                "FROM events WHERE account_id = %s AND time < %s ORDER BY agent_id, time, seq",
                (account_id, before_ms),
            ).fetchall()
            later = {
                row[0]
                for row in conn.execute(
                    "SELECT DISTINCT agent_id FROM events WHERE account_id = %s AND time >= %s",
                    (account_id, before_ms),
                )
            }
            doomed = list(prunable(((row[0], tuple(row[1:])) for row in rows), later))
            if doomed:
                conn.execute(
                    "DELETE FROM events WHERE account_id = %s AND seq = ANY(%s)",
                    (account_id, doomed),
                )
        return len(doomed)

    def read_after(
        self, account_id: str, after_seq: int, limit: int = 50_000
    ) -> list[tuple[int, Event]]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT seq, type, agent_id, time, event_id, state, reason_id, chat_id, "
                "max_chats FROM events WHERE account_id = %s AND seq > %s ORDER BY seq LIMIT %s",
                (account_id, after_seq, limit),
            ).fetchall()
        return [(row[0], Event(*row[1:])) for row in rows]


def _max_version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0) if row else 0


def _ensure_account(conn: psycopg.Connection[Any], account_id: str) -> None:
    conn.execute(
        "INSERT INTO accounts (account_id, created_at) VALUES (%s, %s) "
        "ON CONFLICT (account_id) DO NOTHING",
        (account_id, now_ms()),
    )


def _lock_account(conn: psycopg.Connection[Any], account_id: str) -> int:
    """Create the account if needed and lock its row until the transaction ends;
    returns its last_seq as of the previous committed batch."""
    _ensure_account(conn, account_id)
    row = conn.execute(
        "SELECT last_seq FROM accounts WHERE account_id = %s FOR UPDATE", (account_id,)
    ).fetchone()
    assert row is not None
    return int(row[0])
