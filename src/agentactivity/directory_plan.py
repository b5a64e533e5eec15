"""What importing users into an account's directory would do, worked out before
anything is written (`agentactivity agents import`, the demo's directory): which groups
the name paths need, which users are new, changed or unchanged, and every row that
cannot go in, with its line.

Each row was already checked on its own (directory_csv.py, with directory_items'
rules). What is checked here needs the account's other items, as the store checks
them when it writes: a group id unknown or deleted, an id twice in the file, a login
name or an external id that would belong to two users once the file is in. The store
still checks all of it in each transaction it writes (someone may change the directory
meanwhile); finding it here first means a file with mistakes stores nothing and the
person who wrote it gets every mistake at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentactivity.configuration import text_key
from agentactivity.directory import ROOT_GROUP_ID, AgentGroup, User
from agentactivity.directory_csv import ATTRIBUTES, RowProblem, UserRow
from agentactivity.directory_items import parse_group

# A group a path names: the id of a stored one, or the folded path of one to create.
GroupRef = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewGroup:
    """A group to create: `key` its path folded by text_key, `parent` a GroupRef,
    `line` the first row that names it."""

    key: tuple[str, ...]
    name: str
    parent: GroupRef
    line: int


@dataclass(frozen=True, slots=True)
class PlannedUser:
    """A user to write as it will be, except its group when `group` is a new one."""

    line: int
    user: User
    group: GroupRef
    restore: bool = False  # a deleted user the file brings back


@dataclass
class ImportPlan:
    """What to write, in this order (docs/operations.md says why): the new groups level
    by level (each level's parents exist once the levels before it are created), the
    updates, then the new users. `problems`: when any, nothing is to be written."""

    users_revision: int
    groups_revision: int
    groups: list[list[NewGroup]] = field(default_factory=list)
    updates: list[PlannedUser] = field(default_factory=list)
    creates: list[PlannedUser] = field(default_factory=list)
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.updates) + len(self.creates) + self.unchanged

    @property
    def new_groups(self) -> int:
        return sum(map(len, self.groups))


class _Paths:
    """Name paths below the root resolved against the stored groups not deleted; the
    parts no group matches become new groups (one per folded path, named as first
    written)."""

    def __init__(self, groups: Iterable[AgentGroup]) -> None:
        self._children = {
            (group.parent_id, text_key(group.name)): group.id
            for group in groups
            if not group.deleted and group.parent_id is not None
        }
        self.new: dict[tuple[str, ...], NewGroup] = {}

    def resolve(self, path: Sequence[str], line: int, problems: list[RowProblem]) -> GroupRef:
        ref: GroupRef = ROOT_GROUP_ID
        key: tuple[str, ...] = ()
        for part in path:
            key = (*key, text_key(part))
            found = self._children.get((ref, key[-1])) if isinstance(ref, str) else None
            if found is None and key not in self.new:
                _, refused = parse_group({"name": part}, creating=True)
                problems.extend(RowProblem(line, "agentGroupId", f"{part!r}: {p}") for p in refused)
                self.new[key] = NewGroup(key, part, ref, line)
            ref = found if found is not None else key
        return ref

    def levels(self) -> list[list[NewGroup]]:
        by_depth: dict[int, list[NewGroup]] = {}
        for group in self.new.values():
            by_depth.setdefault(len(group.key), []).append(group)
        return [by_depth[depth] for depth in sorted(by_depth)]


def plan_import(
    rows: Sequence[UserRow],
    users: tuple[int, Sequence[User]],
    groups: tuple[int, Sequence[AgentGroup]],
) -> ImportPlan:
    """The plan for `rows` against the account's (revision, items) of users and of
    groups as the store lists them with the deleted ones."""
    plan = ImportPlan(users[0], groups[0])
    stored = {user.id: user for user in users[1]}
    all_groups = {group.id: group for group in groups[1]}
    paths = _Paths(groups[1])
    lines: dict[int, int] = {}  # user id -> its line
    for row in rows:
        if row.user.id in lines:
            message = f"user {row.user.id} is also on line {lines[row.user.id]}"
            plan.problems.append(RowProblem(row.line, "id", message))
            continue
        lines[row.user.id] = row.line
        named = "agentGroupId" in row.columns
        group = _group(row, all_groups, paths, plan.problems) if named else None
        current = stored.get(row.user.id)
        wanted = _merge(row, current, group)
        group = group or wanted.group_id  # not a column: the group stays as it is
        if current is None:
            plan.creates.append(PlannedUser(row.line, wanted, group))
        elif current.deleted or wanted != current or isinstance(group, tuple):
            plan.updates.append(PlannedUser(row.line, wanted, group, current.deleted))
        else:
            plan.unchanged += 1
    plan.groups = paths.levels()
    _check_unique(plan, stored, lines)
    _check_order(plan, stored, lines)
    plan.problems.sort(key=lambda problem: problem.line)
    return plan


def _group(
    row: UserRow, groups: dict[str, AgentGroup], paths: _Paths, problems: list[RowProblem]
) -> GroupRef:
    if row.path is not None:
        return paths.resolve(row.path, row.line, problems)
    group_id = row.user.group_id
    found = groups.get(group_id)
    if group_id != ROOT_GROUP_ID and (found is None or found.deleted):
        message = (
            f"agent group {group_id} is deleted; name another group"
            if found is not None
            else f"no agent group {group_id} in the account (name it by its path to create it)"
        )
        problems.append(RowProblem(row.line, "agentGroupId", message))
    return group_id


def _merge(row: UserRow, current: User | None, group: GroupRef | None) -> User:
    """The user as it will be: a new one as the row says; a stored one with the fields of
    the row's columns (the others as stored), not deleted."""
    given: dict[str, Any] = {
        ATTRIBUTES[column]: getattr(row.user, ATTRIBUTES[column]) for column in row.columns
    }
    if group is not None:
        # Not yet known for a new group: the root stands in until it is created.
        given["group_id"] = group if isinstance(group, str) else ROOT_GROUP_ID
    if current is None:
        return dataclasses.replace(row.user, **given)
    return dataclasses.replace(current, **given, deleted=False)


def _claims(user: User) -> list[tuple[Any, str, str]]:
    """What a user holds that no other may: its login name folded (unless deleted) and
    its external ids; each as (key, its column, "<value> ... the <what>" of messages)."""
    login = f"{user.login_name!r} is already the login name"
    claims: list[tuple[Any, str, str]] = []
    if not user.deleted:
        claims.append((text_key(user.login_name), "loginName", login))
    for pair in user.external_ids:
        claims.append((pair, f"externalIds.{pair[0]}", f"{pair[1]!r} is already the {pair[0]} id"))
    return claims


def _check_unique(plan: ImportPlan, stored: dict[int, User], lines: dict[int, int]) -> None:
    """Login names unique among users not deleted, external ids among all users (as the
    store has them), in the directory as it will be once the file is in."""
    planned = [*plan.updates, *plan.creates]
    changing = {item.user.id for item in planned}

    def holder(user_id: int) -> str:
        return f"user {user_id}" + (f" (line {lines[user_id]})" if user_id in lines else "")

    held: dict[Any, str] = {}
    for user in stored.values():
        if user.id not in changing:  # as stored: not in the file, or unchanged by it
            held.update((key, holder(user.id)) for key, _, _ in _claims(user))
    for item in sorted(planned, key=lambda item: item.line):
        for key, column, taken in _claims(item.user):
            if key in held:
                plan.problems.append(RowProblem(item.line, column, f"{taken} of {held[key]}"))
            held.setdefault(key, holder(item.user.id))


def _check_order(plan: ImportPlan, stored: dict[int, User], lines: dict[int, int]) -> None:
    """The updates are written one by one in file order (then the new users): a row must
    not take what a later row gives up, as it is still taken when the row is written."""
    final = {item.user.id: {key for key, _, _ in _claims(item.user)} for item in plan.updates}
    now = {key: user.id for user in stored.values() for key, _, _ in _claims(user)}
    for item in plan.updates:
        user_id = item.user.id
        for key, _, _ in _claims(stored[user_id]):
            now.pop(key, None)
        for key, column, taken in _claims(item.user):
            taken_by = now.get(key, user_id)
            if taken_by != user_id and key not in final.get(taken_by, {key}):
                message = (
                    f"{taken} of user {taken_by} when this row is written: move line "
                    f"{lines[taken_by]} (which changes it) above this one (two users "
                    "swapping: import the change in two steps)"
                )
                plan.problems.append(RowProblem(item.line, column, message))
            now[key] = user_id
