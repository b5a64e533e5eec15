"""Dashboard links in the store, written once for every backend: each account's signing
secret and every link's token id, expiry and revocation (schema versions 3 and 5, see
migrations.py; the tokens themselves: dashboard_token.py)."""

from __future__ import annotations

import secrets
from typing import Any

from agentactivity.clock import now_ms
from agentactivity.dashboard_token import DashboardToken
from agentactivity.store.adapter import Adapter, Sql

_TOKEN_COLUMNS = "account_id, token_id, label, created_at, expires_at, revoked_at, group_id"


def _token(row: tuple[Any, ...]) -> DashboardToken:
    return DashboardToken(*row)


def _one(sql: Sql, account_id: str, token_id: str) -> DashboardToken | None:
    rows = sql(
        f"SELECT {_TOKEN_COLUMNS} FROM dashboard_tokens WHERE account_id = ? AND token_id = ?",
        (account_id, token_id),
    )
    return _token(rows[0]) if rows else None


class DashboardTokens:
    """Every account's dashboard secret and links."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    def secret(self, account_id: str, create: bool = False) -> str | None:
        """The account's signing secret; made on first use when `create`."""
        if not create:
            with self._adapter.read() as sql:
                rows = sql(
                    "SELECT secret FROM dashboard_secrets WHERE account_id = ?", (account_id,)
                )
        else:
            with self._adapter.transaction() as sql:
                sql(
                    "INSERT INTO dashboard_secrets (account_id, secret, created_at) "
                    "VALUES (?, ?, ?) ON CONFLICT (account_id) DO NOTHING",
                    (account_id, secrets.token_hex(32), now_ms()),
                )
                rows = sql(
                    "SELECT secret FROM dashboard_secrets WHERE account_id = ?", (account_id,)
                )
        return str(rows[0][0]) if rows else None

    def add(self, token: DashboardToken) -> None:
        with self._adapter.transaction() as sql:
            sql(
                f"INSERT INTO dashboard_tokens ({_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                token.row(),
            )

    def get(self, account_id: str, token_id: str) -> DashboardToken | None:
        with self._adapter.read() as sql:
            return _one(sql, account_id, token_id)

    def listing(self, account_id: str) -> list[DashboardToken]:
        with self._adapter.read() as sql:
            rows = sql(
                f"SELECT {_TOKEN_COLUMNS} FROM dashboard_tokens WHERE account_id = ? "
                "ORDER BY created_at, token_id",
                (account_id,),
            )
        return [_token(row) for row in rows]

    def revoke(self, account_id: str, token_id: str, at_ms: int) -> DashboardToken | None:
        """Mark the link revoked (the first revocation's time is kept); None if unknown."""
        with self._adapter.transaction() as sql:
            sql(
                "UPDATE dashboard_tokens SET revoked_at = ? "
                "WHERE account_id = ? AND token_id = ? AND revoked_at IS NULL",
                (at_ms, account_id, token_id),
            )
            return _one(sql, account_id, token_id)
