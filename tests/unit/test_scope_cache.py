"""Rendered scopes kept between identical queries (engine/scope_cache.py) must never
show a stale figure: every answer equals that of an engine fed the same events at once
and never asked before, whatever came in between (late events inside closed intervals,
events after them, new agents, loads and prunings)."""

from __future__ import annotations

import random

import orjson
import pytest

from agentactivity.engine import Engine
from agentactivity.engine.scope_cache import ScopeCache
from agentactivity.events import Event, TimeBounds, parse_batch
from agentactivity.query import ActivityQuery
from agentactivity.simulate import Simulator

START = 1_790_000_000_000
HOUR = 3_600_000
END = START + 8 * HOUR
QUERIES = [
    ActivityQuery(480, None, 1, 60, END, True),  # closed hours, by the hour
    ActivityQuery(480, None, 2, None, END, False),  # the window alone, v2
    ActivityQuery(240, (1001, 1003, 1005), 1, 30, END - 17, True),  # a few agents
]


def simulated(agents: int = 12, hours: int = 8) -> list[Event]:
    raw = Simulator(agents=agents, seed=3, start_ms=START).events_until(START + hours * HOUR)
    events, problems = parse_batch(raw, TimeBounds(0, 2**42))
    assert not problems
    return events


def fresh(events: list[Event]) -> Engine:
    engine = Engine()
    engine.apply("a", list(enumerate(events, start=1)))
    return engine


def late(agent: int, time: int, n: int) -> Event:
    return Event("state", agent, time, f"late-{n}", "AWAY", "7", None, None)


def test_a_late_event_inside_a_closed_interval_changes_the_next_answer() -> None:
    events = simulated()
    engine = fresh(events)
    query = QUERIES[0]
    before = engine.agent_activity_json("a", query, END)
    assert engine.agent_activity_json("a", query, END) == before  # from the kept scopes
    # An event in the third hour, stored after the query: that hour and every later
    # one (and the window) change; the hours before it stay as they were.
    extra = late(1002, START + 2 * HOUR + 600_000, 0)
    engine.apply("a", [(len(events) + 1, extra)])
    after = engine.agent_activity("a", query, END)
    assert after == fresh([*events, extra]).agent_activity("a", query, END)
    assert after != orjson.loads(before)


def test_interleaved_events_and_queries_equal_a_fresh_engine() -> None:
    rng = random.Random(11)
    events = simulated()
    engine = fresh(events[: len(events) // 2])
    applied = events[: len(events) // 2]
    pending = events[len(events) // 2 :]
    n = 0
    while pending:
        batch, pending = pending[: rng.randint(1, 40)], pending[40:]
        if rng.random() < 0.5:  # a late event too, anywhere in the day
            batch = [*batch, late(1001 + rng.randrange(14), START + rng.randrange(8 * HOUR), n)]
            n += 1
        engine.apply("a", list(enumerate(batch, start=len(applied) + 1)))
        applied += batch
        reference = fresh(applied)
        for query in rng.sample(QUERIES, 2):
            answer = engine.agent_activity_json("a", query, END)
            assert answer == reference.agent_activity_json("a", query, END)
            assert engine.agent_activity_json("a", query, END) == answer


@pytest.mark.parametrize("rewrite", ["prune", "load", "restore"])
def test_pruning_and_loading_drop_the_accounts_scopes(rewrite: str) -> None:
    events = simulated()
    engine = fresh(events)
    for query in QUERIES:
        engine.agent_activity_json("a", query, END)
    if rewrite == "prune":
        engine.prune("a", START + 3 * HOUR)
        reference = fresh(events)
        reference.prune("a", START + 3 * HOUR)
    elif rewrite == "restore":
        # A snapshot of other timelines (half the day) put in place of the account's.
        reference = fresh(events[: len(events) // 2])
        frozen = reference.freeze("a")
        assert frozen is not None
        engine.restore("a", frozen)
    else:
        agent = 1004
        kept = [(seq, e) for seq, e in enumerate(events, start=1) if e.agent_id == agent]
        engine.load("a", {agent: kept[: len(kept) // 2]}, START)
        reference = fresh([e for e in events if e.agent_id != agent])
        reference.load("a", {agent: kept[: len(kept) // 2]}, START)
    for query in QUERIES:
        expected = reference.agent_activity_json("a", query, END)
        assert engine.agent_activity_json("a", query, END) == expected


def test_a_text_rendered_before_an_invalidation_is_not_kept() -> None:
    cache = ScopeCache(max_bytes=1000)
    selection = (None, True, 60)
    generation = cache.generation("a")
    cache.invalidate("a", START)  # an event arrived while the text was being rendered
    cache.put("a", selection, [(0, 10)], [b"old"], generation)
    assert cache.get("a", selection, [(0, 10)]) == [None]
    cache.put("a", selection, [(0, 10)], [b"new"], cache.generation("a"))
    assert cache.get("a", selection, [(0, 10)]) == [b"new"]


def test_the_cache_stays_within_its_bytes() -> None:
    cache = ScopeCache(max_bytes=10)
    for agents in range(5):
        selection = ((agents,), False, 0)
        cache.put("a", selection, [(0, 10)], [b"x" * 4], cache.generation("a"))
    kept = [cache.get("a", ((agents,), False, 0), [(0, 10)])[0] for agents in range(5)]
    assert kept == [None, None, None, b"xxxx", b"xxxx"]  # the least recently used went
    cache.put("a", (None, False, 0), [(0, 10)], [b"y" * 11], cache.generation("a"))
    assert cache.get("a", (None, False, 0), [(0, 10)]) == [None]  # larger than the whole


def test_an_event_after_a_scope_leaves_it_kept() -> None:
    cache = ScopeCache()
    selection = (None, False, 60)
    cache.put("a", selection, [(0, 10), (10, 20)], [b"p", b"q"], cache.generation("a"))
    cache.invalidate("a", 10)  # at the end of the first scope: it does not change
    assert cache.get("a", selection, [(0, 10), (10, 20)]) == [b"p", None]
    cache.invalidate("b", 0)  # another account's event changes nothing here
    assert cache.get("a", selection, [(0, 10)]) == [b"p"]
