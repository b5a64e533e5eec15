"""Pruning before a boundary B must change nothing at or after B: not the figures of any
window starting at or after B, not the agents' situations, in the engine and in the store."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agentactivity.engine import Engine
from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from agentactivity.store import SQLiteStore
from tests.property.event_draws import any_event

BASE = 1_790_000_100_000 - 1_790_000_100_000 % 300_000
SPAN = 3 * 3_600_000
AGENTS = (3, 10, 2**63 - 1)
CHATS = ("c1", "c2", "c3")
REASONS = (None, "r1", "r2")


@st.composite
def events(draw: st.DrawFn) -> list[Event]:
    count = draw(st.integers(0, 60))
    out = []
    for n in range(count):
        agent = draw(st.sampled_from(AGENTS))
        time = (
            BASE
            + draw(st.integers(0, SPAN // 60_000)) * 60_000
            + draw(st.sampled_from([0, 1, 999]))
        )
        out.append(any_event(draw, agent, time, f"e{n}", REASONS, CHATS, most_chats=3))
    return out


def answers(engine: Engine, boundary: int) -> list[object]:
    end = BASE + SPAN + 600_000
    queries = [
        ActivityQuery(
            (end - boundary) // 60_000, None, 1, None, end - (end - boundary) % 60_000, True
        ),
        ActivityQuery(5, None, 1, None, boundary + 300_000, True),
        ActivityQuery(30, None, 2, 5, end, True),
    ]
    return [engine.agent_activity("a", q, end) for q in queries if q.window(end)[0] >= boundary]


def situations(engine: Engine, at: int) -> dict[int, tuple[object, ...]]:
    account = engine.account("a")
    assert account is not None
    out = {}
    for agent, timeline in account.timelines.items():
        s = timeline.situation_at(at)
        out[agent] = (s.state, s.reason, sorted(s.chats), s.max_chats, s.since, s.logged_in_since)
    return out


def _is_initial(situation: tuple[object, ...]) -> bool:
    state, _reason, chats, max_chats, _since, _logged = situation
    return state == 0 and not chats and not max_chats


@settings(max_examples=300, deadline=None)
@given(events(), st.integers(0, SPAN // 60_000), st.permutations(range(60)))
def test_pruning_changes_nothing_from_the_boundary_on(
    stream: list[Event], boundary_minute: int, order: list[int]
) -> None:
    arrival = [stream[i] for i in order if i < len(stream)]
    boundary = BASE + boundary_minute * 60_000
    pairs = list(enumerate(arrival, start=1))

    full = Engine()
    full.apply("a", pairs)
    pruned = Engine()
    pruned.apply("a", pairs)
    pruned.prune("a", boundary)

    assert answers(pruned, boundary) == answers(full, boundary)
    before, after = situations(full, boundary), situations(pruned, boundary)
    for agent, situation in before.items():
        if agent in after:
            assert after[agent] == situation
        else:  # dropped only when it had nothing that matters at the boundary
            assert _is_initial(situation)

    # The store prunes the same events: an engine rebuilt from it answers the same.
    store = SQLiteStore(":memory:")
    store.append("a", arrival)
    store.prune("a", boundary)
    rebuilt = Engine()
    rebuilt.apply("a", store.read_after("a", 0))
    assert answers(rebuilt, boundary) == answers(full, boundary)
    assert situations(rebuilt, boundary) == after
    store.close()


def test_pruning_drops_old_history_and_keeps_what_matters() -> None:
    hour = 3_600_000
    stream = [
        Event("max_chats", 5, BASE, "m", max_chats=2),
        Event("state", 5, BASE + 1, "on", state="ONLINE"),
        Event("chat_start", 5, BASE + 2, "c1", chat_id="c1"),
        Event("chat_end", 5, BASE + 3, "e1", chat_id="c1"),
        Event("chat_start", 5, BASE + 4, "c2", chat_id="c2"),
        Event("state", 5, BASE + 5, "away", state="AWAY", reason_id="r1"),
        Event("state", 5, BASE + 6, "away2", state="AWAY", reason_id="r1"),
        Event("state", 7, BASE, "on7", state="ONLINE"),
        Event("state", 7, BASE + 9, "off7", state="OFFLINE"),
    ]
    store = SQLiteStore(":memory:")
    store.append("a", stream)
    deleted = store.prune("a", BASE + hour)
    kept = {event.event_id for _seq, event in store.read_after("a", 0)}
    # Agent 5: limit, login, the open chat, the start of the Away run and the last state.
    assert kept == {"m", "on", "c2", "away", "away2"}
    assert deleted == 4  # c1, e1 and the whole of agent 7 (logged out, nothing open)
    store.close()
