"""The store's identity: a random id and secret made once per database (migration 9).

Engine snapshots are a cache of one database at one sequence: they carry the id and an
HMAC keyed with the secret, so a snapshot written for another database (a second store
holding the same account and events, a copy restored elsewhere) is refused. The secret
never leaves the database and this process; the id may appear in logs.

Also here: the fingerprint of an account's log at a sequence (the eventId stored there),
which tells a database restored from an older backup (its seqs reused by new events)
from the one a snapshot was written against.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from agentactivity.store.adapter import Adapter


@dataclass(frozen=True, slots=True)
class StoreIdentity:
    store_id: str
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"StoreIdentity(store_id={self.store_id!r})"


def new_identity() -> tuple[str, str]:
    """A fresh (id, secret) pair, as text."""
    return secrets.token_hex(16), secrets.token_hex(32)


class IdentityTable:
    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    def identity(self) -> StoreIdentity:
        with self._adapter.read() as sql:
            rows = sql(
                "SELECT store_id, secret FROM store_identity ORDER BY created_at, store_id LIMIT 1"
            )
        if not rows:
            # Only if someone emptied the table: the database becomes a new one (two
            # processes racing here both read back the first row by the order above).
            store_id, secret = new_identity()
            with self._adapter.transaction() as sql:
                sql(
                    "INSERT INTO store_identity (store_id, secret, created_at) VALUES (?, ?, 0)",
                    (store_id, secret),
                )
            return self.identity()
        return StoreIdentity(str(rows[0][0]), bytes.fromhex(str(rows[0][1])))

    def event_id_at(self, account_id: str, seq: int) -> str | None:
        """The eventId stored at `seq` in the account's log (None: no such event, or
        pruned)."""
        with self._adapter.read() as sql:
            rows = sql(
                "SELECT event_id FROM events WHERE account_id = ? AND seq = ?", (account_id, seq)
            )
        return str(rows[0][0]) if rows else None
