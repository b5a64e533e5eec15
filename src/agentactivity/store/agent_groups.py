"""Agent groups in the store (SPEC section 8), written once for both backends.

Every change runs in one transaction that first locks the account's directory row
(store/collections.py; one row for users and groups, see migrations._DIRECTORY), checks
`If-Match` against the groups' revision, reads the account's whole tree (groups are few:
what a supervisor picks from), checks the change against it and writes. Ids are the
account's own sequence 1, 2, 3, ... (never reused: deleting only marks a group). The root
`-1` always exists: it is listed even before any change, and gets its row the first time
it is changed itself (renamed, described).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from agentactivity.clock import now_ms
from agentactivity.configuration import (
    ItemConflict,
    ItemInvalid,
    ItemNotFound,
    check_revision,
    text_key,
)
from agentactivity.directory import ROOT_GROUP, ROOT_GROUP_ID, AgentGroup
from agentactivity.directory_items import Change
from agentactivity.store.adapter import Adapter, Sql
from agentactivity.store.collections import DIRECTORY_COLLECTIONS, mark_deleted

PLURAL = "agent groups"
_COLUMNS = "g.id, g.name, g.parent_id, g.enabled, g.description, g.deleted"
_INSERT_COLUMNS = (
    "account_id, id, name, name_key, parent_id, enabled, description, deleted, "
    "created_at, updated_at"
)
Tree = dict[str, AgentGroup]


def _group(row: Sequence[Any]) -> AgentGroup:
    parent = None if row[2] is None else str(row[2])
    return AgentGroup(str(row[0]), row[1], parent, bool(row[3]), row[4] or "", bool(row[5]))


def _with_root(groups: list[AgentGroup]) -> list[AgentGroup]:
    """The root first, as stored or as it is before its first change."""
    return groups if groups and groups[0].id == ROOT_GROUP_ID else [ROOT_GROUP, *groups]


class AgentGroups:
    """Every account's agent groups, on one backend (reached as `store.directory.groups`)."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    # --- reads (one statement each: one consistent snapshot) --------------------------

    def listing(
        self, account_id: str, include_deleted: bool = False
    ) -> tuple[int, list[AgentGroup]]:
        """(revision, groups by id, the root first), without the deleted unless asked."""
        hide = "" if include_deleted else " AND g.deleted = ?"
        params: tuple[Any, ...] = (account_id,) if include_deleted else (False, account_id)
        with self._adapter.read() as sql:
            rows = sql(
                f"SELECT c.groups_revision, {_COLUMNS} FROM directory_collections c "
                f"LEFT JOIN agent_groups g ON g.account_id = c.account_id{hide} "
                "WHERE c.account_id = ? ORDER BY g.id",
                params,
            )
        revision = int(rows[0][0]) if rows else 0
        return revision, _with_root([_group(row[1:]) for row in rows if row[1] is not None])

    def get(self, account_id: str, group_id: str) -> tuple[int, AgentGroup | None]:
        """(revision, the group, deleted or not; None if the account has none of that id)."""
        with self._adapter.read() as sql:
            rows = sql(
                f"SELECT c.groups_revision, {_COLUMNS} FROM directory_collections c "
                "LEFT JOIN agent_groups g ON g.account_id = c.account_id AND g.id = ? "
                "WHERE c.account_id = ?",
                (int(group_id), account_id),
            )
        revision = int(rows[0][0]) if rows else 0
        if rows and rows[0][1] is not None:
            return revision, _group(rows[0][1:])
        return revision, ROOT_GROUP if group_id == ROOT_GROUP_ID else None

    # --- changes -----------------------------------------------------------------------

    def create(
        self, account_id: str, changes: Sequence[Change[AgentGroup]], if_match: int | None = None
    ) -> tuple[int, list[AgentGroup]]:
        """Add the groups (all or none) with new ids; returns (revision, the new groups)."""
        with self._adapter.transaction() as sql:
            _, revision, last_id = DIRECTORY_COLLECTIONS.lock(sql, account_id)
            check_revision(if_match, revision, PLURAL)
            tree, _ = _tree(sql, account_id)
            for index, change in enumerate(changes):
                _check_parent(tree, change.item, revision, index)
            taken = _sibling_names(tree.values())
            created: list[AgentGroup] = []
            in_batch: dict[tuple[str | None, str], int] = {}
            for index, change in enumerate(changes):
                key = (change.item.parent_id, text_key(change.item.name))
                if key in taken:
                    raise _name_taken(change.item, taken[key], revision, index)
                if key in in_batch:
                    message = f"{change.item.name!r} repeats the name of items[{in_batch[key]}]"
                    raise ItemConflict(message, revision, "name", index)
                in_batch[key] = index
                last_id += 1
                created.append(dataclasses.replace(change.item, id=str(last_id), deleted=False))
            if not created:
                return revision, []
            now = now_ms()
            sql.insert_many(
                "agent_groups", _INSERT_COLUMNS, [_values(account_id, g, now) for g in created]
            )
            revision += 1
            DIRECTORY_COLLECTIONS.set(
                sql, account_id, groups_revision=revision, last_group_id=last_id
            )
        return revision, created

    def update(
        self, account_id: str, group_id: str, change: Change[AgentGroup], if_match: int
    ) -> tuple[int, AgentGroup]:
        """Replace the group's fields (`deleted` None: as it is); (revision, group)."""
        with self._adapter.transaction() as sql:
            _, revision, _ = DIRECTORY_COLLECTIONS.lock(sql, account_id)
            tree, root_stored = _tree(sql, account_id)
            current = _found(tree, [group_id], revision)[0]
            check_revision(if_match, revision, PLURAL)
            deleted = current.deleted if change.deleted is None else change.deleted
            wanted = dataclasses.replace(change.item, id=group_id, deleted=deleted)
            if wanted == current:
                return revision, current  # nothing changes: neither does the revision
            if wanted.parent_id != current.parent_id or not deleted:
                _check_parent(tree, wanted, revision, 0)
            if deleted and not current.deleted:
                _check_emptied(sql, account_id, tree, [group_id], revision, "deleted")
            others = (g for g in tree.values() if g.id != group_id)
            key = (wanted.parent_id, text_key(wanted.name))
            holder = _sibling_names(others).get(key)
            if not deleted and holder is not None:
                raise _name_taken(wanted, holder, revision, 0)
            now = now_ms()
            if group_id == ROOT_GROUP_ID and not root_stored:
                sql.insert_many("agent_groups", _INSERT_COLUMNS, [_values(account_id, wanted, now)])
            else:
                sql(
                    "UPDATE agent_groups SET name = ?, name_key = ?, parent_id = ?, enabled = ?, "
                    "description = ?, deleted = ?, updated_at = ? WHERE account_id = ? AND id = ?",
                    (*_values(account_id, wanted, now)[2:8], now, account_id, int(group_id)),
                )
            DIRECTORY_COLLECTIONS.set(sql, account_id, groups_revision=revision + 1)
        return revision + 1, wanted

    def delete(
        self, account_id: str, group_ids: Sequence[str], if_match: int
    ) -> tuple[int, list[AgentGroup]]:
        """Mark the groups deleted (all or none); (revision, the groups in the order
        given). Deleting a deleted group changes nothing."""
        with self._adapter.transaction() as sql:
            _, revision, _ = DIRECTORY_COLLECTIONS.lock(sql, account_id)
            tree, _ = _tree(sql, account_id)
            found = _found(tree, group_ids, revision)
            check_revision(if_match, revision, PLURAL)
            going = [group.id for group in found if not group.deleted]
            _check_emptied(sql, account_id, tree, going, revision, None, group_ids)
            if not going:
                return revision, found
            mark_deleted(sql, "agent_groups", account_id, {int(group_id) for group_id in going})
            DIRECTORY_COLLECTIONS.set(sql, account_id, groups_revision=revision + 1)
        return revision + 1, [dataclasses.replace(group, deleted=True) for group in found]


# --- inside a transaction ----------------------------------------------------------------


def _tree(sql: Sql, account_id: str) -> tuple[Tree, bool]:
    """Every group of the account, deleted ones too, the root included; and whether the
    root has a row yet."""
    rows = sql(f"SELECT {_COLUMNS} FROM agent_groups g WHERE g.account_id = ?", (account_id,))
    tree = {group.id: group for group in map(_group, rows)}
    root_stored = ROOT_GROUP_ID in tree
    tree.setdefault(ROOT_GROUP_ID, ROOT_GROUP)
    return tree, root_stored


def _found(tree: Tree, group_ids: Sequence[str], revision: int) -> list[AgentGroup]:
    """The groups of those ids; ItemNotFound (with the index) for the first unknown."""
    for index, group_id in enumerate(group_ids):
        if group_id not in tree:
            raise ItemNotFound(f"no agent group {group_id} in the account", revision, None, index)
    return [tree[group_id] for group_id in group_ids]


def _sibling_names(groups: Iterable[AgentGroup]) -> dict[tuple[str | None, str], str]:
    """(parent id, folded name) -> id, of the groups not deleted."""
    return {(g.parent_id, text_key(g.name)): g.id for g in groups if not g.deleted}


def _name_taken(group: AgentGroup, holder: str, revision: int, index: int) -> ItemConflict:
    return ItemConflict(
        f"{group.name!r} is already the name of agent group {holder} under group "
        f"{group.parent_id} (names are unique among the groups of one parent not deleted, "
        "ignoring case and surrounding blanks)",
        revision,
        "name",
        index,
    )


def _check_parent(tree: Tree, group: AgentGroup, revision: int, index: int) -> None:
    """The parent must be a group not deleted, and not the group or one of its subgroups
    (a group cannot be its own ancestor)."""
    parent_id = group.parent_id
    if parent_id is None:
        return  # the root's (the parser allows no other group without a parent)
    parent = tree.get(parent_id)
    if parent is None:
        message = f"no agent group {parent_id} in the account"
    elif parent.deleted:
        message = f"agent group {parent_id} is deleted; restore it or choose another parent"
    else:
        ancestor: str | None = parent_id
        seen: set[str] = set()
        while ancestor is not None and ancestor not in seen:
            if ancestor == group.id:
                message = (
                    f"agent group {parent_id} is group {group.id} itself or one of its "
                    "subgroups: a group cannot be its own ancestor"
                )
                break
            seen.add(ancestor)
            ancestor = tree[ancestor].parent_id if ancestor in tree else None
        else:
            return
    raise ItemInvalid(message, revision, "parentGroupId", index)


def _check_emptied(
    sql: Sql,
    account_id: str,
    tree: Tree,
    going: Sequence[str],
    revision: int,
    field: str | None,
    order: Sequence[str] = (),
) -> None:
    """Groups may be deleted only when nothing not deleted is left in them: neither
    subgroups (other than those deleted with them) nor members; never the root. A
    refusal names the group's place in `order` (the request's ids) if given."""
    leaving = set(going)
    occupied = {
        str(row[0])
        for row in sql.where_in(
            "SELECT DISTINCT group_id FROM users WHERE account_id = ? AND deleted = ?",
            (account_id, False),
            "group_id",
            sorted(int(group_id) for group_id in leaving),
        )
    }
    staying: dict[str, list[int]] = {}  # parent -> its subgroups that stay
    for group in tree.values():
        if group.parent_id is not None and not group.deleted and group.id not in leaving:
            staying.setdefault(group.parent_id, []).append(int(group.id))
    for group_id in going:
        subgroups = sorted(staying.get(group_id, ()))
        if group_id == ROOT_GROUP_ID:
            message = "the root group -1 cannot be deleted: it holds every agent of no other group"
        elif subgroups:
            message = (
                f"agent group {group_id} still has subgroups not deleted ({_some(subgroups)}); "
                "delete or move them first"
            )
        elif group_id in occupied:
            ((count,),) = sql(
                "SELECT COUNT(*) FROM users WHERE account_id = ? AND deleted = ? AND group_id = ?",
                (account_id, False, int(group_id)),
            )
            message = (
                f"agent group {group_id} still has {count} member(s) not deleted; move them "
                "to another group first"
            )
        else:
            continue
        index = list(order).index(group_id) if group_id in order else 0
        raise ItemConflict(message, revision, field, index)


def _some(ids: list[int]) -> str:
    shown = ", ".join(map(str, ids[:5]))
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _values(account_id: str, group: AgentGroup, now: int) -> tuple[Any, ...]:
    """The columns of _INSERT_COLUMNS."""
    return (
        account_id,
        int(group.id),
        group.name,
        text_key(group.name),
        None if group.parent_id is None else int(group.parent_id),
        group.enabled,
        group.description or None,
        group.deleted,
        now,
        now,
    )
