"""A report's rows are the Agent Activity API's figures (SPEC section 9): on Berlin's
25-hour and 23-hour days, at each interval, every row equals the API's entry for the
same window, agent by agent, with the directory's names and the status reasons' texts.
In process, at pinned instants (tests/report_world.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from agentactivity.reports import COLUMNS, csv_lines
from agentactivity.service import ActivityService
from agentactivity.service.report import report_agents, report_days
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.conftest import ACCOUNT, FakeClock
from tests.report_world import (
    FALL_DAY,
    FALL_NOW,
    SPRING_DAY,
    SPRING_NOW,
    STEADY,
    api_lines,
    assert_same_figures,
    day_range,
    keyed,
    read_csv,
    seed_world,
)
from tests.teams import ANN, BOB, SALES, STRANGER, TIER_2


def world(day: date, now: int) -> Iterator[ActivityService]:
    store = SQLiteStore(":memory:")
    service = ActivityService(store, Settings(db_url=":memory:"), clock=FakeClock(now))
    seed_world(service, ACCOUNT, day, now)
    yield service
    store.close()


@pytest.fixture(scope="module")
def fall() -> Iterator[ActivityService]:
    yield from world(FALL_DAY, FALL_NOW)


@pytest.fixture(scope="module")
def spring() -> Iterator[ActivityService]:
    yield from world(SPRING_DAY, SPRING_NOW)


def report(
    service: ActivityService,
    day: date,
    interval: int,
    now: int,
    agent_ids: tuple[int, ...] | None = None,
    group_ids: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """The report's rows as dicts of COLUMNS, through CSV text as the API sends them."""
    span = day_range(service, day, interval, now)
    selected, directory = report_agents(service, ACCOUNT, agent_ids, group_ids)
    text = csv_lines([COLUMNS])
    for _day, intervals in report_days(service, ACCOUNT, span, selected, directory):
        for rows in intervals:
            text += csv_lines(rows)
    return read_csv(text)


@pytest.mark.parametrize(
    ("day_name", "interval", "intervals"),
    [
        ("fall", 15, 100),
        ("fall", 60, 25),
        ("fall", 1440, 1),
        ("spring", 15, 92),
        ("spring", 30, 46),
    ],
)
def test_rows_equal_the_api_at_every_interval_of_a_dst_day(
    day_name: str, interval: int, intervals: int, request: pytest.FixtureRequest
) -> None:
    service: ActivityService = request.getfixturevalue(day_name)
    day, now = (FALL_DAY, FALL_NOW) if day_name == "fall" else (SPRING_DAY, SPRING_NOW)
    rows = report(service, day, interval, now)
    # The steady agent is logged in all day: every interval has its rows.
    starts = {row["intervalStart"] for row in rows if row["agentId"] == str(STEADY)}
    assert len(starts) == intervals
    assert len({row["intervalStart"] for row in rows}) == intervals
    api, listed = api_lines(service, ACCOUNT, day_range(service, day, interval, now), now)
    assert_same_figures(keyed(rows), api, listed)
    assert len(rows) > intervals * 3


def test_the_repeated_hour_is_two_intervals(fall: ActivityService) -> None:
    rows = report(fall, FALL_DAY, 60, FALL_NOW, agent_ids=(STEADY,))
    logged_in = [row for row in rows if row["state"] == "Logged in"]
    assert [row["intervalStart"] for row in logged_in[1:5]] == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]
    assert all(row["totalSeconds"] == "3600" for row in logged_in)
    assert sum(int(row["totalSeconds"]) for row in logged_in) == 25 * 3600


def test_rows_carry_names_groups_and_reason_texts(fall: ActivityService) -> None:
    rows = report(fall, FALL_DAY, 1440, FALL_NOW)
    ann = {row["state"]: row for row in rows if row["agentId"] == str(ANN)}
    assert ann["Logged in"]["agentName"] == "Ann" and ann["Logged in"]["employeeId"] == "E10"
    assert ann["Logged in"]["agentGroupId"] == TIER_2
    stranger = [row for row in rows if row["agentId"] == str(STRANGER)]
    assert stranger and all(
        (row["agentName"], row["employeeId"], row["agentGroupId"]) == ("", "", "-1")
        for row in stranger
    )
    steady = [row for row in rows if row["agentId"] == str(STEADY)]
    # Online, Back in 5, Away, then each reason by total descending (Lunch 37 min,
    # Meeting 33), then Logged in; Away with no reason (13 min) is in Away only.
    assert [(row["state"], row["reasonName"]) for row in steady] == [
        ("Online", ""),
        ("Back in 5", ""),
        ("Away", ""),
        ("Away", "Lunch"),
        ("Away", "Meeting"),
        ("Logged in", ""),
    ]
    away = [row for row in steady if row["state"] == "Away"]
    assert away[0]["reasonId"] == "" and all(row["reasonId"] for row in away[1:])
    assert [int(row["totalSeconds"]) for row in away] == [83 * 60, 37 * 60, 33 * 60]
    for row in rows:  # each floored on its own: the parts may add up to a second less
        total, parts = (
            int(row["totalSeconds"]),
            int(row["chattingSeconds"]) + int(row["notChattingSeconds"]),
        )
        assert parts in (total, total - 1), row


def test_agents_and_groups_narrow_the_rows(fall: ActivityService) -> None:
    everyone = keyed(report(fall, FALL_DAY, 60, FALL_NOW))
    sales = keyed(report(fall, FALL_DAY, 60, FALL_NOW, group_ids=(SALES,)))
    assert {key[0] for key in sales} == {ANN, BOB}
    assert sales == {key: value for key, value in everyone.items() if key[0] in (ANN, BOB)}
    one = keyed(report(fall, FALL_DAY, 60, FALL_NOW, agent_ids=(BOB, STEADY), group_ids=(SALES,)))
    assert {key[0] for key in one} == {BOB}
