"""Agent Activity with the directory (SPEC 8) over HTTP: `agentGroupIds` narrows the
agents to a team and its sub-teams, `groupTotals` adds `metricsPerGroup` beside
`metricsPerAgent`. The seeded teams are described in tests/teams.py."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.service import ActivityService
from tests.api.conftest import ACTIVITY, activity, assert_error, ingest
from tests.conftest import ACCOUNT, FakeClock
from tests.teams import (
    ANN,
    CLOSED,
    EMPTY,
    SALES,
    STRANGER,
    SUPPORT,
    SUPPORT_AGENT,
    TIER_2,
    seed_teams,
    team_events,
)


@pytest.fixture
def teams(service: ActivityService, client: TestClient, clock: FakeClock) -> int:
    """The teams, and each agent logged in for whole minutes up to now (returned)."""
    seed_teams(service.store, ACCOUNT)
    now = clock.now
    ingest(client, team_events(now))
    return now


def agents_of(body: dict[str, Any]) -> list[str]:
    payload = body.get("body", body)
    return list(payload["agentsMetrics"]["metricsPerAgent"])


def logged_in_s(entries: list[dict[str, Any]]) -> int:
    total: int = entries[3]["value"]["total"]
    return total


def test_agent_group_ids_narrow_to_the_groups_and_their_descendants(
    client: TestClient, teams: int
) -> None:
    base = {"timeframe": 180, "to": teams}
    assert agents_of(activity(client, **base, agentGroupIds=SALES)) == ["10", "11"]
    assert agents_of(activity(client, **base, agentGroupIds=TIER_2)) == ["10"]
    both = activity(client, **base, agentGroupIds=f" {SUPPORT} , {TIER_2},{TIER_2}")
    assert agents_of(both) == ["10", "12"]
    # The root holds everyone, also agents without a directory entry.
    assert agents_of(activity(client, **base, agentGroupIds="-1")) == [
        "10",
        "11",
        "12",
        "13",
        "14",
    ]
    assert agents_of(activity(client, **base, agentGroupIds=EMPTY)) == []
    # Intersected with agentIds.
    narrowed = activity(client, **base, agentIds=f"{ANN},{SUPPORT_AGENT},{STRANGER}")
    assert agents_of(narrowed) == ["10", "12", "14"]
    assert agents_of(activity(client, **base, agentIds="12,14", agentGroupIds=SALES)) == []
    # POST, with a JSON list of numbers and strings, v=2.
    answer = client.post(
        ACTIVITY, json={**base, "v": 2, "agentIds": "all", "agentGroupIds": [3, "2"]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["meta"] == {"responseCode": 200}
    assert agents_of(answer.json()) == ["10", "12"]


def test_a_filtered_answer_is_the_explicit_list_answer(client: TestClient, teams: int) -> None:
    for params in ({}, {"interval": 60, "totals": "true"}):
        by_group = client.get(
            ACTIVITY,
            params={
                "timeframe": 180,
                "to": teams,
                "v": 1,
                "agentIds": "all",
                "agentGroupIds": SALES,
                **params,
            },
        )
        by_ids = client.get(
            ACTIVITY,
            params={"timeframe": 180, "to": teams, "v": 1, "agentIds": "11,10", **params},
        )
        assert by_group.content == by_ids.content


def test_group_totals_sit_beside_metrics_per_agent_in_every_scope(
    client: TestClient, teams: int
) -> None:
    body = activity(client, timeframe=240, interval=60, to=teams, totals="true", groupTotals="TRUE")
    blocks = [item["metricsData"]["agentsMetrics"] for item in body["metricsByIntervals"]]
    whole = body["agentsMetrics"]
    for block in [*blocks, whole]:
        assert list(block) == ["metricsPerAgent", "metricsPerGroup", "metricsTotals"]
    groups = whole["metricsPerGroup"]
    # Groups with a listed agent, ascending numeric order; never the empty or the deleted.
    assert list(groups) == ["-1", SALES, TIER_2, SUPPORT]
    assert groups["-1"] == whole["metricsTotals"]
    per_agent = whole["metricsPerAgent"]
    assert logged_in_s(groups[TIER_2]) == logged_in_s(per_agent["10"]) == 7200
    assert logged_in_s(groups[SALES]) == 7200 + 5400
    assert logged_in_s(groups[SUPPORT]) == 1800
    # Reasons summed per id, by total descending: Sales only has Bob's lunch.
    assert groups[SALES][2]["reasons"] == per_agent["11"][2]["reasons"]
    root_reasons = [(r["id"], r["value"]["total"]) for r in groups["-1"][2]["reasons"]]
    assert root_reasons == [("lunch", 5400 + 600), ("break", 3600)]
    # The oldest interval (3 to 4 hours ago): nobody logged in, no group.
    oldest = blocks[-1]
    assert oldest["metricsPerAgent"] == {} and oldest["metricsPerGroup"] == {}
    # The interval ending about an hour ago: Ann, Bob and the root's own agents, not
    # Support's (logged in for the last 30 minutes only).
    second = blocks[1]
    assert list(second["metricsPerAgent"]) == ["10", "11", "13", "14"]
    assert list(second["metricsPerGroup"]) == ["-1", SALES, TIER_2]


def test_group_totals_roll_up_only_the_listed_agents(client: TestClient, teams: int) -> None:
    body = activity(client, timeframe=180, to=teams, agentGroupIds=TIER_2, groupTotals=1)
    groups = body["agentsMetrics"]["metricsPerGroup"]
    assert list(groups) == ["-1", SALES, TIER_2]
    assert groups["-1"] == groups[SALES] == groups[TIER_2]
    assert "metricsTotals" in body["agentsMetrics"]  # still there, still empty
    assert body["agentsMetrics"]["metricsTotals"] == []


def test_without_the_new_parameters_nothing_changes(client: TestClient, teams: int) -> None:
    params = {"timeframe": 180, "to": teams, "v": 2, "agentIds": "all", "interval": 60}
    plain = client.get(ACTIVITY, params=params)
    off = client.get(ACTIVITY, params={**params, "groupTotals": "false", "agentGroupIds": " "})
    assert plain.status_code == 200 and plain.content == off.content
    assert b"metricsPerGroup" not in plain.content


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"agentGroupIds": "99"}, "'99'"),
        ({"agentGroupIds": f"{SALES},{CLOSED}"}, f"'{CLOSED}'"),  # deleted
        ({"agentGroupIds": "1,,2"}, "empty item"),
        ({"agentGroupIds": "sales"}, "'sales'"),
        ({"agentGroupIds": "-2"}, "'-2'"),
        ({"agentGroupIds": "1.5"}, "'1.5'"),
        ({"groupTotals": "maybe"}, "groupTotals"),
    ],
)
def test_bad_group_parameters_are_400_naming_them(
    client: TestClient, teams: int, params: dict[str, str], message: str
) -> None:
    answer = client.get(ACTIVITY, params={"timeframe": 60, "v": 1, "agentIds": "all", **params})
    body = assert_error(answer, 400, next(iter(params)))
    assert message in body["message"]


def test_bad_group_parameters_in_a_post_body(client: TestClient, teams: int) -> None:
    query = {"timeframe": 60, "v": 1, "agentIds": "all"}
    for bad in ([], [True], {"id": 1}, [1.5], 98):
        answer = client.post(ACTIVITY, json={**query, "agentGroupIds": bad})
        assert_error(answer, 400, "agentGroupIds")
    # Every syntax problem is listed with the others.
    answer = client.post(ACTIVITY, json={**query, "interval": 7, "agentGroupIds": "x"})
    details = assert_error(answer, 400, "interval")["details"]
    assert any("agentGroupIds" in detail for detail in details)
