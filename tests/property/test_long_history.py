"""The engine against the reference over a long history: a month of events, so that
packed series span more than 2^31 ms (wide running sums) and queries fall both inside
the recent rows the engine searches first and before them; with events applied after
a first query (the changed agents' own packing) and late events among them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from agentactivity.engine import Engine
from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from tests.property import reference
from tests.property.event_draws import any_event

DAY = 86_400_000
SPAN = 30 * DAY
BASE = 1_790_000_100_000 - 1_790_000_100_000 % 300_000
AGENTS = (1, 2, 5)
CHATS = ("c1", "c2")
REASONS = (None, "r1", "r2")


@st.composite
def streams(draw: st.DrawFn) -> list[Event]:
    out = [
        Event("state", 1, BASE, "first", state="AWAY", reason_id="r1"),
        Event("state", 1, BASE + SPAN, "last", state="ONLINE"),
    ]
    # Most events in the last two days, where queries are recent, the others anywhere.
    for n in range(draw(st.integers(0, 50))):
        agent = draw(st.sampled_from(AGENTS))
        recent = draw(st.booleans())
        lo = SPAN - 2 * DAY if recent else 0
        time = BASE + draw(st.integers(lo // 60_000, SPAN // 60_000)) * 60_000
        time += draw(st.sampled_from([0, 1, 999]))
        out.append(any_event(draw, agent, time, f"e{n}", REASONS, CHATS))
    return out


@st.composite
def long_queries(draw: st.DrawFn) -> ActivityQuery:
    timeframe = draw(st.sampled_from([60, 120, 1440, 2880, 20 * 1440]))
    interval = draw(st.sampled_from([None, timeframe // 4 if timeframe % 20 == 0 else None]))
    back = draw(st.sampled_from([0, 5, 3 * 1440, 10 * 1440, 28 * 1440]))
    end = BASE + SPAN + 600_000 - back * 60_000 - draw(st.integers(0, 59)) * 1000
    agents = draw(st.sampled_from([None, (1,), (2, 5, 7)]))
    return ActivityQuery(timeframe, agents, 1, interval, end, draw(st.booleans()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.permutations(range(52)), st.integers(0, 52), long_queries(), long_queries())
def test_long_history_matches_reference(
    stream: list[Event],
    order: list[int],
    cut: int,
    first_query: ActivityQuery,
    query: ActivityQuery,
) -> None:
    arrival = [stream[i] for i in order if i < len(stream)]
    pairs = list(enumerate(arrival, start=1))
    now = BASE + SPAN + 600_000
    note(f"queries {first_query} {query}")

    engine = Engine()
    engine.apply("a", pairs[:cut])
    reference.assert_same_payload(
        engine.agent_activity("a", first_query, now),
        reference.agent_activity(pairs[:cut], first_query, now),
    )
    engine.apply("a", pairs[cut:])  # later and late events after the snapshot
    for q in (first_query, query):
        got = engine.agent_activity("a", q, now)
        reference.assert_same_payload(got, reference.agent_activity(pairs, q, now))
