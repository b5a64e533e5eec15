"""What the connectors keep in the store, the same on every backend: settings per
account and connector, the identity map (a platform id never seen becomes one user with
the next free id, whoever sees it first and however many see it at once), and status
reasons named by text."""

from __future__ import annotations

from agentactivity.directory import User
from agentactivity.directory_items import Change
from agentactivity.events import Event
from agentactivity.platforms.sightings import AMAZON_CONNECT, TWILIO, Sighting
from agentactivity.reasons import ReasonFields
from agentactivity.store import Store
from tests.store.conftest import race


def worker(sid: str, name: str = "alice", full: str = "") -> Sighting:
    return Sighting(TWILIO, sid, name, full)


def test_settings_are_per_account_and_connector_and_replaced_whole(any_store: Store) -> None:
    connectors = any_store.connectors
    assert connectors.settings("a", "twilio") is None
    connectors.save_settings("a", "twilio", {"authToken": "t1", "activities": {"Lunch": "AWAY"}})
    connectors.save_settings("a", "amazon-connect", {"accessKeys": ["h"]})
    connectors.save_settings("b", "twilio", {"authToken": "t2"})
    assert connectors.settings("a", "twilio") == {
        "authToken": "t1",
        "activities": {"Lunch": "AWAY"},
    }
    connectors.save_settings("a", "twilio", {"authToken": "t3"})
    assert connectors.settings("a", "twilio") == {"authToken": "t3"}
    assert connectors.settings("a", "amazon-connect") == {"accessKeys": ["h"]}
    assert connectors.settings("b", "twilio") == {"authToken": "t2"}


def test_a_new_platform_id_becomes_a_user_above_every_used_id(any_store: Store) -> None:
    users = any_store.directory.users
    users.create("a", [Change(User(7, "bob"))])
    # Agent 40 has events but no user: a new agent must not inherit its history.
    any_store.append("a", [Event("state", 40, 1_000, "e1", state="ONLINE")])
    found = any_store.connectors.adopt("a", [worker("WK1", "carol", "Carol Diaz")])
    assert found == {(TWILIO, "WK1"): 41}
    revision, listing = users.listing("a")
    new = [user for user in listing if user.id == 41][0]
    assert (new.login_name, new.full_name, new.external_ids) == (
        "carol",
        "Carol Diaz",
        ((TWILIO, "WK1"),),
    )
    # Seen again: the same user, no new revision.
    assert any_store.connectors.adopt("a", [worker("WK1", "someone else")]) == found
    assert users.listing("a")[0] == revision
    assert any_store.connectors.known_agents("a", [(TWILIO, "WK1"), (TWILIO, "WK2")]) == found


def test_login_names_stay_unique_and_sources_apart(any_store: Store) -> None:
    any_store.directory.users.create("a", [Change(User(1, "Alice"))])
    found = any_store.connectors.adopt(
        "a",
        [
            worker("WK1", " alice "),  # taken by user 1, ignoring case and blanks
            Sighting(AMAZON_CONNECT, "WK1", "dave"),  # the same id on another platform
            worker("WK2", ""),
        ],
    )
    assert found == {(TWILIO, "WK1"): 2, (AMAZON_CONNECT, "WK1"): 3, (TWILIO, "WK2"): 4}
    logins = {user.id: user.login_name for user in any_store.directory.users.listing("a")[1]}
    assert logins == {1: "Alice", 2: "alice (twilio WK1)", 3: "dave", 4: "(twilio WK2)"}
    # Another account has its own map and ids.
    assert any_store.connectors.adopt("b", [worker("WK1")]) == {(TWILIO, "WK1"): 1}


def test_concurrent_first_sightings_create_one_user(store_url: str) -> None:
    results = race(store_url, 6, lambda store, n: store.connectors.adopt("a", [worker("WK9")]))
    assert all(isinstance(result, dict) for result in results), results
    assert {tuple(result.items()) for result in results if isinstance(result, dict)} == {
        (((TWILIO, "WK9"), 1),)
    }


def test_reason_texts_resolve_to_reasons_created_once(any_store: Store) -> None:
    reasons = any_store.reasons
    reasons.create("a", [ReasonFields("Lunch")])
    before = reasons.revision("a")
    found = reasons.ensure_texts("a", ["lunch ", "Training", "Training"])
    assert found == {"lunch ": 1, "Training": 2}
    assert reasons.revision("a") == before + 1
    created = [item for item in reasons.listing("a")[1] if item.id == 2][0]
    assert (created.text, created.state, created.enabled) == ("Training", "Away", True)
    # Known texts only: nothing is written, the revision stays.
    assert reasons.ensure_texts("a", ["TRAINING"]) == {"TRAINING": 2}
    assert reasons.revision("a") == before + 1


def test_concurrent_reason_texts_create_one_reason(store_url: str) -> None:
    results = race(store_url, 6, lambda store, n: store.reasons.ensure_texts("a", ["Break"]))
    assert results == [{"Break": 1}] * 6
