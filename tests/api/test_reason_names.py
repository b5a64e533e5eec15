"""`reasonName` in the current state (SPEC section 7) from the account's status reasons:
named by id, deleted items still naming, changes seen at once (also changes made by
another process sharing the store), and the items read again only when the revision
moves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from agentactivity.reasons import ReasonFields
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.api.conftest import HOUR, MINUTE, client_for, ingest, state
from tests.conftest import ACCOUNT, FakeClock, make_credentials

STATE = f"/api/account/{ACCOUNT}/agents/state"
REASONS = f"/api/account/{ACCOUNT}/configuration/le-agents/status-reasons"


def names_by_agent(client: TestClient) -> dict[str, tuple[Any, Any]]:
    answer = client.get(STATE, params={"agentIds": "all"})
    assert answer.status_code == 200, answer.text
    agents = answer.json()["agents"]
    return {agent: (value["reasonId"], value["reasonName"]) for agent, value in agents.items()}


def test_the_state_listing_names_reasons_by_id(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    now = clock.now
    ingest(
        client,
        [
            state(1, now - HOUR, "AWAY", "1"),
            state(2, now - HOUR, "AWAY", "2"),
            state(3, now - HOUR, "AWAY", "999"),  # no such item
            state(4, now - HOUR, "AWAY", "lunch"),  # any reasonId is still accepted
            state(5, now - HOUR, "AWAY"),
            state(6, now - HOUR, "AWAY", "1"),
            state(6, now - MINUTE, "ONLINE"),
        ],
    )
    unnamed = names_by_agent(client)
    assert unnamed["1"] == ("1", None) and unnamed["6"] == (None, None)

    with client_for(service, make_credentials(service, ACCOUNT, ("admin",))) as admin:
        created = admin.post(REASONS, json=[{"text": "Lunch"}, {"text": "Meeting"}])
        assert [item["id"] for item in created.json()] == [1, 2]
        assert names_by_agent(client) == {
            "1": ("1", "Lunch"),
            "2": ("2", "Meeting"),
            "3": ("999", None),
            "4": ("lunch", None),
            "5": (None, None),
            "6": (None, None),
        }
        # Renamed: the next answer has the new name. Deleted: the name stays.
        answer = admin.put(f"{REASONS}/2", json={"text": "Team meeting"}, headers={"If-Match": "1"})
        assert answer.status_code == 200, answer.text
        answer = admin.delete(f"{REASONS}/1", headers={"If-Match": "2"})
        assert answer.status_code == 200, answer.text
    named = names_by_agent(client)
    assert named["1"] == ("1", "Lunch") and named["2"] == ("2", "Team meeting")


def test_name_reasons_fills_any_agent_objects(service: ActivityService) -> None:
    service.store.reasons.create(ACCOUNT, [ReasonFields("Lunch"), ReasonFields("Coaching")])
    agents: dict[str, dict[str, Any]] = {
        "7": {"reasonId": "2", "reasonName": "stale"},
        "8": {"reasonId": None, "reasonName": "stale"},
        "9": {"reasonId": "3"},
    }
    service.name_reasons(ACCOUNT, agents)
    assert [agent["reasonName"] for agent in agents.values()] == ["Coaching", None, None]
    assert dict(service.reason_names(ACCOUNT)) == {"1": "Lunch", "2": "Coaching"}
    assert dict(service.reason_names("another")) == {}


def test_changes_by_another_process_are_seen_and_items_are_reread_only_then(
    tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    here, there = SQLiteStore(url), SQLiteStore(url)
    try:
        service = ActivityService(here, Settings(db_url=url), clock=clock)
        reads: list[str] = []
        listing = here.reasons.listing

        def counting_listing(account_id: str, include_deleted: bool = False) -> Any:
            reads.append(account_id)
            return listing(account_id, include_deleted)

        here.reasons.listing = counting_listing  # type: ignore[method-assign]
        there.reasons.create(ACCOUNT, [ReasonFields("Lunch")])
        for _ in range(5):
            assert service.reason_names(ACCOUNT) == {"1": "Lunch"}
        assert len(reads) == 1  # the revision did not move: the cached names served
        there.reasons.update(ACCOUNT, 1, ReasonFields("Long lunch"), 1)
        assert service.reason_names(ACCOUNT) == {"1": "Long lunch"}
        assert service.reason_names(ACCOUNT) == {"1": "Long lunch"}
        assert len(reads) == 2
    finally:
        here.close()
        there.close()
