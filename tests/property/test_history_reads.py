"""Windows read from the store (SPEC section 9: the history) answer exactly as the engine
holding every event in memory: whatever the window, the ties, the order of arrival, a
store already pruned at an earlier edge, and an engine loaded with only the live window."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agentactivity.engine import Engine
from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from agentactivity.service.activity import ActivityService
from agentactivity.service.history import History
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.conftest import FakeClock
from tests.property.test_retention import AGENTS, BASE, SPAN, events

END = BASE + SPAN + 600_000
MINUTE = 60_000


def window_queries(start: int, agent_ids: tuple[int, ...] | None) -> list[ActivityQuery]:
    """Windows starting at `start`: the whole rest, 5 minutes, and one with intervals."""
    rest = (END - start) // MINUTE
    return [
        ActivityQuery(rest, agent_ids, 1, None, start + rest * MINUTE, True),
        ActivityQuery(5, agent_ids, 2, None, start + 5 * MINUTE, True),
        ActivityQuery(30, agent_ids, 1, 5, start + 30 * MINUTE, True),
    ]


def stored(arrival: list[Event], batches: int) -> SQLiteStore:
    store = SQLiteStore(":memory:")
    size = max(1, len(arrival) // batches)
    for i in range(0, len(arrival), size):
        store.append("a", arrival[i : i + size])
    return store


def in_memory(store: SQLiteStore) -> Engine:
    engine = Engine()
    engine.apply("a", store.read_after("a", 0, limit=10**6))
    return engine


@settings(max_examples=250, deadline=None)
@given(
    events(),
    st.permutations(range(60)),
    st.integers(1, 4),
    st.integers(0, SPAN // MINUTE),
    st.integers(0, SPAN // MINUTE),
    st.sampled_from([None, (AGENTS[0],), (AGENTS[1], AGENTS[2], 77)]),
)
def test_a_window_read_from_the_store_equals_the_engine_in_memory(
    stream: list[Event],
    order: list[int],
    batches: int,
    edge_minute: int,
    start_minute: int,
    agent_ids: tuple[int, ...] | None,
) -> None:
    arrival = [stream[i] for i in order if i < len(stream)]
    store = stored(arrival, batches)
    reference = in_memory(store)
    # The store pruned at the history's edge, at or before the window.
    edge = BASE + min(edge_minute, start_minute) * MINUTE
    store.prune("a", edge)
    start = BASE + start_minute * MINUTE
    history = History(store)
    for query in window_queries(start, agent_ids):
        window_start, window_end = query.window(END)
        past = history.timelines("a", agent_ids, window_start, window_end)
        expected = reference.agent_activity("a", query, END)
        assert reference.agent_activity_json("a", query, END, None, past) == (
            reference.agent_activity_json("a", query, END)
        ), (query, expected)
    store.close()


@settings(max_examples=250, deadline=None)
@given(
    events(),
    st.permutations(range(60)),
    st.integers(1, 4),
    st.integers(0, SPAN // MINUTE),
    st.integers(0, 30),
)
def test_an_engine_loaded_with_the_live_window_answers_as_one_with_everything(
    stream: list[Event],
    order: list[int],
    batches: int,
    horizon_minute: int,
    later_minutes: int,
) -> None:
    arrival = [stream[i] for i in order if i < len(stream)]
    store = stored(arrival, batches)
    reference = in_memory(store)
    horizon = BASE + horizon_minute * MINUTE
    # The live window is one day: the clock stands a day after the horizon.
    settings_ = Settings(db_url=":memory:", retention_days=1)
    clock = FakeClock(horizon + settings_.retention_ms)
    service = ActivityService(store, settings_, clock=clock)
    service.load()
    if arrival:
        assert service.engine.horizon("a") == horizon
    at = horizon + later_minutes * MINUTE
    for query in window_queries(horizon, None):
        assert service.engine.agent_activity("a", query, END) == (
            reference.agent_activity("a", query, END)
        )
    ids = tuple(sorted(reference.account("a").timelines)) if reference.account("a") else ()
    assert service.engine.current_state("a", ids, at, horizon) == (
        reference.current_state("a", ids, at, horizon)
    )
    store.close()
