"""Status reasons in the store, written once for both backends.

Each account's reasons are one collection with a revision (`reason_collections`: the
revision and the last id given out) and its items (`status_reasons`). Every change runs
in one transaction that first locks the account's collection row (SQLite: the write
lock of BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE), checks `If-Match` against
the revision it read, changes the items and increments the revision. Two writers holding
the same revision therefore cannot both succeed: the second waits for the lock, then
reads the new revision and is refused. Ids are the account's own sequence 1, 2, 3, ...
(never reused: deleting only marks an item).

The statements run over the backend's adapter (store/adapter.py): `transaction()` for
changes, `read()` for single-statement reads, `?` placeholders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentactivity.clock import now_ms
from agentactivity.configuration import check_revision
from agentactivity.reasons import (
    MAX_TEXT_CHARS,
    ReasonFields,
    ReasonNotFound,
    StatusReason,
    TextTaken,
    text_key,
)
from agentactivity.store.adapter import Adapter, Sql
from agentactivity.store.collections import REASON_COLLECTIONS

_ITEM = "r.id, r.text, r.state, r.enabled, r.deleted, r.display_order"
# Items with an order first, by order; then the others; ties by id (creation order).
_ORDER_BY = "ORDER BY r.display_order IS NULL, r.display_order, r.id"


def _item(row: Sequence[Any]) -> StatusReason:
    return StatusReason(int(row[0]), row[1], row[2], bool(row[3]), bool(row[4]), row[5])


class ReasonCollections:
    """Every account's status reasons, on one backend."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    # --- reads (one statement each: one consistent snapshot) --------------------------

    def revision(self, account_id: str) -> int:
        with self._adapter.read() as sql:
            rows = sql(
                "SELECT revision FROM reason_collections WHERE account_id = ?", (account_id,)
            )
        return int(rows[0][0]) if rows else 0

    def listing(
        self, account_id: str, include_deleted: bool = False
    ) -> tuple[int, list[StatusReason]]:
        """(revision, items), items without the deleted ones unless asked."""
        hide = "" if include_deleted else " AND r.deleted = ?"
        params: tuple[Any, ...] = (account_id,) if include_deleted else (False, account_id)
        with self._adapter.read() as sql:
            rows = sql(
                f"SELECT c.revision, {_ITEM} FROM reason_collections c "
                "LEFT JOIN status_reasons r ON r.account_id = c.account_id" + hide + " "
                f"WHERE c.account_id = ? {_ORDER_BY}",
                params,
            )
        if not rows:
            return 0, []
        return int(rows[0][0]), [_item(row[1:]) for row in rows if row[1] is not None]

    # --- changes -----------------------------------------------------------------------

    def create(
        self, account_id: str, items: Sequence[ReasonFields], if_match: int | None = None
    ) -> tuple[int, list[StatusReason]]:
        """Add the items (all or none) with new ids; returns (revision, the new items)."""
        with self._adapter.transaction() as sql:
            revision, last_id = self._lock(sql, account_id)
            check_revision(if_match, revision, "status reasons")
            taken = {
                key: reason_id
                for reason_id, key in sql(
                    "SELECT id, text_key FROM status_reasons WHERE account_id = ? AND deleted = ?",
                    (account_id, False),
                )
            }
            created: list[StatusReason] = []
            in_batch: dict[str, int] = {}
            for index, fields in enumerate(items):
                key = fields.text_key
                if key in taken:
                    raise TextTaken(_taken_message(fields.text, taken[key]), revision, index)
                if key in in_batch:
                    message = f"{fields.text!r} repeats the text of items[{in_batch[key]}]"
                    raise TextTaken(message, revision, index)
                in_batch[key] = index
                last_id += 1
                created.append(
                    StatusReason(
                        last_id, fields.text, fields.state, fields.enabled, False, fields.order
                    )
                )
            if not created:
                return revision, []
            now = now_ms()
            for item in created:
                _insert(sql, account_id, item, now)
            revision += 1
            sql(
                "UPDATE reason_collections SET revision = ?, last_id = ? WHERE account_id = ?",
                (revision, last_id, account_id),
            )
        return revision, created

    def ensure_texts(self, account_id: str, texts: Sequence[str]) -> dict[str, int]:
        """The id of the reason (not deleted) of each text, ignoring case and blanks;
        the ones missing are created, Away and enabled (a connector names reasons by
        text). Texts are cut to MAX_TEXT_CHARS."""
        wanted = {text: text.strip()[:MAX_TEXT_CHARS] for text in texts}
        with self._adapter.transaction() as sql:
            revision, last_id = self._lock(sql, account_id)
            held = {
                key: int(reason_id)
                for reason_id, key in sql(
                    "SELECT id, text_key FROM status_reasons WHERE account_id = ? AND deleted = ?",
                    (account_id, False),
                )
            }
            before = len(held)
            now = now_ms()
            for text in wanted.values():
                if text_key(text) in held:
                    continue
                last_id += 1
                item = StatusReason(last_id, text, "Away", True, False, None)
                _insert(sql, account_id, item, now)
                held[text_key(text)] = last_id
            if len(held) > before:  # something was created: a new revision
                sql(
                    "UPDATE reason_collections SET revision = ?, last_id = ? WHERE account_id = ?",
                    (revision + 1, last_id, account_id),
                )
        return {text: held[text_key(cut)] for text, cut in wanted.items()}

    def update(
        self, account_id: str, reason_id: int, fields: ReasonFields, if_match: int
    ) -> tuple[int, StatusReason]:
        """Replace the item's fields (`deleted` None: as it is); returns (revision, item)."""
        with self._adapter.transaction() as sql:
            revision, current = self._locked_item(sql, account_id, reason_id, if_match)
            deleted = current.deleted if fields.deleted is None else fields.deleted
            wanted = StatusReason(
                reason_id, fields.text, fields.state, fields.enabled, deleted, fields.order
            )
            if wanted == current:
                return revision, current  # nothing changes: neither does the revision
            if not deleted:
                other = sql(
                    "SELECT id FROM status_reasons WHERE account_id = ? AND text_key = ? "
                    "AND deleted = ? AND id <> ?",
                    (account_id, text_key(wanted.text), False, reason_id),
                )
                if other:
                    raise TextTaken(_taken_message(wanted.text, int(other[0][0])), revision)
            return self._write(sql, account_id, revision, wanted), wanted

    def delete(self, account_id: str, reason_id: int, if_match: int) -> tuple[int, StatusReason]:
        """Mark the item deleted; returns (revision, item). Deleting a deleted item
        changes nothing."""
        with self._adapter.transaction() as sql:
            revision, current = self._locked_item(sql, account_id, reason_id, if_match)
            if current.deleted:
                return revision, current
            wanted = StatusReason(
                reason_id, current.text, current.state, current.enabled, True, current.order
            )
            return self._write(sql, account_id, revision, wanted), wanted

    # --- inside a transaction ----------------------------------------------------------

    def _lock(self, sql: Sql, account_id: str) -> tuple[int, int]:
        """Create the collection if needed and lock it; (revision, last id given out)."""
        revision, last_id = REASON_COLLECTIONS.lock(sql, account_id)
        return revision, last_id

    def _locked_item(
        self, sql: Sql, account_id: str, reason_id: int, if_match: int
    ) -> tuple[int, StatusReason]:
        revision, _ = self._lock(sql, account_id)
        rows = sql(
            f"SELECT {_ITEM} FROM status_reasons r WHERE r.account_id = ? AND r.id = ?",
            (account_id, reason_id),
        )
        if not rows:
            raise ReasonNotFound(f"no status reason {reason_id} in the account", revision)
        check_revision(if_match, revision, "status reasons")
        return revision, _item(rows[0])

    def _write(self, sql: Sql, account_id: str, revision: int, item: StatusReason) -> int:
        _, text, key, state, enabled, deleted, order = _values(item)
        sql(
            "UPDATE status_reasons SET text = ?, text_key = ?, state = ?, enabled = ?, "
            "deleted = ?, display_order = ?, updated_at = ? WHERE account_id = ? AND id = ?",
            (text, key, state, enabled, deleted, order, now_ms(), account_id, item.id),
        )
        sql(
            "UPDATE reason_collections SET revision = ? WHERE account_id = ?",
            (revision + 1, account_id),
        )
        return revision + 1


def _insert(sql: Sql, account_id: str, item: StatusReason, now: int) -> None:
    sql(
        "INSERT INTO status_reasons (account_id, id, text, text_key, state, enabled, "
        "deleted, display_order, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account_id, *_values(item), now, now),
    )


def _values(item: StatusReason) -> tuple[Any, ...]:
    """id, text, text_key, state, enabled, deleted, display_order."""
    return (
        item.id,
        item.text,
        text_key(item.text),
        item.state,
        item.enabled,
        item.deleted,
        item.order,
    )


def _taken_message(text: str, holder: int) -> str:
    return (
        f"{text!r} is already the text of status reason {holder} (texts are unique among "
        "items not deleted, ignoring case and surrounding blanks)"
    )
