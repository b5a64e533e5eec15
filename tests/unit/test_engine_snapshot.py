"""The engine answers from a packed snapshot plus agents changed since; whichever path an
agent takes, the answer must equal that of an engine fed every event at once."""

from __future__ import annotations

import pytest

from agentactivity.engine import Engine
from agentactivity.events import Event, TimeBounds, parse_batch
from agentactivity.query import ActivityQuery
from agentactivity.simulate import Simulator

START = 1_790_000_000_000
HOUR = 3_600_000


def simulated(agents: int, hours: int) -> list[Event]:
    raw = Simulator(agents=agents, seed=7, start_ms=START).events_until(START + hours * HOUR)
    events, problems = parse_batch(raw, TimeBounds(0, 2**42))
    assert not problems
    return events


def fed_at_once(events: list[Event]) -> Engine:
    engine = Engine()
    engine.apply("a", list(enumerate(events, start=1)))
    return engine


@pytest.mark.parametrize("changed_agents", [5, 150])  # below and above the re-snapshot bound
def test_answers_after_partial_changes_equal_a_fresh_engine(changed_agents: int) -> None:
    events = simulated(agents=200, hours=10)
    first, rest = events[: len(events) // 2], events[len(events) // 2 :]
    touched = {e.agent_id for e in rest}
    keep = sorted(touched)[:changed_agents]
    rest = [e for e in rest if e.agent_id in keep]
    end = START + 10 * HOUR
    queries = [
        ActivityQuery(600, None, 1, 60, end, True),
        ActivityQuery(120, tuple(keep[:3]) + (1001, 1002), 2, 5, end - 1234, False),
    ]

    live = Engine()
    live.apply("a", list(enumerate(first, start=1)))
    for query in queries:  # takes the snapshot
        live.agent_activity("a", query, end)
    live.apply("a", list(enumerate(rest, start=len(first) + 1)))

    fresh = fed_at_once(first + rest)
    for query in queries:
        assert live.agent_activity("a", query, end) == fresh.agent_activity("a", query, end)


def test_late_events_after_a_snapshot_rebuild_the_agent() -> None:
    events = simulated(agents=20, hours=6)
    early = [e for e in events if e.time < START + 3 * HOUR]
    late = [e for e in events if e.time >= START + 3 * HOUR]
    end = START + 6 * HOUR
    query = ActivityQuery(360, None, 1, 30, end, True)

    live = Engine()
    live.apply("a", list(enumerate(late, start=1)))
    live.agent_activity("a", query, end)
    live.apply("a", list(enumerate(early, start=len(late) + 1)))  # history arrives last

    ordered = Engine()
    ordered.apply("a", list(enumerate(late + early, start=1)))
    assert live.agent_activity("a", query, end) == ordered.agent_activity("a", query, end)
