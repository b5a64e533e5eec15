"""`GET /api/v2/account/{id}/status-changes` (SPEC section 9) over HTTP: the v1 and v2
shapes, the links, the directory's fields and the reasons' texts as they are when the
request runs, discovery, and who may read it (OAuth scopes, accounts, dashboard and
team links). The directory is tests/teams.py's."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from agentactivity.clock import rfc3339_ms
from agentactivity.credentials import Credentials
from agentactivity.dashboard_token import issue
from agentactivity.directory import User
from agentactivity.directory_items import Change
from agentactivity.reasons import ReasonFields
from agentactivity.service import ActivityService
from tests.api.conftest import HOUR, MINUTE, client_for, ingest, state
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, make_credentials
from tests.teams import ANN, BOB, ROOT_AGENT, SALES, STRANGER, SUPPORT_AGENT, seed_teams

PATH = f"/api/v2/account/{ACCOUNT}/status-changes"
DISCOVERY = f"/api/account/{ACCOUNT}/service/agentActivityDomain/baseURI.json"


def get(client: TestClient, status: int = 200, **params: Any) -> dict[str, Any]:
    params.setdefault("source", "tests")
    answer = client.get(PATH, params=params)
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def links(body: dict[str, Any]) -> dict[str, int]:
    """rel -> the offset its href asks for."""
    found = {}
    for reference in body["_metadata"]["references"]:
        query = parse_qs(urlsplit(reference["href"]).query)
        found[reference["rel"]] = int(query["offset"][0])
    return found


@pytest.fixture
def seeded(service: ActivityService, client: TestClient, clock: FakeClock) -> int:
    """Teams' directory; Ann logs in, goes Away for lunch (reason 1, "Lunch"), comes
    back, logs out; Bob logs in with an unnamed reason; agent 14 is not in the
    directory. Returns the instant of Ann's login."""
    seed_teams(service.store, ACCOUNT)
    service.store.reasons.create(ACCOUNT, [ReasonFields("Lunch")])
    t = clock.now - 3 * HOUR
    ingest(
        client,
        [
            state(ANN, t, "ONLINE"),
            state(ANN, t + MINUTE, "AWAY", "1"),
            state(ANN, t + 2 * MINUTE, "AWAY", "1"),  # a repeat: no record
            state(ANN, t + 3 * MINUTE, "ONLINE"),
            state(ANN, t + 4 * MINUTE, "OFFLINE"),
            state(ANN, t + 5 * MINUTE, "OFFLINE"),  # logged out already: no record
            state(BOB, t + MINUTE, "AWAY", "x-7"),
            state(STRANGER, t + 2 * MINUTE, "BACK_SOON"),
            {"type": "chat_start", "agentId": str(BOB), "time": t + 2 * MINUTE, "chatId": "c"},
        ],
    )
    return t


def test_v2_records_with_directory_fields_and_reason_texts(client: TestClient, seeded: int) -> None:
    body = get(client, v=2)
    records = body["stateChanges"]
    ann = [r for r in records if r["agentId"] == ANN]
    t = seeded
    assert [(r["statusType"], r["statusSubType"], r["sequenceNumber"]) for r in ann] == [
        (3, 0, -1),
        (1, 2, 1),
        (1, 4, 2),
        (1, 2, 3),
        (1, 1, 4),
        (4, 0, 5),
    ]
    session = ann[0]["sessionId"]
    assert all(r["sessionId"] == session for r in ann)
    assert ann[0] == {
        "agentId": ANN,
        "employeeId": "E10",
        "agentLoginName": "ann",
        "agentUserName": "Ann",
        "agentGroupId": 2,
        "time": rfc3339_ms(t),
        "sessionId": session,
        "sequenceNumber": -1,
        "statusType": 3,
        "statusSubType": 0,
        "statusReasonId": -1,
        "statusReasonText": None,
        "prevStatusChangeTime": None,
    }
    assert ann[2]["statusReasonId"] == 1 and ann[2]["statusReasonText"] == "Lunch"
    assert ann[2]["prevStatusChangeTime"] == rfc3339_ms(t)
    assert ann[4]["prevStatusChangeTime"] == rfc3339_ms(t + 3 * MINUTE)
    assert ann[5]["prevStatusChangeTime"] == ann[5]["time"] == rfc3339_ms(t + 4 * MINUTE)
    bob = [r for r in records if r["agentId"] == BOB]
    assert bob[1]["statusReasonId"] == "x-7" and bob[1]["statusReasonText"] is None
    assert bob[0]["agentUserName"] is None and bob[0]["agentGroupId"] == int(SALES)
    stranger = [r for r in records if r["agentId"] == STRANGER]
    assert stranger[0]["agentGroupId"] == -1 and stranger[0]["agentLoginName"] is None
    # Ordered by time, then agent id.
    keys = [(r["time"], r["agentId"]) for r in records]
    assert keys == sorted(keys) and len(records) == 6 + 2 + 2
    assert body["timeframe"]["endTimeL"] == str(client.app.state.service.clock())  # type: ignore[attr-defined]


def test_v1_groups_records_by_agent(client: TestClient, seeded: int) -> None:
    body = get(client)  # v=1 is the default
    agents = body["agentsInfo"]
    assert [a["agentId"] for a in agents] == [ANN, BOB, STRANGER]
    assert set(agents[0]) == {
        "agentId",
        "employeeId",
        "agentLoginName",
        "agentUserName",
        "agentGroupId",
        "statusChangeHistory",
    }
    history = agents[0]["statusChangeHistory"]
    assert len(history) == 6 and "agentId" not in history[0]
    assert [h["statusType"] for h in history] == [3, 1, 1, 1, 1, 4]


def test_timeframe_defaults_to_the_last_day(
    client: TestClient, seeded: int, clock: FakeClock
) -> None:
    timeframe = get(client)["timeframe"]
    assert timeframe == {
        "startTime": rfc3339_ms(clock.now - 24 * HOUR),
        "endTime": rfc3339_ms(clock.now),
        "startTimeL": str(clock.now - 24 * HOUR),
        "endTimeL": str(clock.now),
    }
    # An explicit range: records with from <= time < to only.
    t = seeded
    body = get(client, v=2, **{"from": rfc3339_ms(t + MINUTE), "to": rfc3339_ms(t + 3 * MINUTE)})
    assert {r["time"] for r in body["stateChanges"]} == {
        rfc3339_ms(t + MINUTE),
        rfc3339_ms(t + 2 * MINUTE),
    }


def test_links_walk_every_record_once(client: TestClient, seeded: int) -> None:
    everything = get(client, v=2)["stateChanges"]
    seen, offset = [], 0
    while True:
        body = get(client, v=2, limit=3, offset=offset)
        seen += body["stateChanges"]
        found = links(body)
        assert found["self"] == offset and found["first"] == 0 and found["last"] == 9
        assert ("previous" in found) == (offset > 0)
        if "next" not in found:
            break
        assert found["next"] == offset + 3
        offset = found["next"]
    assert seen == everything
    hrefs = {r["rel"]: r["href"] for r in body["_metadata"]["references"]}
    assert hrefs["self"].startswith("http://127.0.0.1:8080" + PATH + "?")
    assert parse_qs(urlsplit(hrefs["first"]).query)["source"] == ["tests"]


def test_pages_past_the_end_are_empty_with_links_back(client: TestClient, seeded: int) -> None:
    body = get(client, v=2, limit=4, offset=100)
    assert body["stateChanges"] == []
    assert links(body) == {"self": 100, "first": 0, "previous": 8, "last": 8}
    v1 = get(client, limit=2, offset=3)
    assert v1["agentsInfo"] == [] and links(v1) == {
        "self": 3,
        "first": 0,
        "previous": 1,
        "last": 2,
    }
    empty = get(client, v=2, agentId=999)
    assert empty["stateChanges"] == [] and links(empty) == {"self": 0, "first": 0}


def test_filters(client: TestClient, seeded: int) -> None:
    def agents(**params: Any) -> set[int]:
        return {r["agentId"] for r in get(client, v=2, **params)["stateChanges"]}

    assert agents(agentId=ANN) == {ANN}
    assert agents(empId="E10") == {ANN}
    assert agents(empId="nobody") == set()
    assert agents(groupId=SALES) == {ANN, BOB}  # Tier 2 is below Sales
    assert agents(groupId="-1") == {ANN, BOB, STRANGER}
    assert get(client, agentId=BOB)["agentsInfo"][0]["agentId"] == BOB


def test_directory_changes_show_at_once(
    service: ActivityService, client: TestClient, seeded: int
) -> None:
    users = service.store.directory.users
    revision, ann = users.get(ACCOUNT, ANN)
    assert ann is not None
    users.update(ACCOUNT, ANN, Change(User(ANN, "ann2", employee_id="E99")), revision)
    record = get(client, v=2, agentId=ANN)["stateChanges"][0]
    assert record["agentLoginName"] == "ann2" and record["employeeId"] == "E99"
    assert record["agentGroupId"] == -1


def test_discovery_names_the_service(client: TestClient) -> None:
    answer = client.get(DISCOVERY, params={"version": "1.0"}, auth=None)
    assert answer.status_code == 200
    assert answer.json()["service"] == "agentActivityDomain"


def test_unsigned_and_unauthorized_requests(
    service: ActivityService, client: TestClient, seeded: int, clock: FakeClock
) -> None:
    assert client.get(PATH, params={"source": "x"}, auth=None).status_code == 401
    with client_for(service, make_credentials(service, ACCOUNT, ("ingest",))) as ingest_only:
        assert ingest_only.get(PATH, params={"source": "x"}).status_code == 403
    other: Credentials = make_credentials(service, OTHER_ACCOUNT, ("read",))
    with client_for(service, other) as stranger:
        assert stranger.get(PATH, params={"source": "x"}).status_code == 403
    # Auth comes before the parameters: no source, still 401 / 403.
    assert client.get(PATH, auth=None).status_code == 401


def test_dashboard_links_read_and_team_links_read_their_team(
    service: ActivityService, client: TestClient, seeded: int, clock: FakeClock
) -> None:
    def token(group: str | None) -> dict[str, str]:
        text, _ = issue(service.store, ACCOUNT, HOUR, clock.now, "t", group)
        return {"Authorization": f"Bearer {text}"}

    def ask(headers: dict[str, str], **params: Any) -> Any:
        return client.get(
            PATH, params={"source": "x", "v": 2, **params}, headers=headers, auth=None
        )

    whole = ask(token(None))
    assert whole.status_code == 200 and len(whole.json()["stateChanges"]) == 10
    team = token(SALES)
    assert {r["agentId"] for r in ask(team).json()["stateChanges"]} == {ANN, BOB}
    assert ask(team, agentId=ANN).status_code == 200
    assert ask(team, empId="E10").status_code == 200
    for outside in ({"agentId": SUPPORT_AGENT}, {"agentId": 999}, {"groupId": "3"}):
        assert ask(team, **outside).status_code == 403, outside
    assert ask(team, groupId="99").status_code == 403  # unknown: outside too
    assert ask(team, empId="nobody").status_code == 403
    assert ask(team, groupId="-1").status_code == 403
    assert ROOT_AGENT not in {r["agentId"] for r in ask(team).json()["stateChanges"]}
