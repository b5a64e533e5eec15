"""Status reasons in the store, the same on every backend (see tests/store/conftest.py):
ids and revisions, atomic batches, unique texts, updates and soft deletes, If-Match,
accounts kept apart, durability, and writers on the same revision racing through
separate connections (only one may win)."""

from __future__ import annotations

import pytest

from agentactivity.reasons import (
    ReasonFields,
    ReasonNotFound,
    StaleRevision,
    StatusReason,
    TextTaken,
)
from agentactivity.store import Store, open_store
from tests.store.conftest import race as _race


def texts(items: list[StatusReason]) -> list[str]:
    return [item.text for item in items]


def test_create_gives_ids_and_increments_the_revision(any_store: Store) -> None:
    reasons = any_store.reasons
    assert reasons.revision("a") == 0
    assert reasons.listing("a") == (0, [])
    revision, created = reasons.create("a", [ReasonFields("Lunch"), ReasonFields("Pause café ☕")])
    assert revision == 1
    assert created == [
        StatusReason(1, "Lunch", "Away", True, False),
        StatusReason(2, "Pause café ☕", "Away", True, False),
    ]
    revision, created = reasons.create("a", [ReasonFields("Meeting", enabled=False, order=7)])
    assert (revision, created) == (2, [StatusReason(3, "Meeting", "Away", False, False, 7)])
    assert reasons.revision("a") == 2
    # Items with an order first, then by id.
    assert reasons.listing("a") == (2, [created[0], *reasons.listing("a")[1][1:]])
    assert texts(reasons.listing("a")[1]) == ["Meeting", "Lunch", "Pause café ☕"]


def test_an_empty_batch_changes_nothing(any_store: Store) -> None:
    assert any_store.reasons.create("a", []) == (0, [])
    assert any_store.reasons.revision("a") == 0


def test_a_batch_is_atomic_and_texts_are_unique_ignoring_case(any_store: Store) -> None:
    reasons = any_store.reasons
    reasons.create("a", [ReasonFields("Lunch")])
    with pytest.raises(TextTaken) as taken:
        reasons.create("a", [ReasonFields("Coaching"), ReasonFields(" LUNCH ")])
    assert taken.value.index == 1 and taken.value.revision == 1
    assert "status reason 1" in taken.value.message
    with pytest.raises(TextTaken) as repeated:
        reasons.create("a", [ReasonFields("Coaching"), ReasonFields("coaching")])
    assert repeated.value.index == 1 and "items[0]" in repeated.value.message
    # Nothing of the refused batches was stored, and no id was used up.
    assert reasons.listing("a") == (1, [StatusReason(1, "Lunch", "Away", True, False)])
    assert reasons.create("a", [ReasonFields("Coaching")])[1][0].id == 2


def test_update_replaces_the_item(any_store: Store) -> None:
    reasons = any_store.reasons
    reasons.create("a", [ReasonFields("Lunch", order=3), ReasonFields("Meeting")])
    revision, item = reasons.update("a", 1, ReasonFields("Long lunch", enabled=False), 1)
    # The whole item: `order` left out is gone.
    assert (revision, item) == (2, StatusReason(1, "Long lunch", "Away", False, False))
    assert reasons.listing("a")[1][0] == item
    # The same values again: nothing changes, not even the revision.
    assert reasons.update("a", 1, ReasonFields("Long lunch", enabled=False), 2) == (2, item)
    with pytest.raises(TextTaken):
        reasons.update("a", 1, ReasonFields("MEETING"), 2)
    # Its own text in another case is not a conflict.
    assert reasons.update("a", 2, ReasonFields("MEETING"), 2)[1].text == "MEETING"


def test_a_stale_or_unknown_change_is_refused_with_the_current_revision(any_store: Store) -> None:
    reasons = any_store.reasons
    reasons.create("a", [ReasonFields("Lunch")])
    reasons.create("a", [ReasonFields("Meeting")])
    with pytest.raises(StaleRevision) as stale:
        reasons.update("a", 1, ReasonFields("Brunch"), 1)
    assert stale.value.revision == 2 and "revision 2" in stale.value.message
    with pytest.raises(StaleRevision):
        reasons.delete("a", 1, 3)
    with pytest.raises(StaleRevision):
        reasons.create("a", [ReasonFields("Training")], if_match=1)
    with pytest.raises(ReasonNotFound):
        reasons.update("a", 99, ReasonFields("Brunch"), 2)
    with pytest.raises(ReasonNotFound):
        reasons.delete("b", 1, 0)  # another account's id
    assert texts(reasons.listing("a")[1]) == ["Lunch", "Meeting"]
    assert reasons.create("a", [ReasonFields("Training")], if_match=2)[0] == 3


def test_delete_is_soft_and_frees_the_text(any_store: Store) -> None:
    reasons = any_store.reasons
    reasons.create("a", [ReasonFields("Lunch"), ReasonFields("Meeting")])
    revision, item = reasons.delete("a", 1, 1)
    assert (revision, item) == (2, StatusReason(1, "Lunch", "Away", True, True))
    assert texts(reasons.listing("a")[1]) == ["Meeting"]
    assert reasons.listing("a", include_deleted=True) == (
        2,
        [item, StatusReason(2, "Meeting", "Away", True, False)],
    )
    assert reasons.delete("a", 1, 2) == (2, item)  # again: no change
    # A PUT without `deleted` keeps it deleted; the text is free for a new item.
    assert reasons.update("a", 1, ReasonFields("Lunch", order=1), 2)[1].deleted
    assert reasons.create("a", [ReasonFields("lunch")])[1][0].id == 3
    # Restoring the old one would now make two live "lunch": refused.
    with pytest.raises(TextTaken):
        reasons.update("a", 1, ReasonFields("Lunch", deleted=False), 4)
    assert reasons.update("a", 1, ReasonFields("Old lunch", deleted=False), 4)[0] == 5


def test_accounts_are_kept_apart(any_store: Store) -> None:
    reasons = any_store.reasons
    reasons.create("a", [ReasonFields("Lunch"), ReasonFields("Meeting")])
    revision, created = reasons.create("b", [ReasonFields("Lunch")])
    assert (revision, [item.id for item in created]) == (1, [1])
    assert reasons.revision("a") == 1
    assert texts(reasons.listing("b")[1]) == ["Lunch"]


def test_reasons_are_durable(store_url: str) -> None:
    store = open_store(store_url)
    store.reasons.create("a", [ReasonFields("Lunch", order=2)])
    store.reasons.delete("a", 1, 1)
    store.close()
    store = open_store(store_url)
    try:
        assert store.reasons.listing("a", include_deleted=True) == (
            2,
            [StatusReason(1, "Lunch", "Away", True, True, 2)],
        )
    finally:
        store.close()


def test_writers_on_the_same_revision_cannot_both_succeed(store_url: str) -> None:
    store = open_store(store_url)
    store.reasons.create("a", [ReasonFields("Lunch")])
    results = _race(
        store_url, 6, lambda s, n: s.reasons.update("a", 1, ReasonFields(f"Lunch {n}"), 1)
    )
    won = [result for result in results if isinstance(result, tuple)]
    lost = [result for result in results if isinstance(result, StaleRevision)]
    assert len(won) == 1 and len(lost) == 5, results
    revision, item = won[0]
    assert revision == 2 and all(exc.revision == 2 for exc in lost)
    assert store.reasons.listing("a") == (2, [item])
    # Creates (no If-Match) all succeed, one after the other: distinct ids, one
    # revision step each.
    results = _race(store_url, 6, lambda s, n: s.reasons.create("a", [ReasonFields(f"R{n}")]))
    assert all(isinstance(result, tuple) for result in results), results
    revision, items = store.reasons.listing("a")
    assert revision == 8 and sorted(item.id for item in items) == list(range(1, 8))
    store.close()
