"""Users in the store (SPEC section 8), written once for both backends.

A user's id is the agent id of the events, given by the client; its external ids (one
per source) live in `user_external_ids`, whose primary key makes each (source, id) name
one user of the account. Every change runs in one transaction that first locks the
account's directory row (store/collections.py: one row for users and groups, so that no
user enters a group that a concurrent change is deleting), checks `If-Match` against the
users' revision, checks the change against what is stored and writes. Deleting only marks
a user.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import orjson

from agentactivity.clock import now_ms, rfc3339
from agentactivity.configuration import (
    ItemConflict,
    ItemInvalid,
    ItemNotFound,
    check_revision,
    text_key,
)
from agentactivity.directory import ROOT_GROUP_ID, User
from agentactivity.directory_items import Change
from agentactivity.store.adapter import Adapter, Row, Sql
from agentactivity.store.collections import DIRECTORY_COLLECTIONS, mark_deleted

PLURAL = "users"
_COLUMNS = (
    "u.id, u.login_name, u.full_name, u.nickname, u.employee_id, u.enabled, u.max_chats, "
    "u.skill_ids, u.group_id, u.assignment_date, u.deleted"
)
# What a change writes (`_fields`), in this order.
_FIELDS = (
    "login_name",
    "login_key",
    "full_name",
    "nickname",
    "employee_id",
    "enabled",
    "max_chats",
    "skill_ids",
    "group_id",
    "assignment_date",
    "deleted",
)
_INSERT_COLUMNS = f"account_id, id, {', '.join(_FIELDS)}, created_at, updated_at"
_UPDATE = (
    f"UPDATE users SET {', '.join(f'{name} = ?' for name in _FIELDS)}, updated_at = ? "
    "WHERE account_id = ? AND id = ?"
)
_EXTERNAL_COLUMNS = "account_id, source, external_id, user_id"


def _select(condition: str = "") -> str:
    """The users (with one row per external id) beside the collection row, in one
    statement: the revision and the items of one snapshot."""
    return (
        f"SELECT c.users_revision, {_COLUMNS}, x.source, x.external_id "
        "FROM directory_collections c "
        f"LEFT JOIN users u ON u.account_id = c.account_id{condition} "
        "LEFT JOIN user_external_ids x ON x.account_id = u.account_id AND x.user_id = u.id "
        "WHERE c.account_id = ?"
    )


def _users(rows: list[Row]) -> list[User]:
    """Rows of `_select` (ordered by user) as users, in that order; their external ids
    sorted here (an ORDER BY of them made SQLite's planner choose a slow join)."""
    found: dict[int, tuple[Row, list[tuple[str, str]]]] = {}
    for row in rows:
        if row[1] is None:
            continue  # the collection row of an account without users
        _, external = found.setdefault(int(row[1]), (row, []))
        if row[12] is not None:
            external.append((row[12], row[13]))
    return [_user(row, external) for row, external in found.values()]


def _user(row: Row, external: list[tuple[str, str]]) -> User:
    skills = row[8]
    return User(
        id=int(row[1]),
        login_name=row[2],
        full_name=row[3],
        nickname=row[4],
        employee_id=row[5],
        enabled=bool(row[6]),
        max_chats=row[7],
        skill_ids=() if skills == "[]" else tuple(orjson.loads(skills)),
        group_id=str(row[9]),
        assignment_date=row[10],
        external_ids=tuple(sorted(external)),
        deleted=bool(row[11]),
    )


class Users:
    """Every account's users, on one backend (reached as `store.directory.users`)."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    # --- reads (one statement each: one consistent snapshot) --------------------------

    def listing(self, account_id: str, include_deleted: bool = False) -> tuple[int, list[User]]:
        """(revision, users by id), without the deleted unless asked."""
        hide = "" if include_deleted else " AND u.deleted = ?"
        params: tuple[Any, ...] = (account_id,) if include_deleted else (False, account_id)
        with self._adapter.read() as sql:
            rows = sql(_select(hide) + " ORDER BY u.id", params)
        return (int(rows[0][0]) if rows else 0), _users(rows)

    def get(self, account_id: str, user_id: int) -> tuple[int, User | None]:
        """(revision, the user, deleted or not; None if the account has none of that id)."""
        with self._adapter.read() as sql:
            rows = sql(_select(" AND u.id = ?"), (user_id, account_id))
        users = _users(rows)
        return (int(rows[0][0]) if rows else 0), (users[0] if users else None)

    # --- changes -----------------------------------------------------------------------

    def create(
        self, account_id: str, changes: Sequence[Change[User]], if_match: int | None = None
    ) -> tuple[int, list[User]]:
        """Add the users (all or none); returns (revision, the new users)."""
        with self._adapter.transaction() as sql:
            revision, _, _ = DIRECTORY_COLLECTIONS.lock(sql, account_id)
            check_revision(if_match, revision, PLURAL)
            wanted = [change.item for change in changes]
            _check_groups(sql, account_id, list(enumerate(wanted)), revision)
            _check_new_ids(sql, account_id, wanted, revision)
            _check_unique(sql, account_id, list(enumerate(wanted)), revision)
            if not wanted:
                return revision, []
            now = now_ms()
            created = [
                dataclasses.replace(user, assignment_date=rfc3339(now), deleted=False)
                for user in wanted
            ]
            insert_users(sql, account_id, created, now)
            DIRECTORY_COLLECTIONS.set(sql, account_id, users_revision=revision + 1)
        return revision + 1, created

    def update(
        self, account_id: str, user_id: int, change: Change[User], if_match: int
    ) -> tuple[int, User]:
        """Replace the user's fields (`deleted` None: as it is); (revision, user). Moving
        to another group sets a new assignment date."""
        with self._adapter.transaction() as sql:
            revision, _, _ = DIRECTORY_COLLECTIONS.lock(sql, account_id)
            current = _found(sql, account_id, [user_id], revision)[0]
            check_revision(if_match, revision, PLURAL)
            moved = change.item.group_id != current.group_id
            now = now_ms()
            wanted = dataclasses.replace(
                change.item,
                id=user_id,
                deleted=current.deleted if change.deleted is None else change.deleted,
                assignment_date=rfc3339(now) if moved else current.assignment_date,
            )
            if wanted == current:
                return revision, current  # nothing changes: neither does the revision
            if moved or not wanted.deleted:  # a deleted user may stay in a deleted group
                _check_groups(sql, account_id, [(0, wanted)], revision)
            _check_unique(sql, account_id, [(0, wanted)], revision)
            sql(_UPDATE, (*_fields(wanted), now, account_id, user_id))
            sql(
                "DELETE FROM user_external_ids WHERE account_id = ? AND user_id = ?",
                (account_id, user_id),
            )
            _insert_external_ids(sql, account_id, [wanted])
            DIRECTORY_COLLECTIONS.set(sql, account_id, users_revision=revision + 1)
        return revision + 1, wanted

    def delete(
        self, account_id: str, user_ids: Sequence[int], if_match: int
    ) -> tuple[int, list[User]]:
        """Mark the users deleted (all or none); (revision, the users in the order
        given). Deleting a deleted user changes nothing."""
        with self._adapter.transaction() as sql:
            revision, _, _ = DIRECTORY_COLLECTIONS.lock(sql, account_id)
            found = _found(sql, account_id, user_ids, revision)
            check_revision(if_match, revision, PLURAL)
            going = {user.id for user in found if not user.deleted}
            if not going:
                return revision, found
            mark_deleted(sql, "users", account_id, going)
            DIRECTORY_COLLECTIONS.set(sql, account_id, users_revision=revision + 1)
        return revision + 1, [dataclasses.replace(user, deleted=True) for user in found]


# --- inside a transaction ----------------------------------------------------------------


def _found(sql: Sql, account_id: str, user_ids: Sequence[int], revision: int) -> list[User]:
    """The users of those ids; ItemNotFound (with the index) for the first unknown."""
    rows = sql.where_in(_select(), (account_id,), "u.id", sorted(set(user_ids)))
    users = {user.id: user for user in _users(sorted(rows, key=lambda row: row[1]))}
    for index, user_id in enumerate(user_ids):
        if user_id not in users:
            raise ItemNotFound(f"no user {user_id} in the account", revision, None, index)
    return [users[user_id] for user_id in user_ids]


def _check_groups(sql: Sql, account_id: str, users: list[tuple[int, User]], revision: int) -> None:
    """Each user's group must exist and not be deleted (the root always does)."""
    named = sorted({int(user.group_id) for _, user in users if user.group_id != ROOT_GROUP_ID})
    deleted = {
        str(group_id): bool(is_deleted)
        for group_id, is_deleted in sql.where_in(
            "SELECT id, deleted FROM agent_groups WHERE account_id = ?", (account_id,), "id", named
        )
    }
    for index, user in users:
        group = user.group_id
        if group == ROOT_GROUP_ID or deleted.get(group) is False:
            continue
        message = (
            f"agent group {group} is deleted; restore it or choose another group"
            if group in deleted
            else f"no agent group {group} in the account"
        )
        raise ItemInvalid(message, revision, "memberOf.agentGroupId", index)


def _check_new_ids(sql: Sql, account_id: str, users: list[User], revision: int) -> None:
    """Ids are the agents' and never reused: not even a deleted user's."""
    existing = {
        int(user_id): bool(deleted)
        for user_id, deleted in sql.where_in(
            "SELECT id, deleted FROM users WHERE account_id = ?",
            (account_id,),
            "id",
            sorted({user.id for user in users}),
        )
    }
    seen: dict[int, int] = {}
    for index, user in enumerate(users):
        if user.id in existing:
            message = f"user {user.id} already exists" + (
                ' (deleted: restore it with a PUT of "deleted": false)' if existing[user.id] else ""
            )
            raise ItemConflict(message, revision, "id", index)
        if user.id in seen:
            message = f"{user.id} repeats the id of items[{seen[user.id]}]"
            raise ItemConflict(message, revision, "id", index)
        seen[user.id] = index


def _check_unique(sql: Sql, account_id: str, users: list[tuple[int, User]], revision: int) -> None:
    """Login names are unique among users not deleted (folded by text_key); external
    ids among all users of the account. Each user is compared with the stored others
    and with the users before it in the request."""
    ids = [user.id for _, user in users]
    logins = {
        key: int(holder)
        for key, holder in sql.where_in(
            "SELECT login_key, id FROM users WHERE account_id = ? AND deleted = ?",
            (account_id, False),
            "login_key",
            sorted({text_key(user.login_name) for _, user in users if not user.deleted}),
        )
        if int(holder) not in ids
    }
    external = {
        (source, external_id): int(holder)
        for source, external_id, holder in sql.where_in(
            "SELECT source, external_id, user_id FROM user_external_ids WHERE account_id = ?",
            (account_id,),
            "external_id",
            sorted({value for _, user in users for _, value in user.external_ids}),
        )
        if int(holder) not in ids
    }
    in_batch: dict[Any, int] = {}
    for index, user in users:
        key = text_key(user.login_name)
        if not user.deleted:
            if key in logins:
                message = (
                    f"{user.login_name!r} is already the login name of user {logins[key]} "
                    "(login names are unique among users not deleted, ignoring case and "
                    "surrounding blanks)"
                )
                raise ItemConflict(message, revision, "loginName", index)
            if key in in_batch:
                message = f"{user.login_name!r} repeats the login name of items[{in_batch[key]}]"
                raise ItemConflict(message, revision, "loginName", index)
            in_batch[key] = index
        for pair in user.external_ids:
            field = f"externalIds.{pair[0]}"
            if pair in external:
                message = f"{pair[1]!r} is already the {pair[0]} id of user {external[pair]}"
                raise ItemConflict(message, revision, field, index)
            if pair in in_batch:
                message = f"{pair[1]!r} repeats the {pair[0]} id of items[{in_batch[pair]}]"
                raise ItemConflict(message, revision, field, index)
            in_batch[pair] = index


def _fields(user: User) -> tuple[Any, ...]:
    """The values of _FIELDS."""
    return (
        user.login_name,
        text_key(user.login_name),
        user.full_name,
        user.nickname,
        user.employee_id,
        user.enabled,
        user.max_chats,
        orjson.dumps(list(user.skill_ids)).decode(),
        int(user.group_id),
        user.assignment_date,
        user.deleted,
    )


def insert_users(sql: Sql, account_id: str, users: list[User], now: int) -> None:
    """Inside a transaction that locked the directory row: write new users and their
    external ids (checked before)."""
    rows = [(account_id, user.id, *_fields(user), now, now) for user in users]
    sql.insert_many("users", _INSERT_COLUMNS, rows)
    _insert_external_ids(sql, account_id, users)


def _insert_external_ids(sql: Sql, account_id: str, users: list[User]) -> None:
    rows = [
        (account_id, source, external_id, user.id)
        for user in users
        for source, external_id in user.external_ids
    ]
    if rows:
        sql.insert_many("user_external_ids", _EXTERNAL_COLUMNS, rows)
