"""Persistence of dashboard links for both backends: each account's signing secret and
every link's token id, expiry and revocation (schema version 3, see migrations.py).

Mixins of the two stores, kept here so the stores' own modules stay about the log.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from agentactivity.clock import now_ms
from agentactivity.dashboard_token import DashboardToken

if TYPE_CHECKING:  # the SQLite store must not need psycopg
    import psycopg

_TOKEN_COLUMNS = "account_id, token_id, label, created_at, expires_at, revoked_at"


def _token(row: tuple[Any, ...]) -> DashboardToken:
    return DashboardToken(row[0], row[1], row[2], row[3], row[4], row[5])


class SQLiteDashboardTokens:
    _lock: threading.Lock
    _db: sqlite3.Connection

    def dashboard_secret(self, account_id: str, create: bool = False) -> str | None:
        """The account's signing secret; made on first use when `create`."""
        with self._lock:
            if create:
                self._db.execute(
                    "INSERT OR IGNORE INTO dashboard_secrets (account_id, secret, created_at) "
                    "VALUES (?, ?, ?)",
                    (account_id, secrets.token_hex(32), now_ms()),
                )
            row = self._db.execute(
                "SELECT secret FROM dashboard_secrets WHERE account_id = ?", (account_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def add_dashboard_token(self, token: DashboardToken) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT INTO dashboard_tokens ({_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                token.row(),
            )

    def dashboard_token(self, account_id: str, token_id: str) -> DashboardToken | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM dashboard_tokens "
                "WHERE account_id = ? AND token_id = ?",
                (account_id, token_id),
            ).fetchone()
        return None if row is None else _token(row)

    def dashboard_tokens(self, account_id: str) -> list[DashboardToken]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM dashboard_tokens WHERE account_id = ? "
                "ORDER BY created_at, token_id",
                (account_id,),
            ).fetchall()
        return [_token(row) for row in rows]

    def revoke_dashboard_token(
        self, account_id: str, token_id: str, at_ms: int
    ) -> DashboardToken | None:
        """Mark the link revoked (the first revocation's time is kept); None if unknown."""
        with self._lock:
            self._db.execute(
                "UPDATE dashboard_tokens SET revoked_at = ? "
                "WHERE account_id = ? AND token_id = ? AND revoked_at IS NULL",
                (at_ms, account_id, token_id),
            )
        return self.dashboard_token(account_id, token_id)


class PostgresDashboardTokens:
    _connection: Callable[[], AbstractContextManager[psycopg.Connection[Any]]]

    def dashboard_secret(self, account_id: str, create: bool = False) -> str | None:
        """The account's signing secret; made on first use when `create`."""
        with self._connection() as conn:
            if create:
                conn.execute(
                    "INSERT INTO dashboard_secrets (account_id, secret, created_at) "
                    "VALUES (%s, %s, %s) ON CONFLICT (account_id) DO NOTHING",
                    (account_id, secrets.token_hex(32), now_ms()),
                )
            row = conn.execute(
                "SELECT secret FROM dashboard_secrets WHERE account_id = %s", (account_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def add_dashboard_token(self, token: DashboardToken) -> None:
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO dashboard_tokens ({_TOKEN_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                token.row(),
            )

    def dashboard_token(self, account_id: str, token_id: str) -> DashboardToken | None:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM dashboard_tokens "
                "WHERE account_id = %s AND token_id = %s",
                (account_id, token_id),
            ).fetchone()
        return None if row is None else _token(row)

    def dashboard_tokens(self, account_id: str) -> list[DashboardToken]:
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM dashboard_tokens WHERE account_id = %s "
                "ORDER BY created_at, token_id",
                (account_id,),
            ).fetchall()
        return [_token(row) for row in rows]

    def revoke_dashboard_token(
        self, account_id: str, token_id: str, at_ms: int
    ) -> DashboardToken | None:
        """Mark the link revoked (the first revocation's time is kept); None if unknown."""
        with self._connection() as conn:
            conn.execute(
                "UPDATE dashboard_tokens SET revoked_at = %s "
                "WHERE account_id = %s AND token_id = %s AND revoked_at IS NULL",
                (at_ms, account_id, token_id),
            )
        return self.dashboard_token(account_id, token_id)
