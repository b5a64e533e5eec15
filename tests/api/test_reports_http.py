"""`GET /api/account/{id}/reports/activity.csv` (SPEC section 9): the CSV streamed with
the API's figures, on both backends; every hostile parameter a 400 naming it (never a
500); OAuth keys with scope read, and dashboard links, a team link only within its team.
The clock is pinned after Berlin's 25-hour day (tests/report_world.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.dashboard_token import issue
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import open_store
from tests.api.conftest import HOUR, assert_error, client_for
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, make_credentials
from tests.report_world import (
    BERLIN,
    FALL_DAY,
    FALL_NOW,
    api_lines,
    assert_same_figures,
    day_range,
    keyed,
    read_csv,
    seed_world,
)
from tests.store.conftest import BACKENDS, backend_url
from tests.teams import ANN, BOB, SALES, STRANGER, SUPPORT, TIER_2

REPORT = f"/api/account/{ACCOUNT}/reports/activity.csv"
DAY = {"from": "2026-10-25", "to": "2026-10-26", "tz": BERLIN, "interval": "60"}


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ActivityService]:
    """A service on each backend holding the world, its clock pinned after the day."""
    folder: Path = tmp_path_factory.mktemp(request.param)
    with backend_url(request.param, folder) as url:
        store = open_store(url)
        settings = dataclasses.replace(
            Settings(db_url=url), max_concurrent_queries=1_000, query_rate_per_second=1_000_000
        )
        service = ActivityService(store, settings, clock=FakeClock(FALL_NOW))
        seed_world(service, ACCOUNT, FALL_DAY, FALL_NOW)
        yield service
        store.close()


@pytest.fixture
def client(world: ActivityService) -> Iterator[TestClient]:
    with client_for(world, make_credentials(world, ACCOUNT, ("read",))) as test_client:
        yield test_client


def link(service: ActivityService, group: str | None = None, account: str = ACCOUNT) -> dict:
    text, _ = issue(service.store, account, HOUR, FALL_NOW, "report", group)
    return {"Authorization": f"Bearer {text}"}


def csv_answer(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    return read_csv(answer.content.decode("utf-8"))


@pytest.mark.parametrize("interval", ["15", "60", "1440"])
def test_the_csv_has_the_apis_figures(
    client: TestClient, world: ActivityService, interval: str
) -> None:
    answer = client.get(REPORT, params={**DAY, "interval": interval})
    disposition = answer.headers["content-disposition"]
    assert disposition == f'attachment; filename="activity-{ACCOUNT}-2026-10-25-2026-10-25.csv"'
    rows = csv_answer(answer)
    intervals = {"15": 100, "60": 25, "1440": 1}[interval]
    assert len({row["intervalStart"] for row in rows}) == intervals
    span = day_range(world, FALL_DAY, int(interval), FALL_NOW)
    assert_same_figures(keyed(rows), *api_lines(world, ACCOUNT, span, FALL_NOW))


def test_agents_and_groups_narrow_the_report(client: TestClient) -> None:
    rows = csv_answer(client.get(REPORT, params={**DAY, "agentGroupIds": SALES}))
    assert {int(row["agentId"]) for row in rows} == {ANN, BOB}
    rows = csv_answer(client.get(REPORT, params={**DAY, "agentIds": f" {BOB} , {STRANGER}"}))
    assert {int(row["agentId"]) for row in rows} == {BOB, STRANGER}


def test_head_gives_the_headers_without_computing_the_report(client: TestClient) -> None:
    answer = client.head(REPORT, params=DAY)
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert client.head(REPORT, params={**DAY, "tz": "Nowhere"}).status_code == 400


def test_days_without_time_have_the_header_only(client: TestClient) -> None:
    answer = client.get(REPORT, params={**DAY, "from": "2026-10-20", "to": "2026-10-22"})
    assert csv_answer(answer) == []
    assert answer.text.startswith("agentId,agentName,")


def test_today_is_reported_up_to_now(client: TestClient) -> None:
    rows = csv_answer(client.get(REPORT, params={**DAY, "from": "2026-10-26", "to": "2026-10-27"}))
    starts = sorted({row["intervalStart"] for row in rows})
    assert starts[-1] == "2026-10-26T06:00:00+01:00"  # now is 06:07:11.803 there


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": "../../../etc/passwd"}, "tz"),
        ({"tz": "Europe/Berlin\x00"}, "tz"),
        ({"tz": "é" * 5000}, "tz"),
        ({"tz": ""}, "tz"),
        ({"from": "2026-10-32"}, "from"),
        ({"from": "0000-01-01"}, "from"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "from"),
        ({"from": "2026-10-25T00:00"}, "from"),
        ({"from": "-2026-10-25"}, "from"),
        ({"to": "2026-10-25"}, "to"),
        ({"to": "1999-01-01"}, "to"),
        ({"to": "9" * 400}, "to"),
        ({"from": "2020-01-01"}, "from"),  # before the history
        ({"from": "2026-10-27", "to": "2026-10-28"}, "from"),  # after today
        ({"interval": "5"}, "interval"),
        ({"interval": "60.0"}, "interval"),
        ({"interval": "1" + "0" * 30}, "interval"),
        ({"interval": ""}, "interval"),
        ({"agentIds": "1,,2"}, "agentIds"),
        ({"agentIds": str(2**63)}, "agentIds"),
        ({"agentGroupIds": "sales"}, "agentGroupIds"),
        ({"agentGroupIds": "77"}, "agentGroupIds"),  # no such group
    ],
)
def test_hostile_parameters_are_a_400_naming_them(
    client: TestClient, changes: dict[str, str], name: str
) -> None:
    params = {**DAY, **changes}
    assert_error(client.get(REPORT, params=params), 400, name)


def test_missing_and_repeated_parameters(client: TestClient) -> None:
    body = assert_error(client.get(REPORT), 400, "tz")
    assert {detail.split(":")[0] for detail in body["details"]} == {"tz", "from", "to", "interval"}
    assert_error(client.get(f"{REPORT}?from=2026-10-25&from=2026-10-24"), 400, "from")


def test_who_may_read_it(world: ActivityService, client: TestClient) -> None:
    assert_error(client.get(REPORT, params=DAY, auth=None), 401)
    with client_for(world, make_credentials(world, ACCOUNT, ("ingest",))) as ingest_only:
        assert_error(ingest_only.get(REPORT, params=DAY), 403, "read")
    with client_for(world, make_credentials(world, OTHER_ACCOUNT, ("read",))) as other:
        assert_error(other.get(REPORT, params=DAY), 403)
    foreign = link(world, account=OTHER_ACCOUNT)
    assert_error(client.get(REPORT, params=DAY, headers=foreign, auth=None), 403)
    whole = client.get(REPORT, params=DAY, headers=link(world), auth=None)
    assert csv_answer(whole) == csv_answer(client.get(REPORT, params=DAY))
    # As the dashboard's download link carries it: in the query string.
    token = link(world)["Authorization"].removeprefix("Bearer ")
    by_query = client.get(REPORT, params={**DAY, "access_token": token}, auth=None)
    assert csv_answer(by_query) == csv_answer(whole)


def test_a_team_link_reads_only_its_team(world: ActivityService, client: TestClient) -> None:
    team = link(world, SALES)
    rows = csv_answer(client.get(REPORT, params=DAY, headers=team, auth=None))
    assert {int(row["agentId"]) for row in rows} == {ANN, BOB}
    assert rows == csv_answer(client.get(REPORT, params={**DAY, "agentGroupIds": SALES}))
    inside = client.get(REPORT, params={**DAY, "agentGroupIds": TIER_2}, headers=team, auth=None)
    assert {int(row["agentId"]) for row in csv_answer(inside)} == {ANN}
    for outside in (
        {"agentGroupIds": SUPPORT},
        {"agentGroupIds": f"{TIER_2},{SUPPORT}"},
        {"agentIds": f"{ANN},{STRANGER}"},
        {"agentIds": "123456"},  # no such agent: outside all the same
    ):
        answer = client.get(REPORT, params={**DAY, **outside}, headers=team, auth=None)
        assert_error(answer, 403, "outside this dashboard link's team")


def test_a_report_holds_a_query_slot_until_it_ends(world: ActivityService) -> None:
    limited = dataclasses.replace(world.settings, max_concurrent_queries=1)
    service = ActivityService(world.store, limited, clock=world.clock)
    with client_for(service, make_credentials(service, ACCOUNT, ("read",))) as client:
        with client.stream("GET", REPORT, params=DAY) as streaming:
            assert streaming.status_code == 200
            busy = client.get(REPORT, params=DAY)
            assert busy.status_code == 429 and "too many queries" in busy.json()["message"]
            streaming.read()
        assert client.get(REPORT, params=DAY).status_code == 200
