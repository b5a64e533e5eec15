"""SPEC section 9's two windows on both backends: the engine keeps one day (the live
window), the store keeps ten (the history); answers older than the live window are read
from the store and equal those of an engine that holds everything in memory, before and
after a restart, and after history imported late."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore, open_store
from tests.conftest import FakeClock
from tests.store.test_store_contract import HOUR, START, simulated_hours

DAY = 24 * HOUR
NOW = START + 3 * DAY  # three simulated days; the live window is the last one
SETTINGS = dict(retention_days=1, history_days=10)


def queries() -> list[ActivityQuery]:
    """Windows all over the three days: old, straddling the live window's edge, recent."""
    out = []
    for hours_back in (70, 49, 30, 25, 24.5, 12, 1):
        to = NOW - int(hours_back * HOUR)
        out.append(ActivityQuery(1440 if hours_back > 24 else 60, None, 1, 60, to, True))
        out.append(ActivityQuery(120, (1003, 1007, 1011, 424242), 2, 5, to, True))
        out.append(ActivityQuery(600, None, 1, None, to, False))
    return out


def answers(service: ActivityService) -> list[object]:
    return [service.agent_activity("a", query, NOW) for query in queries()]


@pytest.fixture
def services(store_url: str) -> Iterator[tuple[ActivityService, ActivityService, FakeClock]]:
    """(reference: SQLite in memory, never pruned; service on the backend under test)."""
    clock = FakeClock(NOW)
    reference = ActivityService(
        SQLiteStore(":memory:"), Settings(db_url=":memory:", retention_days=10), clock=clock
    )
    service = ActivityService(
        open_store(store_url), Settings(db_url=store_url, **SETTINGS), clock=clock
    )
    for batch in simulated_hours(72):
        assert service.store.append("a", batch) == reference.store.append("a", batch)
    reference.load()
    service.load()
    yield reference, service, clock
    service.store.close()
    reference.store.close()


def test_old_windows_are_read_from_the_store_and_equal_the_engine(services) -> None:
    reference, service, _clock = services
    assert reference.engine.horizon("a") < START
    assert service.engine.horizon("a") == NOW - DAY  # the engine holds the live window
    assert service.prune() == 0  # the store keeps the history
    expected = answers(reference)
    assert expected[0]["agentsMetrics"]["metricsPerAgent"]  # the oldest window has figures
    assert answers(service) == expected
    scopes = [(START + 5 * HOUR, START + 9 * HOUR), (NOW - 2 * HOUR, NOW)]
    past, live = (
        service.scope_figures("a", None, scopes),
        reference.scope_figures("a", None, scopes),
    )
    assert past.agent_ids == live.agent_ids
    assert (past.states == live.states).all()
    assert by_reason(past) == by_reason(live)


def by_reason(figures) -> dict[tuple[int, str], list[object]]:
    """{(agent row, reason id): its figures}: the order of reason rows is the engine's own."""
    return {
        (int(row), reason): figures.reasons[i].tolist()
        for i, (row, reason) in enumerate(zip(figures.reason_rows, figures.reason_ids))
    }


def test_a_restart_answers_the_same(services, store_url: str) -> None:
    reference, service, clock = services
    restarted = ActivityService(
        open_store(store_url), Settings(db_url=store_url, **SETTINGS), clock=clock
    )
    try:
        restarted.load()
        assert answers(restarted) == answers(reference)
        state = restarted.engine.current_state("a", None, NOW, NOW - DAY)
        assert state == reference.engine.current_state("a", None, NOW, NOW - DAY)
        assert len(state["agents"]) > 5
    finally:
        restarted.store.close()


def test_history_imported_late_reaches_old_and_live_answers(services) -> None:
    reference, service, _clock = services
    old = START + 20 * HOUR
    late = [
        # A new agent, two days ago, and another still logged in at the live window's
        # start (its situation there changes: the engine rebuilds it from the store).
        Event("state", 5001, old, "late-1", state="ONLINE"),
        Event("state", 5001, old + HOUR, "late-2", state="OFFLINE"),
        Event("state", 5002, old, "late-3", state="AWAY", reason_id="7"),
        Event("chat_start", 5002, old + 1, "late-4", chat_id="x"),
        # An old chat of an agent the engine knows.
        Event("chat_start", 1003, START + 10 * HOUR, "late-5", chat_id="old-chat"),
    ]
    for target in (reference, service):
        target.store.append("a", late)
    assert answers(service) == answers(reference)
    live = ActivityQuery(60, (5002,), 1, None, NOW, False)
    figures = service.agent_activity("a", live, NOW)["agentsMetrics"]["metricsPerAgent"]
    assert figures["5002"][2]["value"]["chatting"] == 3600  # Away, chatting, the last hour
    state = service.engine.current_state("a", None, NOW, NOW - DAY)
    assert state == reference.engine.current_state("a", None, NOW, NOW - DAY)
    # Agent 5002 has no event in the live window: asked with an older window start.
    state = service.engine.current_state("a", (5002,), NOW, START)
    assert state == reference.engine.current_state("a", (5002,), NOW, START)
    assert state["agents"]["5002"]["activeChats"] == 1
