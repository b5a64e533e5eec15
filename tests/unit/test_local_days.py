"""Local days and their intervals (local_days.py), and the checks of a report's
parameters (reports.plan_report): clock changes of an hour and of half an hour, a
midnight that does not exist and one that happens twice, every refusal naming its
parameter. Pure functions at pinned instants."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from agentactivity.clock import DAY_MS, HOUR_MS, MINUTE_MS
from agentactivity.local_days import day_intervals, find_zone, local_text, midnight, zone_names
from agentactivity.reports import ReportError, csv_lines, plan_report
from tests.report_world import FALL_NOW, utc

BERLIN = find_zone("Europe/Berlin")
HISTORY = 400 * DAY_MS


def zone(name: str):  # type: ignore[no-untyped-def]
    found = find_zone(name)
    assert found is not None, name
    return found


@pytest.mark.parametrize(
    ("day", "hours", "counts"),
    [
        # The last Sunday of October: 03:00 becomes 02:00 again, 25 hours.
        (date(2026, 10, 25), 25, {15: 100, 30: 50, 60: 25, 1440: 1}),
        # The last Sunday of March: 02:00 becomes 03:00, 23 hours.
        (date(2026, 3, 29), 23, {15: 92, 30: 46, 60: 23, 1440: 1}),
        (date(2026, 10, 24), 24, {15: 96, 30: 48, 60: 24, 1440: 1}),
    ],
)
def test_berlin_days_have_23_24_or_25_hours(day: date, hours: int, counts: dict[int, int]) -> None:
    for interval, count in counts.items():
        local = day_intervals(day, zone("Europe/Berlin"), interval)
        assert local.end - local.start == hours * HOUR_MS
        assert len(local.intervals) == count, interval
        # Back to back from midnight to midnight, each `interval` long.
        assert local.intervals[0][0] == local.start and local.intervals[-1][1] == local.end
        for (_, b), (a, _) in zip(local.intervals, local.intervals[1:]):
            assert a == b
        if interval < 1440:  # else one interval, the whole day
            step = interval * MINUTE_MS
            assert all(b - a == min(step, local.end - a) for a, b in local.intervals)


def test_the_repeated_hour_has_both_offsets() -> None:
    local = day_intervals(date(2026, 10, 25), zone("Europe/Berlin"), 60)
    starts = [local_text(a, zone("Europe/Berlin")) for a, _ in local.intervals]
    assert starts[:5] == [
        "2026-10-25T00:00:00+02:00",
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]
    assert starts[-1] == "2026-10-25T23:00:00+01:00"
    spring = day_intervals(date(2026, 3, 29), zone("Europe/Berlin"), 60)
    texts = [local_text(a, zone("Europe/Berlin"))[11:] for a, _ in spring.intervals[:3]]
    assert texts == ["00:00:00+01:00", "01:00:00+01:00", "03:00:00+02:00"]


def test_a_half_hour_change_keeps_intervals_whole_and_clips_the_last() -> None:
    # Lord Howe Island moves its clocks by 30 minutes: 02:00 becomes 02:30.
    lord_howe = zone("Australia/Lord_Howe")
    local = day_intervals(date(2026, 10, 4), lord_howe, 60)
    assert local.end - local.start == 23 * HOUR_MS + 30 * MINUTE_MS
    assert len(local.intervals) == 24
    assert local.intervals[-1][1] - local.intervals[-1][0] == 30 * MINUTE_MS
    assert [local_text(a, lord_howe)[11:16] for a, _ in local.intervals[:4]] == [
        "00:00",
        "01:00",
        "02:30",  # an hour after 01:00: after the change, hours start at half past
        "03:30",
    ]
    assert len(day_intervals(date(2026, 10, 4), lord_howe, 15).intervals) == 94
    assert len(day_intervals(date(2026, 4, 5), lord_howe, 30).intervals) == 49


def test_a_midnight_that_does_not_exist_is_the_first_instant_of_the_day() -> None:
    # Santiago de Chile: clocks jump from 24:00 to 01:00 on 2026-09-06.
    santiago = zone("America/Santiago")
    start = midnight(date(2026, 9, 6), santiago)
    assert local_text(start, santiago) == "2026-09-06T01:00:00-03:00"
    assert local_text(start - 1000, santiago) == "2026-09-05T23:59:59-04:00"
    assert len(day_intervals(date(2026, 9, 6), santiago, 60).intervals) == 23


def test_a_midnight_that_happens_twice_is_the_second() -> None:
    # Asuncion, 2024-03-24: clocks went back from 00:00 to 23:00 of the day before.
    asuncion = zone("America/Asuncion")
    before = day_intervals(date(2024, 3, 23), asuncion, 60)
    assert before.end - before.start == 25 * HOUR_MS
    assert local_text(before.end, asuncion) == "2024-03-24T00:00:00-04:00"


def test_zones_are_found_by_exact_name_only() -> None:
    assert BERLIN is not None and BERLIN.key == "Europe/Berlin"
    assert find_zone("UTC") is not None and "Europe/Berlin" in zone_names()
    for name in (
        "europe/berlin",
        " Europe/Berlin",
        "Europe",
        "../etc/passwd",
        "/etc/passwd",
        "",
        "localtime",
        "posixrules",
        "Factory",
        "x" * 10_000,
        "Europe/Berlin\x00",
    ):
        assert find_zone(name) is None, name


NOW = FALL_NOW  # 2026-10-26 06:07 in Berlin


def problems(**given: object) -> list[tuple[str, str]]:
    asked = {"from_": "2026-10-25", "to": "2026-10-26", "tz": "Europe/Berlin", "interval": 60}
    asked.update(given)
    with pytest.raises(ReportError) as caught:
        plan_report(**asked, now_ms=NOW, history_ms=HISTORY)  # type: ignore[arg-type]
    return caught.value.problems


@pytest.mark.parametrize(
    ("given", "name", "words"),
    [
        ({"tz": "Mars/Olympus"}, "tz", "'Mars/Olympus' is not a time zone"),
        ({"tz": "europe/berlin"}, "tz", "did you mean 'Europe/Berlin'?"),
        ({"tz": "../../etc/passwd"}, "tz", "IANA"),
        ({"tz": None}, "tz", "required"),
        ({"from_": "2026-10-5"}, "from", "YYYY-MM-DD"),
        ({"from_": "2026-02-30"}, "from", "YYYY-MM-DD"),
        ({"from_": "20261025"}, "from", "YYYY-MM-DD"),
        ({"to": "tomorrow"}, "to", "YYYY-MM-DD"),
        ({"to": ""}, "to", "required"),
        ({"to": "2026-10-25"}, "to", "after from"),
        ({"to": "2026-10-01"}, "to", "after from"),
        ({"interval": 45}, "interval", "one of 15, 30, 60, 1440"),
        ({"interval": "060"}, "interval", "one of"),
        ({"interval": True}, "interval", "one of"),
        ({"interval": None}, "interval", "required"),
        ({"from_": "2026-10-27", "to": "2026-10-28"}, "from", "after today (2026-10-26"),
        ({"from_": "2025-09-20"}, "from", "before the history"),
    ],
)
def test_each_refusal_names_its_parameter(given: dict[str, object], name: str, words: str) -> None:
    found = problems(**given)
    assert found[0][0] == name and words in found[0][1], found


def test_every_problem_is_listed_at_once() -> None:
    found = problems(tz="Nowhere", from_="x", interval=7)
    assert [name for name, _ in found] == ["tz", "from", "interval"]


def test_the_history_starts_at_the_first_whole_local_day() -> None:
    # 400 days before 2026-10-26 05:07 UTC is 2025-09-21 05:07 UTC: 2025-09-22 is the
    # first Berlin day wholly inside.
    problems(from_="2025-09-21")
    span = plan_report(
        "2025-09-22", "2025-09-23", "Europe/Berlin", 60, now_ms=NOW, history_ms=HISTORY
    )
    assert span.first == date(2025, 9, 22)


def test_today_ends_at_now_and_later_days_add_nothing() -> None:
    span = plan_report(
        "2026-10-26", "2030-01-01", "Europe/Berlin", 15, now_ms=NOW, history_ms=HISTORY
    )
    (today,) = list(span.days())
    assert today.day == date(2026, 10, 26)
    # 06:07:11.803 in Berlin: 24 whole quarters, then 7 min 11.803 s of the 25th.
    assert len(today.intervals) == 25
    assert today.intervals[-1] == (utc(2026, 10, 26, 5), NOW)
    assert datetime.fromtimestamp(today.intervals[-1][1] / 1000).microsecond == 803_000


def test_csv_lines_quote_only_where_needed() -> None:
    text = csv_lines([(1, None, 'a "b", c', "-1", "x", "Away", "r", "Line\nbreak", 1, 0, 1, 0)])
    assert text == '1,,"a ""b"", c",-1,x,Away,r,"Line\nbreak",1,0,1,0\r\n'
