"""Writing an import plan (directory_plan.py) into an account's directory: what
`agentactivity agents import` and the demo do once every row is known to be good.

The store changes its collections one transaction at a time, each all or nothing: here,
one per level of new groups, one per updated user, one per `batch` of new users. Each
carries `If-Match` with the revision the plan was made at (then the one the previous
write returned), so that a directory someone changed meanwhile stops the import instead
of being overwritten from a stale reading. When a write is refused or fails, the writes
before it stay; `ImportStopped` says where it stopped and what was written. The plan
makes a second run of the same file finish the work: what is already in is unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from agentactivity.configuration import CollectionError, ItemRefusal, StaleRevision
from agentactivity.directory import AgentGroup, User
from agentactivity.directory_items import Change
from agentactivity.directory_plan import GroupRef, ImportPlan, PlannedUser
from agentactivity.store import Store, StoreError


@dataclass
class ImportResult:
    """What an import wrote (or would write: a plan's counts)."""

    created: int = 0
    updated: int = 0
    restored: int = 0  # of `updated`: deleted users the file brought back
    unchanged: int = 0
    groups_created: int = 0

    @classmethod
    def of(cls, plan: ImportPlan) -> ImportResult:
        return cls(
            created=len(plan.creates),
            updated=len(plan.updates),
            restored=sum(item.restore for item in plan.updates),
            unchanged=plan.unchanged,
            groups_created=plan.new_groups,
        )


class ImportStopped(Exception):
    """A write was refused or failed; `done`: what the writes before it stored."""

    def __init__(self, message: str, done: ImportResult) -> None:
        super().__init__(message)
        self.message = message
        self.done = done


def read_directory(
    store: Store, account_id: str
) -> tuple[tuple[int, list[User]], tuple[int, list[AgentGroup]]]:
    """The account's (revision, users) and (revision, groups), deleted ones included:
    what `plan_import` plans against."""
    directory = store.directory
    users = directory.users.listing(account_id, include_deleted=True)
    groups = directory.groups.listing(account_id, include_deleted=True)
    return users, groups


def apply_plan(
    store: Store,
    account_id: str,
    plan: ImportPlan,
    batch: int = 1000,
    advance: Callable[[int], None] = lambda rows: None,
) -> ImportResult:
    """Write the plan (it must have no problems); `advance(n)` after each n rows
    written. Raises ImportStopped."""
    done = ImportResult(unchanged=plan.unchanged)
    advance(plan.unchanged)
    directory = store.directory
    created_groups: dict[tuple[str, ...], str] = {}
    line = 0
    try:
        revision = plan.groups_revision
        for level in plan.groups:
            line = level[0].line
            changes = [
                Change(AgentGroup("", group.name, _group_id(group.parent, created_groups)))
                for group in level
            ]
            revision, created = directory.groups.create(account_id, changes, revision)
            created_groups.update((g.key, c.id) for g, c in zip(level, created, strict=True))
            done.groups_created += len(created)
        revision = plan.users_revision
        for item in plan.updates:
            line = item.line
            user = _placed(item, created_groups)
            revision, _ = directory.users.update(account_id, user.id, Change(user, False), revision)
            done.updated += 1
            done.restored += item.restore
            advance(1)
        for start in range(0, len(plan.creates), batch):
            chunk = plan.creates[start : start + batch]
            line = chunk[0].line
            try:
                revision, _ = directory.users.create(
                    account_id, [Change(_placed(item, created_groups)) for item in chunk], revision
                )
            except ItemRefusal as exc:
                line = chunk[exc.index].line
                raise
            done.created += len(chunk)
            advance(len(chunk))
    except StaleRevision as exc:
        message = (
            f"the directory changed while the import ran (someone else wrote it; {exc.message})"
        )
        raise ImportStopped(f"line {line}: {message}", done) from exc
    except ItemRefusal as exc:
        field = "agentGroupId" if exc.field == "memberOf.agentGroupId" else exc.field or "id"
        raise ImportStopped(f"line {line}: {field}: {exc.message}", done) from exc
    except (CollectionError, StoreError) as exc:
        raise ImportStopped(f"line {line}: {exc}", done) from exc
    return done


def _group_id(ref: GroupRef, created: dict[tuple[str, ...], str]) -> str:
    return ref if isinstance(ref, str) else created[ref]


def _placed(item: PlannedUser, created: dict[tuple[str, ...], str]) -> User:
    """The planned user in its group, now that new groups have their ids."""
    if isinstance(item.group, str):
        return item.user  # its group_id is already the one it will have
    return dataclasses.replace(item.user, group_id=created[item.group])
