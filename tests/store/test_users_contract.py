"""Users in the store, the same on every backend (see tests/store/conftest.py): fields
kept whole, the revision, atomic batches, unique login names (ignoring case and blanks)
and external ids, memberships only in groups not deleted, updates, soft deletes,
If-Match, accounts kept apart, durability, and writers on one revision racing through
connections of their own (exactly one wins)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agentactivity.configuration import ItemConflict, ItemInvalid, ItemNotFound, StaleRevision
from agentactivity.directory import AgentGroup, User
from agentactivity.directory_items import Change
from agentactivity.store import Store, open_store
from agentactivity.store.users import _select
from tests.store.conftest import race


def user(user_id: int, login: str, **fields: object) -> Change[User]:
    deleted = fields.pop("deleted", None)
    assert deleted is None or isinstance(deleted, bool)
    return Change(User(user_id, login, **fields), deleted)


def group(name: str, parent: str = "-1") -> Change[AgentGroup]:
    return Change(AgentGroup("", name, parent))


def logins(users: list[User]) -> list[str]:
    return [item.login_name for item in users]


def test_create_keeps_every_field_and_increments_the_revision(any_store: Store) -> None:
    users = any_store.directory.users
    assert users.listing("a") == (0, [])
    assert any_store.directory.revisions("a") == (0, 0)
    full = user(
        1001,
        "ann@example.com",
        full_name="Ann Lee",
        nickname="Ann ☕",
        employee_id="EXT-1",
        enabled=False,
        max_chats=4,
        skill_ids=(2, 9),
        external_ids=(("five9", "77"), ("genesys", "g-1")),
    )
    revision, created = users.create("a", [user(2**63 - 1, "max"), full])
    assert revision == 1
    assert [item.id for item in created] == [2**63 - 1, 1001]
    stored = created[1]
    assert stored.assignment_date is not None and stored.assignment_date.endswith("Z")
    assert stored == User(
        1001,
        "ann@example.com",
        "Ann Lee",
        "Ann ☕",
        "EXT-1",
        False,
        4,
        (2, 9),
        "-1",
        stored.assignment_date,
        (("five9", "77"), ("genesys", "g-1")),
    )
    # Listed by id; one read of both revisions says what moved.
    assert users.listing("a") == (1, [stored, created[0]])
    assert users.get("a", 1001) == (1, stored)
    assert users.get("a", 5) == (1, None)
    assert any_store.directory.revisions("a") == (1, 0)
    assert users.create("a", []) == (1, [])  # nothing to create: the revision stays


def test_a_batch_is_atomic_and_every_clash_names_its_item(any_store: Store) -> None:
    users = any_store.directory.users
    users.create("a", [user(1, "Ann", external_ids=(("genesys", "g-1"),))])
    refused = [
        ([user(2, "Bob"), user(3, " ANN ")], "loginName", 1, "user 1"),
        ([user(2, "Bob"), user(3, "bob")], "loginName", 1, "items[0]"),
        ([user(2, "Bob"), user(1, "Carl")], "id", 1, "user 1 already exists"),
        ([user(2, "Bob"), user(2, "Carl")], "id", 1, "items[0]"),
        ([user(2, "Bob", external_ids=(("genesys", "g-1"),))], "externalIds.genesys", 0, "user 1"),
        (
            [user(2, "B", external_ids=(("x", "1"),)), user(3, "C", external_ids=(("x", "1"),))],
            "externalIds.x",
            1,
            "items[0]",
        ),
    ]
    for batch, field, index, named in refused:
        with pytest.raises(ItemConflict) as conflict:
            users.create("a", batch)
        assert (conflict.value.field, conflict.value.index) == (field, index)
        assert named in conflict.value.message and conflict.value.revision == 1
    # The same external id from another source, or the same login in another account: fine.
    users.create("a", [user(2, "Bob", external_ids=(("five9", "g-1"),))])
    users.create("b", [user(1, "ann")])
    assert logins(users.listing("a")[1]) == ["Ann", "Bob"]
    assert users.listing("b")[0] == 1


def test_members_only_of_groups_not_deleted(any_store: Store) -> None:
    directory = any_store.directory
    directory.groups.create("a", [group("Sales"), group("Old")])
    directory.groups.delete("a", ["2"], 1)
    for group_id, words in (("9", "no agent group 9"), ("2", "agent group 2 is deleted")):
        with pytest.raises(ItemInvalid) as invalid:
            directory.users.create("a", [user(1, "ann"), user(2, "bob", group_id=group_id)])
        assert (invalid.value.field, invalid.value.index) == ("memberOf.agentGroupId", 1)
        assert words in invalid.value.message
    revision, created = directory.users.create("a", [user(1, "ann", group_id="1")])
    assert created[0].group_id == "1"
    with pytest.raises(ItemInvalid):
        directory.users.update("a", 1, user(1, "ann", group_id="2"), revision)
    # Another account's group of the same id is not this account's.
    with pytest.raises(ItemInvalid):
        directory.users.create("b", [user(1, "ann", group_id="1")])


def test_update_replaces_the_user(any_store: Store) -> None:
    directory = any_store.directory
    directory.groups.create("a", [group("Sales")])
    users = directory.users
    _, (ann, _) = users.create(
        "a", [user(1, "ann", nickname="A", external_ids=(("x", "1"),)), user(2, "bob")]
    )
    revision, changed = users.update("a", 1, user(1, "ANN", max_chats=2), 1)
    # The whole user: fields left out are gone; the group did not change, nor its date.
    assert (revision, changed) == (
        2,
        User(1, "ANN", max_chats=2, assignment_date=ann.assignment_date),
    )
    assert users.update("a", 1, user(1, "ANN", max_chats=2), 2) == (2, changed)
    moved = users.update("a", 1, user(1, "ANN", group_id="1"), 2)[1]
    assert moved.group_id == "1" and moved.assignment_date is not None
    with pytest.raises(ItemConflict) as conflict:
        users.update("a", 1, user(1, "Bob "), 3)
    assert conflict.value.field == "loginName" and "user 2" in conflict.value.message
    # The external id it gave up is free for another user.
    assert users.update("a", 2, user(2, "bob", external_ids=(("x", "1"),)), 3)[0] == 4


def test_stale_unknown_and_other_accounts_are_refused(any_store: Store) -> None:
    users = any_store.directory.users
    users.create("a", [user(1, "ann")])
    users.create("a", [user(2, "bob")])
    with pytest.raises(StaleRevision) as stale:
        users.update("a", 1, user(1, "x"), 1)
    assert stale.value.revision == 2 and "the users are at revision 2" in stale.value.message
    with pytest.raises(StaleRevision):
        users.create("a", [user(3, "carl")], if_match=1)
    with pytest.raises(StaleRevision):
        users.delete("a", [1], 3)
    with pytest.raises(ItemNotFound) as missing:
        users.delete("a", [1, 7], 2)
    assert missing.value.index == 1 and "no user 7" in missing.value.message
    with pytest.raises(ItemNotFound):
        users.update("b", 1, user(1, "ann"), 0)  # another account's user
    assert users.get("b", 1) == (0, None)
    assert logins(users.listing("a")[1]) == ["ann", "bob"]


def test_delete_is_soft_and_frees_the_login_not_the_id(any_store: Store) -> None:
    users = any_store.directory.users
    users.create("a", [user(1, "ann", external_ids=(("x", "1"),)), user(2, "bob")])
    revision, deleted = users.delete("a", [2, 1, 2], 1)
    assert revision == 2 and [(u.id, u.deleted) for u in deleted] == [(2, 1), (1, 1), (2, 1)]
    assert users.listing("a") == (2, [])
    assert [u.id for u in users.listing("a", include_deleted=True)[1]] == [1, 2]
    assert users.delete("a", [1], 2) == (2, [deleted[1]])  # again: no change
    # The login name is free; the id and the external ids stay the deleted user's.
    users.create("a", [user(3, "ANN")])
    with pytest.raises(ItemConflict, match="restore it"):
        users.create("a", [user(1, "other")])
    with pytest.raises(ItemConflict):
        users.create("a", [user(4, "dan", external_ids=(("x", "1"),))])
    # A PUT without `deleted` keeps it deleted; restoring onto a taken login is refused.
    assert users.update("a", 1, user(1, "ann", nickname="A"), 3)[1].deleted
    with pytest.raises(ItemConflict):
        users.update("a", 1, user(1, "ann", deleted=False), 4)
    assert not users.update("a", 1, user(1, "ann2", deleted=False), 4)[1].deleted


def test_users_are_durable(store_url: str) -> None:
    store = open_store(store_url)
    store.directory.groups.create("a", [group("Sales")])
    store.directory.users.create("a", [user(1, "ann", group_id="1", external_ids=(("x", "9"),))])
    before = store.directory.users.listing("a")
    store.close()
    store = open_store(store_url)
    try:
        assert store.directory.users.listing("a") == before
        assert store.directory.revisions("a") == (1, 1)
    finally:
        store.close()


def test_writers_on_the_same_revision_cannot_both_succeed(store_url: str) -> None:
    store = open_store(store_url)
    store.directory.users.create("a", [user(1, "ann")])
    results = race(
        store_url, 6, lambda s, n: s.directory.users.update("a", 1, user(1, f"ann{n}"), 1)
    )
    won = [result for result in results if isinstance(result, tuple)]
    lost = [result for result in results if isinstance(result, StaleRevision)]
    assert len(won) == 1 and len(lost) == 5, results
    revision, winner = won[0]
    assert store.directory.users.listing("a") == (2, [winner]) and revision == 2
    # Creates without If-Match all succeed, one after the other; the same login name
    # from six writers at once: exactly one.
    results = race(store_url, 6, lambda s, n: s.directory.users.create("a", [user(10 + n, "x")]))
    assert sum(isinstance(result, tuple) for result in results) == 1, results
    assert sum(isinstance(result, ItemConflict) for result in results) == 5, results
    assert store.directory.revisions("a") == (3, 0)
    store.close()


def test_a_member_never_lands_in_a_group_deleted_at_the_same_time(store_url: str) -> None:
    store = open_store(store_url)
    store.directory.groups.create("a", [group("Sales")])

    def write(s: Store, n: int) -> object:
        if n == 0:
            return s.directory.groups.delete("a", ["1"], 1)
        return s.directory.users.create("a", [user(n, f"u{n}", group_id="1")])

    results = race(store_url, 6, write)
    sales = store.directory.groups.get("a", "1")[1]
    members = store.directory.users.listing("a")[1]
    # Either the group went first (no one joined it) or someone joined first (the
    # delete was refused): never a member of a deleted group.
    assert sales is not None and sales.deleted == (members == []), results
    assert all(member.group_id == "1" for member in members)
    store.close()


def test_a_listing_joins_external_ids_by_user_on_sqlite(tmp_path: Path) -> None:
    """The query plan, not a timing: each user's external ids are found by its key (a
    plan that searched the account's ids for every user took 20 s for 10,000 users)."""
    store = open_store(f"sqlite:///{tmp_path / 'plan.db'}")
    store.close()
    db = sqlite3.connect(tmp_path / "plan.db")
    try:
        plan = db.execute(
            "EXPLAIN QUERY PLAN " + _select(" AND u.deleted = ?") + " ORDER BY u.id", (False, "a")
        ).fetchall()
    finally:
        db.close()
    (join,) = [step[3] for step in plan if "SEARCH x " in step[3]]
    assert "(account_id=? AND user_id=?)" in join, plan
