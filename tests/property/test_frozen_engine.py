"""A snapshot's content (engine/frozen.py): an account frozen and thawed answers exactly
as the engine it was taken from, also after pruning before the freeze and with later
and late events applied to both after it."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agentactivity.engine import Engine
from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from tests.property.event_draws import any_event

BASE = 1_790_000_100_000 - 1_790_000_100_000 % 300_000
HOUR = 3_600_000
SPAN = 30 * HOUR
AGENTS = (1, 2, 5)
CHATS = ("c1", "c2", "c3")
REASONS = (None, "r1", "r2", "r3")


@st.composite
def streams(draw: st.DrawFn) -> list[Event]:
    out = []
    for n in range(draw(st.integers(0, 80))):
        agent = draw(st.sampled_from(AGENTS))
        time = BASE + draw(st.integers(0, SPAN // 60_000)) * 60_000 + draw(st.sampled_from([0, 7]))
        out.append(any_event(draw, agent, time, f"e{n}", REASONS, CHATS))
    return out


def views(engine: Engine, now: int) -> list[object]:
    found: list[object] = []
    for timeframe, interval, agents in ((1440, 60, None), (120, 5, (1, 5)), (600, None, (2,))):
        query = ActivityQuery(timeframe, agents, 2, interval, now, True)
        found.append(engine.agent_activity("a", query, now))
    found.append(engine.current_state("a", None, now, now - SPAN))
    found.append(engine.current_state("a", (1, 2), now - 5 * HOUR, BASE))
    found.append((engine.last_seq("a"), engine.horizon("a")))
    return found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.integers(0, 80), st.integers(0, 80), st.sampled_from([None, 6, 12]))
def test_thawed_answers_as_the_original(
    stream: list[Event], cut: int, prune_at: int, prune_hours: int | None
) -> None:
    pairs = list(enumerate(stream, start=1))
    now = BASE + SPAN + 600_000
    original = Engine()
    original.apply("a", pairs[: min(prune_at, cut)])
    if prune_hours is not None:
        original.prune("a", BASE + prune_hours * HOUR)
    original.apply("a", pairs[min(prune_at, cut) : cut])
    # Agents given events older than the horizon wait for the service to reload them
    # from the store; the service freezes only between batches, when none wait.
    assume(not original.stale_agents("a"))
    frozen = original.freeze("a")
    assert frozen is not None
    thawed = Engine()
    thawed.restore("a", frozen)
    assert views(thawed, now) == views(original, now)
    for engine in (original, thawed):  # later events, some late (older than others)
        engine.apply("a", pairs[cut:])
    assert original.stale_agents("a") == thawed.stale_agents("a")
    assert views(thawed, now) == views(original, now)


def test_an_inconsistent_content_is_refused() -> None:
    engine = Engine()
    engine.apply("a", [(1, Event("state", 1, BASE, "x", state="ONLINE"))])
    frozen = engine.freeze("a")
    assert frozen is not None
    frozen.columns["event_counts"] = frozen.columns["event_counts"] + 1
    try:
        Engine().restore("a", frozen)
    except ValueError as exc:
        assert "events column" in str(exc)
    else:
        raise AssertionError("a content whose counts disagree was thawed")
