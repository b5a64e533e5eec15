"""The accounts' API keys (OAuth 1.0a credentials), written once for every backend.

A request names only its access token, so a token belongs to exactly one key of one
account (unique on its own, see migrations.POSTGRES_V1).
"""

from __future__ import annotations

from agentactivity.clock import now_ms
from agentactivity.credentials import Credentials, credentials_from_row
from agentactivity.store.adapter import Adapter
from agentactivity.store.event_log import ensure_account


class CredentialTable:
    """Every account's API keys."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    def add(self, credentials: Credentials) -> None:
        """Store a key, creating its account in the same transaction (on PostgreSQL
        `credentials` has no foreign key to `accounts`, see migrations.py)."""
        with self._adapter.transaction() as sql:
            ensure_account(sql, credentials.account_id)
            sql(
                "INSERT INTO credentials (account_id, access_token, app_key, app_secret, "
                "access_token_secret, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
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

    def for_token(self, access_token: str) -> Credentials | None:
        with self._adapter.read() as sql:
            rows = sql(
                "SELECT account_id, app_key, app_secret, access_token, access_token_secret, "
                "scopes FROM credentials WHERE access_token = ?",
                (access_token,),
            )
        return credentials_from_row(rows[0]) if rows else None
