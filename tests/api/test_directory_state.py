"""Current state and its stream with the directory (SPEC 7 + 8): names, employee ids and
groups in each agent's object, `agentGroupIds` on both, and what a stream does when
the directory changes (docs/api.md, Live stream). Teams: tests/teams.py."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.credentials import Credentials
from agentactivity.directory import User
from agentactivity.directory_items import Change
from agentactivity.service import ActivityService
from tests.api.conftest import assert_error, ingest, state
from tests.api.test_state_stream import STREAM, AsgiStream
from tests.conftest import ACCOUNT, FakeClock
from tests.teams import (
    ANN,
    BOB,
    CLOSED,
    SALES,
    SUPPORT,
    SUPPORT_AGENT,
    TIER_2,
    seed_teams,
    team_events,
)

STATE = f"/api/account/{ACCOUNT}/agents/state"


@pytest.fixture
def teams(service: ActivityService, client: TestClient, clock: FakeClock) -> None:
    seed_teams(service.store, ACCOUNT)
    ingest(client, team_events(clock.now))


def listing(client: TestClient, **params: Any) -> dict[str, Any]:
    params.setdefault("agentIds", "all")
    answer = client.get(STATE, params=params)
    assert answer.status_code == 200, answer.text
    agents: dict[str, Any] = answer.json()["agents"]
    return agents


def labels(agent: dict[str, Any]) -> tuple[Any, Any, Any]:
    return agent["agentName"], agent["employeeId"], agent["agentGroupId"]


def test_objects_carry_names_employee_ids_and_groups(client: TestClient, teams: None) -> None:
    agents = listing(client)
    assert list(agents) == ["10", "11", "12", "13", "14"]
    assert labels(agents["10"]) == ("Ann", "E10", TIER_2)  # the nickname first
    assert labels(agents["11"]) == ("Bob Smith", None, SALES)  # else the full name
    assert labels(agents["12"]) == (None, None, SUPPORT)
    assert labels(agents["13"]) == ("Rob", None, "-1")  # a user in the root itself
    assert labels(agents["14"]) == (None, None, "-1")  # events, no directory entry


def test_agent_group_ids_narrow_the_listing(client: TestClient, teams: None) -> None:
    assert list(listing(client, agentGroupIds=SALES)) == ["10", "11"]
    assert list(listing(client, agentGroupIds=f"{TIER_2},{SUPPORT}")) == ["10", "12"]
    assert list(listing(client, agentGroupIds="-1")) == ["10", "11", "12", "13", "14"]
    assert list(listing(client, agentIds="11,12", agentGroupIds=SALES)) == ["11"]
    assert list(listing(client, agentGroupIds=" ")) == ["10", "11", "12", "13", "14"]
    for bad, named in (("99", "'99'"), (CLOSED, f"'{CLOSED}'"), ("x", "'x'"), ("1,", "empty")):
        body = assert_error(
            client.get(STATE, params={"agentIds": "all", "agentGroupIds": bad}),
            400,
            "agentGroupIds",
        )
        assert named in body["message"]


def test_a_stream_asking_for_unknown_groups_is_refused(client: TestClient, teams: None) -> None:
    assert_error(client.get(STREAM, params={"agentGroupIds": "99"}), 400, "agentGroupIds")
    assert_error(client.get(STREAM, params={"agentGroupIds": "1,x"}), 400, "agentGroupIds")


def _data(stream: AsgiStream, kind: str) -> list[dict[str, Any]]:
    found = [m for m in stream.messages() if m.get("event") == kind]
    return [orjson.loads(m["data"]) for m in found]


def test_a_team_stream_follows_its_members_and_the_directory(
    client: TestClient,
    service: ActivityService,
    credentials: Credentials,
    clock: FakeClock,
    teams: None,
) -> None:
    """Changes of other teams' agents are left out; a rename is an `agent` change of its
    object; an agent joining the team makes the stream send a new snapshot."""
    service.settings = dataclasses.replace(service.settings, stream_poll_seconds=0.05)
    app = create_app(service)
    users = service.store.directory.users

    async def scenario() -> None:
        stream = AsgiStream(app, credentials, {"agentGroupIds": SALES})
        everyone = AsgiStream(app, credentials)
        tasks = [stream.start(), everyone.start()]
        await stream.until(lambda body: b"event: snapshot" in body)
        await everyone.until(lambda body: b"event: snapshot" in body)
        (snapshot,) = _data(stream, "snapshot")
        assert list(snapshot["agents"]) == ["10", "11"]
        assert snapshot == service.live.current_state(ACCOUNT, None, clock.now, (SALES,))

        await asyncio.to_thread(
            ingest,
            client,
            [state(SUPPORT_AGENT, clock.now, "ONLINE"), state(BOB, clock.now, "ONLINE")],
        )
        await stream.until(lambda body: b"event: agent" in body)
        await everyone.until(lambda body: body.count(b"event: agent") == 2)
        assert [change["agentId"] for change in _data(stream, "agent")] == ["11"]

        # Ann renamed: every stream showing her sends her object anew.
        revision = service.store.directory.revisions(ACCOUNT)[0]
        ann = User(
            ANN, "ann", full_name="Ann Lee", nickname="Annie", employee_id="E10", group_id=TIER_2
        )
        await asyncio.to_thread(users.update, ACCOUNT, ANN, Change(ann), revision)
        await stream.until(lambda body: b"Annie" in body)
        renamed = _data(stream, "agent")[-1]
        assert (renamed["agentId"], renamed["agentName"]) == ("10", "Annie")
        await everyone.until(lambda body: b"Annie" in body)

        # The Support agent moves into Sales: the team stream starts over with a snapshot.
        sue = User(SUPPORT_AGENT, "sue", group_id=SALES)
        await asyncio.to_thread(users.update, ACCOUNT, SUPPORT_AGENT, Change(sue), revision + 1)
        await stream.until(lambda body: body.count(b"event: snapshot") == 2)
        latest = _data(stream, "snapshot")[-1]
        assert list(latest["agents"]) == ["10", "11", "12"]
        assert latest["agents"]["12"]["agentGroupId"] == SALES
        assert latest == service.live.current_state(ACCOUNT, None, clock.now, (SALES,))
        # The unfiltered stream just sees the moved agent's new object.
        await everyone.until(lambda body: body.count(b'"agentGroupId":"1"') >= 1)
        assert _data(everyone, "snapshot")[1:] == []

        stream.gone.set()
        everyone.gone.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)

    asyncio.run(scenario())
