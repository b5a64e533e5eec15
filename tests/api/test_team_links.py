"""Team links (`dashboard-link --group`, SPEC section 8): a dashboard link limited to an
agent group reads that group's agents and those of its sub-groups, and nothing else.

Every way of naming an agent or a group outside the team is a 403, also beside team
members and also for ids that do not exist (a link must not learn which do); `agentIds=all`
means the team; the figures it reads are those an OAuth key gets for the team. The
directory is tests/teams.py's: Sales (1) > Tier 2 (2); Support (3); Empty (4).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from agentactivity.dashboard_token import issue
from agentactivity.directory import User
from agentactivity.directory_items import Change
from agentactivity.service import ActivityService
from tests.api.conftest import ACTIVITY, HOUR, ingest
from tests.conftest import ACCOUNT, FakeClock
from tests.teams import (
    ANN,
    BOB,
    EMPTY,
    ROOT_AGENT,
    SALES,
    STRANGER,
    SUPPORT,
    SUPPORT_AGENT,
    TIER_2,
    seed_teams,
    team_events,
)

STATE = f"/api/account/{ACCOUNT}/agents/state"
STREAM = f"/api/account/{ACCOUNT}/agents/state/stream"
GROUPS = f"/api/account/{ACCOUNT}/configuration/le-users/agentGroups"
USERS = f"/api/account/{ACCOUNT}/configuration/le-users/users"
QUERY = "timeframe=180&v=1&interval=60&totals=true&groupTotals=true"
SALES_TEAM = {str(ANN), str(BOB)}  # Bob in Sales, Ann in Tier 2 below it


@pytest.fixture
def teams(service: ActivityService, client: TestClient, clock: FakeClock) -> None:
    seed_teams(service.store, ACCOUNT)
    ingest(client, team_events(clock.now))


def link(service: ActivityService, clock: FakeClock, group: str | None) -> dict[str, str]:
    text, _ = issue(service.store, ACCOUNT, HOUR, clock.now, "team", group)
    return {"Authorization": f"Bearer {text}"}


def listed(answer: dict[str, Any]) -> set[str]:
    return set(answer["agentsMetrics"]["metricsPerAgent"])


@pytest.mark.usefixtures("teams")
def test_all_means_the_team_and_its_figures_are_the_keys_figures_for_the_team(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    headers = link(service, clock, SALES)
    team = client.get(f"{ACTIVITY}?{QUERY}&agentIds=all", headers=headers, auth=None)
    assert team.status_code == 200, team.text
    assert listed(team.json()) == SALES_TEAM
    by_key = client.get(f"{ACTIVITY}?{QUERY}&agentIds=all&agentGroupIds={SALES}")
    assert team.json() == by_key.json()
    state = client.get(f"{STATE}?agentIds=all", headers=headers, auth=None)
    assert state.status_code == 200, state.text
    assert set(state.json()["agents"]) == SALES_TEAM


@pytest.mark.usefixtures("teams")
@pytest.mark.parametrize(
    "asked",
    [
        f"agentIds={ANN}",
        f"agentIds={ANN},{BOB}",
        f"agentIds=all&agentGroupIds={TIER_2}",
        f"agentGroupIds={SALES},{TIER_2}&agentIds={ANN}",
    ],
)
def test_inside_the_team_any_way_of_asking_is_answered(
    service: ActivityService, client: TestClient, clock: FakeClock, asked: str
) -> None:
    headers = link(service, clock, SALES)
    for path in (f"{ACTIVITY}?{QUERY}&{asked}", f"{STATE}?{asked}"):
        answer = client.get(path, headers=headers, auth=None)
        assert answer.status_code == 200, (path, answer.text)
        by_key = client.get(path).json()
        assert answer.json() == by_key, path


@pytest.mark.usefixtures("teams")
@pytest.mark.parametrize(
    ("asked", "named"),
    [
        (f"agentIds={SUPPORT_AGENT}", "agentIds"),
        (f"agentIds={ANN},{SUPPORT_AGENT}", "agentIds"),  # beside a member
        (f"agentIds={STRANGER}", "agentIds"),  # events, no user: in the root
        (f"agentIds={ROOT_AGENT}", "agentIds"),
        ("agentIds=4242", "agentIds"),  # no such agent: still not the link's to know
        (f"agentIds=all&agentGroupIds={SUPPORT}", "agentGroupIds"),
        (f"agentIds=all&agentGroupIds={TIER_2},{SUPPORT}", "agentGroupIds"),
        ("agentIds=all&agentGroupIds=-1", "agentGroupIds"),  # the root holds everyone
        ("agentIds=all&agentGroupIds=999", "agentGroupIds"),  # unknown: 403, not the 400 a key gets
        (f"agentIds=all&agentGroupIds={EMPTY}", "agentGroupIds"),
    ],
)
def test_anything_outside_the_team_is_forbidden(
    service: ActivityService, client: TestClient, clock: FakeClock, asked: str, named: str
) -> None:
    headers = link(service, clock, SALES)
    paths = [f"{ACTIVITY}?{QUERY}&{asked}", f"{STATE}?{asked}", f"{STREAM}?{asked}"]
    for path in paths:
        answer = client.get(path, headers=headers, auth=None)
        assert answer.status_code == 403, (path, answer.text)
        message = answer.json()["message"]
        assert message.startswith(f"{named}: ") and "outside this dashboard link's team" in message
    posted = client.post(
        ACTIVITY,
        json={"timeframe": "60", "v": "1", "agentIds": "all", **_fields(asked)},
        headers=headers,
        auth=None,
    )
    assert posted.status_code == 403, posted.text


def _fields(query: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in query.split("&"))


@pytest.mark.usefixtures("teams")
def test_the_stream_of_a_team_link_sends_only_the_team(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    headers = link(service, clock, SALES)
    with client.stream("GET", f"{STREAM}?agentIds=all", headers=headers, auth=None) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        data = next(line for line in lines if line.startswith("data: "))
    snapshot = orjson.loads(data.removeprefix("data: "))
    assert set(snapshot["agents"]) == SALES_TEAM


@pytest.mark.usefixtures("teams")
def test_membership_is_read_when_asked(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    headers = link(service, clock, SALES)
    users = service.store.directory.users
    revision, current = users.get(ACCOUNT, SUPPORT_AGENT)
    assert current is not None
    users.update(ACCOUNT, SUPPORT_AGENT, Change(_moved(current, TIER_2)), revision)
    answer = client.get(f"{STATE}?agentIds=all", headers=headers, auth=None)
    assert set(answer.json()["agents"]) == SALES_TEAM | {str(SUPPORT_AGENT)}
    assert client.get(f"{STATE}?agentIds={SUPPORT_AGENT}", headers=headers, auth=None).is_success


def _moved(user: User, group: str) -> User:
    return replace(user, group_id=group)


@pytest.mark.usefixtures("teams")
def test_a_link_whose_team_is_deleted_reads_nothing(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    headers = link(service, clock, EMPTY)
    assert client.get(f"{STATE}?agentIds=all", headers=headers, auth=None).json()["agents"] == {}
    groups = service.store.directory.groups
    revision, _ = groups.get(ACCOUNT, EMPTY)
    groups.delete(ACCOUNT, [EMPTY], revision)
    answer = client.get(f"{STATE}?agentIds=all", headers=headers, auth=None)
    assert answer.status_code == 403
    assert "no longer exists" in answer.json()["message"]


@pytest.mark.usefixtures("teams")
def test_links_list_the_groups_a_team_link_only_its_own(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    whole = client.get(GROUPS, headers=link(service, clock, None), auth=None)
    assert whole.status_code == 200, whole.text
    assert {group["id"] for group in whole.json()} == {"-1", SALES, TIER_2, SUPPORT, EMPTY}
    team = client.get(GROUPS, headers=link(service, clock, SALES), auth=None)
    assert team.status_code == 200, team.text
    assert {group["id"] for group in team.json()} == {SALES, TIER_2}
    # The users (login names, employee ids) stay for keys: the page names agents from
    # the state objects.
    assert client.get(USERS, headers=link(service, clock, SALES), auth=None).status_code == 403


@pytest.mark.usefixtures("teams")
def test_a_whole_account_link_and_keys_are_not_limited(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    headers = link(service, clock, None)
    path = f"{STATE}?agentIds={SUPPORT_AGENT},{STRANGER}"
    assert set(client.get(path, headers=headers, auth=None).json()["agents"]) == {
        str(SUPPORT_AGENT),
        str(STRANGER),
    }
    root = link(service, clock, "-1")  # a team link to the root is the whole account
    everyone = client.get(f"{STATE}?agentIds=all", headers=root, auth=None).json()["agents"]
    assert everyone == client.get(f"{STATE}?agentIds=all").json()["agents"]
