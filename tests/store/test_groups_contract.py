"""Agent groups in the store, the same on every backend: the root that always exists,
ids and the revision, names unique among siblings, parents that exist and are no
descendants, deletes refused while something is left in the group, If-Match, accounts
kept apart, and writers on one revision racing (exactly one wins)."""

from __future__ import annotations

import pytest

from agentactivity.configuration import ItemConflict, ItemInvalid, ItemNotFound, StaleRevision
from agentactivity.directory import ROOT_GROUP, AgentGroup, User
from agentactivity.directory_items import Change
from agentactivity.store import Store, open_store
from tests.store.conftest import race


def group(
    name: str, parent: str | None = "-1", group_id: str = "", deleted: bool | None = None
) -> Change[AgentGroup]:
    return Change(AgentGroup(group_id, name, parent), deleted)


def names(groups: list[AgentGroup]) -> list[str]:
    return [item.name for item in groups]


def test_the_root_is_always_there(any_store: Store) -> None:
    groups = any_store.directory.groups
    assert groups.listing("a") == (0, [ROOT_GROUP])
    assert groups.get("a", "-1") == (0, ROOT_GROUP)
    assert groups.get("a", "1") == (0, None)
    # Renamed and described, it keeps its id and stays without a parent.
    renamed = AgentGroup("-1", "Everyone", None, True, "the whole floor")
    assert groups.update("a", "-1", group("Everyone", None, "-1"), 0)[0] == 1
    assert groups.update("a", "-1", Change(renamed), 1) == (2, renamed)
    assert groups.listing("a") == (2, [renamed])
    with pytest.raises(ItemConflict, match="root group -1 cannot be deleted"):
        groups.delete("a", ["-1"], 2)
    with pytest.raises(ItemConflict, match="root"):
        groups.update("a", "-1", group("Everyone", None, "-1", deleted=True), 2)


def test_create_gives_ids_under_the_root_by_default(any_store: Store) -> None:
    groups = any_store.directory.groups
    revision, created = groups.create("a", [group("Sales"), group("Support")])
    assert revision == 1
    assert created == [AgentGroup("1", "Sales", "-1"), AgentGroup("2", "Support", "-1")]
    revision, (tier,) = groups.create("a", [group("Tier 2", "1")])
    assert (revision, tier.id, tier.parent_id) == (2, "3", "1")
    assert names(groups.listing("a")[1]) == ["Main Group", "Sales", "Support", "Tier 2"]
    assert any_store.directory.revisions("a") == (0, 2)
    assert groups.create("a", []) == (2, [])


def test_names_are_unique_among_siblings_ignoring_case(any_store: Store) -> None:
    groups = any_store.directory.groups
    groups.create("a", [group("Sales"), group("Support")])
    with pytest.raises(ItemConflict) as taken:
        groups.create("a", [group("Billing"), group(" SALES ")])
    assert (taken.value.field, taken.value.index) == ("name", 1)
    assert "agent group 1" in taken.value.message
    with pytest.raises(ItemConflict, match=r"items\[0\]"):
        groups.create("a", [group("Tier 1", "1"), group("tier 1", "1")])
    # Under different parents the same name is fine, and so is a deleted sibling's.
    groups.create("a", [group("Tier 1", "1"), group("Tier 1", "2")])
    groups.delete("a", ["4"], 2)  # no id was used up by the refused batches
    assert groups.create("a", [group("TIER 1", "2")])[1][0].id == "5"
    with pytest.raises(ItemConflict):
        groups.update("a", "2", group("sales", "-1", "2"), 4)
    assert groups.update("a", "2", group("SUPPORT", "-1", "2"), 4)[0] == 5


def test_parents_must_exist_and_not_be_below_the_group(any_store: Store) -> None:
    groups = any_store.directory.groups
    groups.create("a", [group("Sales"), group("Old")])
    groups.create("a", [group("Tier 1", "1")])
    groups.create("a", [group("Night", "3")])
    groups.delete("a", ["2"], 3)
    for parent, words in (("9", "no agent group 9"), ("2", "agent group 2 is deleted")):
        with pytest.raises(ItemInvalid) as invalid:
            groups.create("a", [group("New"), group("Newer", parent)])
        assert (invalid.value.field, invalid.value.index) == ("parentGroupId", 1)
        assert words in invalid.value.message
    # Sales (1) > Tier 1 (3) > Night (4): Sales under Night, or under itself, is a cycle.
    for parent in ("4", "3", "1"):
        with pytest.raises(ItemInvalid, match="its own ancestor"):
            groups.update("a", "1", group("Sales", parent, "1"), 4)
    # Moving a subtree elsewhere is fine.
    assert groups.update("a", "3", group("Tier 1", "-1", "3"), 4)[1].parent_id == "-1"
    assert names(groups.listing("a")[1]) == ["Main Group", "Sales", "Tier 1", "Night"]


def test_a_group_is_deleted_only_when_nothing_is_left_in_it(any_store: Store) -> None:
    directory = any_store.directory
    groups = directory.groups
    groups.create("a", [group("Sales")])
    groups.create("a", [group("Tier 1", "1"), group("Tier 2", "1")])
    directory.users.create("a", [Change(User(7, "ann", group_id="3"))])
    with pytest.raises(ItemConflict, match=r"subgroups not deleted \(2, 3\)"):
        groups.delete("a", ["1"], 2)
    with pytest.raises(ItemConflict) as busy:
        groups.delete("a", ["2", "3"], 2)
    assert busy.value.index == 1 and "1 member(s)" in busy.value.message
    with pytest.raises(ItemConflict, match="member"):
        groups.update("a", "3", group("Tier 2", "1", "3", deleted=True), 2)
    # A deleted member is no member; a group goes with its subgroups in one request.
    directory.users.delete("a", [7], 1)
    revision, gone = groups.delete("a", ["3", "1", "2"], 2)
    assert (
        revision == 3 and all(g.deleted for g in gone) and [g.id for g in gone] == ["3", "1", "2"]
    )
    assert groups.listing("a") == (3, [ROOT_GROUP])
    assert groups.delete("a", ["1"], 3) == (3, [gone[1]])  # again: no change
    # Restoring a group whose parent is deleted is refused; the parent first, then it.
    with pytest.raises(ItemInvalid):
        groups.update("a", "2", group("Tier 1", "1", "2", deleted=False), 3)
    groups.update("a", "1", group("Sales", "-1", "1", deleted=False), 3)
    assert not groups.update("a", "2", group("Tier 1", "1", "2", deleted=False), 4)[1].deleted


def test_stale_unknown_and_other_accounts_are_refused(any_store: Store) -> None:
    groups = any_store.directory.groups
    groups.create("a", [group("Sales")])
    with pytest.raises(StaleRevision, match="the agent groups are at revision 1"):
        groups.update("a", "1", group("X", "-1", "1"), 0)
    with pytest.raises(StaleRevision):
        groups.create("a", [group("X")], if_match=0)
    with pytest.raises(ItemNotFound) as missing:
        groups.delete("a", ["1", "8"], 1)
    assert missing.value.index == 1 and "no agent group 8" in missing.value.message
    with pytest.raises(ItemNotFound):
        groups.update("b", "1", group("Sales", "-1", "1"), 0)
    assert groups.get("b", "1") == (0, None)
    assert groups.create("b", [group("Sales")])[1][0].id == "1"  # ids are per account


def test_groups_are_durable_and_racing_writers_cannot_both_win(store_url: str) -> None:
    store = open_store(store_url)
    store.directory.groups.create("a", [group("Sales")])
    results = race(
        store_url,
        6,
        lambda s, n: s.directory.groups.update("a", "1", group(f"Sales {n}", "-1", "1"), 1),
    )
    won = [result for result in results if isinstance(result, tuple)]
    assert len(won) == 1, results
    assert sum(isinstance(result, StaleRevision) for result in results) == 5, results
    store.close()
    store = open_store(store_url)
    try:
        assert store.directory.groups.listing("a") == (2, [ROOT_GROUP, won[0][1]])
    finally:
        store.close()
