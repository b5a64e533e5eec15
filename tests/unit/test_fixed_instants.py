"""The tests' assumptions about "now", checked at fixed awkward instants.

Tests that talk to a real server must date their data near the real clock, so what
they see depends on the day and the hour they run; a wrong assumption shows on some
random day (the browser test failed at 2026-12-06 00:40 UTC: 7 of 16 agents had a
shift). Here the same helpers and assumptions run at instants chosen to break them:
midnight UTC, a DST change in Europe and in America (UTC does not move, local clocks
do), month, year and leap-day ends, and that failing instant. Pure functions and an
in-process service: no server, a few seconds in all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.cli.demo import DEMO_HOURS, DEMO_SEED
from agentactivity.events import TimeBounds, parse_event
from agentactivity.settings import Settings
from agentactivity.simulate import Simulator
from tests.conftest import ACCOUNT, FakeClock
from tests.e2e import timeline as tl
from tests.e2e.browser import AGENTS, HOURS, SEED
from tests.e2e.test_demo import AGENTS as DEMO_AGENTS
from tests.simulated import (
    HOUR_MS,
    PINNED_END,
    busy_end,
    check_wallboard_world,
    final_states,
    next_event_after,
    pinned_events,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, s: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, s, tzinfo=UTC).timestamp() * 1000)


INSTANTS = {
    "midnight-utc": utc(2026, 12, 7),
    "reported-failure": utc(2026, 12, 6, 0, 40),
    "berlin-dst-start": utc(2026, 3, 29, 1),  # 02:00 CET becomes 03:00 CEST
    "new-york-dst-end": utc(2026, 11, 1, 6),  # 02:00 EDT becomes 01:00 EST
    "month-end": utc(2026, 4, 30, 23, 59, 59),
    "year-end": utc(2026, 12, 31, 23, 59, 30),
    "leap-day": utc(2028, 2, 29, 12),
}
at_every_instant = pytest.mark.parametrize("now", list(INSTANTS.values()), ids=list(INSTANTS))
RETENTION_MS = Settings(db_url=":memory:").retention_ms


@at_every_instant
def test_the_browser_tests_agents_are_the_same_whenever_it_runs(now: int) -> None:
    events = pinned_events(AGENTS, SEED, HOURS, now)
    # A server whose clock says `now` takes every event (retention, 60 s of future).
    bounds = TimeBounds.around(now, RETENTION_MS)
    for ev in events:
        parse_event(ev, bounds)
    assert now - HOURS * HOUR_MS <= events[0]["time"] <= events[-1]["time"] <= now
    # The same agents in the same states as in the pinned window itself...
    states = final_states(events)
    assert states == final_states(pinned_events(AGENTS, SEED, HOURS, PINNED_END))
    # ...so the browser test's expectations hold at any instant.
    check_wallboard_world(states, AGENTS)


@at_every_instant
def test_the_hand_made_timeline_gives_its_expected_figures(
    now: int, clock: FakeClock, client: TestClient
) -> None:
    """tests/e2e/timeline.py's figures (what the e2e tests expect of a real server),
    from the service at `now`: the 5-minute interval ends and the windows crossing
    midnight or the year's end do not move them."""
    clock.now = now
    timeline = tl.build(now - 1000)
    answer = client.post(f"/api/account/{ACCOUNT}/events", json=timeline.events)
    assert answer.json() == {"accepted": len(timeline.events), "duplicates": 0}, answer.text
    path = f"/operations/api/account/{ACCOUNT}/agentactivity"
    for params in ({}, {"to": now}, {"interval": 15}, {"interval": 60, "to": now}):
        got = client.get(path, params={"timeframe": 60, "agentIds": "all", "v": 1, **params})
        assert got.status_code == 200, got.text
        expected = tl.expected_response(timeline, now, 60, interval=params.get("interval"))
        assert got.json() == expected, params
    # test_cli reads 4 or 5 intervals of 15 minutes in an hour, whatever the minute.
    intervals = tl.expected_response(timeline, now, 60, interval=15)["metricsByIntervals"]
    assert len(intervals) in (4, 5)


def _logged_in_agents(events: list[dict[str, Any]]) -> set[str]:
    return {ev["agentId"] for ev in events if ev["type"] == "state" and ev["state"] != "OFFLINE"}


@at_every_instant
def test_the_demo_tests_assumptions_hold(now: int) -> None:
    """What tests/e2e/test_demo.py expects of `agentactivity demo` started at `now`."""
    simulator = Simulator(DEMO_AGENTS, seed=DEMO_SEED, start_ms=now - DEMO_HOURS * HOUR_MS)
    history = simulator.events_until(now)
    # Half the agents logged in within the 24 h (the figures and the state listing).
    assert len(_logged_in_agents(history)) >= DEMO_AGENTS // 2
    assert any(ev["type"] == "chat_start" for ev in history)  # some time chatting
    assert any("reasonId" in ev for ev in history)  # Away reasons to name
    # Someone logged in at the end: the 5-minute window has agents.
    assert any(s.logged_in for s in final_states(history).values())
    # The event the test waits for is the one the running demo emits next.
    due = next_event_after(DEMO_AGENTS, DEMO_SEED, now)
    assert due["time"] > now
    assert simulator.events_until(due["time"])[0] == due


@at_every_instant
def test_the_simulators_shift_model_holds(now: int) -> None:
    """The simulator's "some agents are on at any hour" and "one day in ten off", which
    tests/unit/test_simulate.py checks at one start, and test_cli's search for a window
    with events (posted, so near now)."""
    day = Simulator(40, seed=7, start_ms=now).events_until(now + 24 * HOUR_MS)
    on_at_start = {ev["agentId"] for ev in day if ev["time"] == now}
    assert len(on_at_start) >= 5
    assert len({ev["agentId"] for ev in day}) >= 30
    end = busy_end(5, 1, 2, now)
    assert now - RETENTION_MS < end <= now
    assert Simulator(5, seed=1, start_ms=end - 2 * HOUR_MS).events_until(end)
