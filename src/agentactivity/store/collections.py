"""The collection rows of the configuration collections (status reasons, the
directory's users and groups): one row per account holding its revisions and the last
id given out, which every change locks before anything else.

Locking that row serialises the account's changes of the collection on every backend
(SQLite: BEGIN IMMEDIATE already holds the database's write lock; PostgreSQL: SELECT ...
FOR UPDATE), so the revision a change reads is still current when it writes: two
writers holding the same revision cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from agentactivity.clock import now_ms
from agentactivity.store.adapter import Sql


@dataclass(frozen=True, slots=True)
class CollectionRow:
    """A table of one row per account: `columns` (whole numbers, 0 at first)."""

    table: str
    columns: tuple[str, ...]

    def lock(self, sql: Sql, account_id: str) -> list[int]:
        """Inside a transaction: create the account's row if it has none and lock it
        until the transaction ends; the values of `columns`."""
        names = ", ".join(self.columns)
        sql(
            f"INSERT INTO {self.table} (account_id, {names}) "
            f"VALUES (?{', 0' * len(self.columns)}) ON CONFLICT (account_id) DO NOTHING",
            (account_id,),
        )
        (row,) = sql(
            f"SELECT {names} FROM {self.table} WHERE account_id = ?"
            # PostgreSQL: a second writer waits for the first to commit, then reads the
            # values it left (READ COMMITTED re-reads the locked row).
            + sql.lock_clause,
            (account_id,),
        )
        return [int(value) for value in row]

    def read(self, sql: Sql, account_id: str) -> list[int]:
        """The values of `columns` (all 0 for an account without a row); no lock."""
        names = ", ".join(self.columns)
        rows = sql(f"SELECT {names} FROM {self.table} WHERE account_id = ?", (account_id,))
        return [int(value) for value in rows[0]] if rows else [0] * len(self.columns)

    def set(self, sql: Sql, account_id: str, **values: int) -> None:
        """Inside the transaction that locked the row: store new values."""
        assignments = ", ".join(f"{name} = ?" for name in values)
        sql(
            f"UPDATE {self.table} SET {assignments} WHERE account_id = ?",
            (*values.values(), account_id),
        )


def mark_deleted(sql: Sql, table: str, account_id: str, ids: Collection[int]) -> None:
    """Inside a change's transaction: mark the items of those ids deleted (soft delete:
    the rows stay, and so do their ids)."""
    sql.where_in(
        f"UPDATE {table} SET deleted = ?, updated_at = ? WHERE account_id = ?",
        (True, now_ms(), account_id),
        "id",
        sorted(ids),
    )


REASON_COLLECTIONS = CollectionRow("reason_collections", ("revision", "last_id"))
# Both directory collections in one row: see migrations._DIRECTORY for why.
DIRECTORY_COLLECTIONS = CollectionRow(
    "directory_collections", ("users_revision", "groups_revision", "last_group_id")
)
