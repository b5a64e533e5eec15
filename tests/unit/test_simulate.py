"""The simulator: deterministic, valid per SPEC section 2, and a plausible contact center."""

from __future__ import annotations

import io
import random
from collections import Counter, defaultdict
from typing import Any

import orjson
import pytest

from agentactivity.events import TimeBounds, parse_event
from agentactivity.simulate import DEFAULT_REASONS, Simulator, write_ndjson

START = 1_764_000_000_123  # not on a whole second, not on a whole day
DAY = 86_400_000
HOUR = 3_600_000

STATES = {"ONLINE", "BACK_SOON", "AWAY", "OFFLINE"}
KEYS = {
    "state": {"type", "agentId", "time", "eventId", "state"},
    "chat_start": {"type", "agentId", "time", "eventId", "chatId"},
    "chat_end": {"type", "agentId", "time", "eventId", "chatId"},
    "max_chats": {"type", "agentId", "time", "eventId", "maxChats"},
}


@pytest.fixture(scope="module")
def day_events() -> list[dict[str, Any]]:
    """40 agents over 24 hours, the demo's size."""
    return Simulator(40, seed=7, start_ms=START).events_until(START + DAY)


def is_snapshot(ev: dict[str, Any]) -> bool:
    return ev["time"] == START and f"-at{START}-" in ev["eventId"]


def by_agent(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ev in events:
        out[ev["agentId"]].append(ev)
    return out


def test_two_instances_give_the_same_events() -> None:
    a = Simulator(25, seed=3, start_ms=START).events_until(START + 12 * HOUR)
    b = Simulator(25, seed=3, start_ms=START).events_until(START + 12 * HOUR)
    assert a == b
    assert a != Simulator(25, seed=4, start_ms=START).events_until(START + 12 * HOUR)


def test_reason_ids_rename_reasons_and_change_nothing_else() -> None:
    renamed_ids = {sim_id: str(n) for n, sim_id in enumerate(DEFAULT_REASONS, start=1)}
    # Mid-day, so that the start snapshot of agents away with a reason is renamed too.
    start = START + 12 * HOUR + 7
    plain = Simulator(40, seed=7, start_ms=start).events_until(start + DAY)
    renamed = Simulator(40, seed=7, start_ms=start, reason_ids=renamed_ids).events_until(
        start + DAY
    )
    assert len(renamed) == len(plain)
    changed = 0
    for before, after in zip(plain, renamed, strict=True):
        if "reasonId" in before:
            assert after == {**before, "reasonId": renamed_ids[before["reasonId"]]}
            changed += 1
        else:
            assert after == before
    assert changed > 40


def test_chunked_calls_equal_one_call() -> None:
    whole = Simulator(30, seed=5, start_ms=START).events_until(START + DAY)
    sim = Simulator(30, seed=5, start_ms=START)
    rng = random.Random(0)
    chunked: list[dict[str, Any]] = list(sim.events_until(START - 1))  # before start: none
    assert chunked == []
    t = START
    while t < START + DAY:
        t = min(START + DAY, t + rng.choice([0, 1, 7, 999, 60_000, 3_600_000]))
        chunked.extend(sim.events_until(t))
        chunked.extend(sim.events_until(t))  # asking again returns nothing new
    assert chunked == whole


def test_an_agents_timeline_does_not_depend_on_start() -> None:
    # Same world seen from a later start: after that start, identical events and ids.
    later = START + 5 * HOUR + 12_345
    early = Simulator(20, seed=9, start_ms=START).events_until(later + 6 * HOUR)
    late = Simulator(20, seed=9, start_ms=later).events_until(later + 6 * HOUR)
    assert [e for e in early if e["time"] > later] == [e for e in late if e["time"] > later]


def test_every_event_is_valid(day_events: list[dict[str, Any]]) -> None:
    bounds = TimeBounds(oldest=START, newest=START + 2 * DAY)
    for ev in day_events:
        keys = set(ev)
        if ev["type"] == "state" and "reasonId" in ev:
            assert ev["state"] == "AWAY"
            assert isinstance(ev["reasonId"], str) and 1 <= len(ev["reasonId"]) <= 64
            keys.discard("reasonId")
        assert keys == KEYS[ev["type"]], ev
        assert isinstance(ev["agentId"], str) and ev["agentId"].isdigit()
        assert isinstance(ev["time"], int) and not isinstance(ev["time"], bool)
        assert isinstance(ev["eventId"], str) and 1 <= len(ev["eventId"]) <= 128
        if ev["type"] == "state":
            assert ev["state"] in STATES
        elif ev["type"] == "max_chats":
            assert isinstance(ev["maxChats"], int) and 0 <= ev["maxChats"] <= 1000
        else:
            assert isinstance(ev["chatId"], str) and 1 <= len(ev["chatId"]) <= 128
        parse_event(ev, bounds)  # and the service's own validator agrees
    assert len({ev["eventId"] for ev in day_events}) == len(day_events)
    agents = {ev["agentId"] for ev in day_events}
    assert agents <= {str(1001 + i) for i in range(40)}
    assert len(agents) >= 30  # a few may have a day off


def test_times_sorted_from_start_and_spread_over_ms(day_events: list[dict[str, Any]]) -> None:
    times = [ev["time"] for ev in day_events]
    assert times == sorted(times)
    assert times[0] >= START and times[-1] <= START + DAY
    assert sum(1 for t in times if t % 1000) > 0.9 * len(times)


def test_each_agents_sequence_makes_sense(day_events: list[dict[str, Any]]) -> None:
    for agent, events in by_agent(day_events).items():
        state, limit, open_chats = "OFFLINE", None, set()
        # An agent never appears from nothing: a snapshot or a login, limit first.
        assert events[0]["type"] == "max_chats", agent
        if events[0]["time"] > START:
            assert events[1]["type"] == "state" and events[1]["state"] == "ONLINE"
        for ev in events:
            typ = ev["type"]
            if typ == "max_chats":
                limit = ev["maxChats"]
            elif typ == "state":
                # Logging in is ONLINE; only a snapshot shows another state at once.
                assert state != "OFFLINE" or ev["state"] == "ONLINE" or is_snapshot(ev)
                assert limit is not None
                state = ev["state"]
                if state == "OFFLINE":
                    open_chats.clear()  # by SPEC: OFFLINE ends every chat
            elif typ == "chat_start":
                assert ev["chatId"] not in open_chats
                if is_snapshot(ev):  # chats open at start, whatever the state
                    assert state != "OFFLINE"
                else:
                    assert state == "ONLINE", (agent, ev)
                    assert limit is not None and len(open_chats) < limit, (agent, ev)
                open_chats.add(ev["chatId"])
            else:
                assert ev["chatId"] in open_chats, (agent, ev)
                open_chats.discard(ev["chatId"])


def test_a_day_has_every_state_reasons_and_full_agents(
    day_events: list[dict[str, Any]],
) -> None:
    states = Counter(ev["state"] for ev in day_events if ev["type"] == "state")
    assert set(states) == STATES
    reasons = {ev.get("reasonId") for ev in day_events if ev["type"] == "state"}
    assert len(reasons & set(DEFAULT_REASONS)) >= 2
    assert None in {ev.get("reasonId") for ev in day_events if ev.get("state") == "AWAY"}
    # Some agent reaches its limit, and some limit changes in the middle of a shift.
    reached, mid_shift_change = False, False
    for events in by_agent(day_events).values():
        state, limit, open_chats = "OFFLINE", 0, set()
        for ev in events:
            if ev["type"] == "max_chats":
                mid_shift_change |= state != "OFFLINE" and ev["maxChats"] != limit
                limit = ev["maxChats"]
            elif ev["type"] == "state":
                state = ev["state"]
                if state == "OFFLINE":
                    open_chats.clear()
            elif ev["type"] == "chat_start":
                open_chats.add(ev["chatId"])
                reached |= len(open_chats) == limit
            else:
                open_chats.discard(ev["chatId"])
    assert reached and mid_shift_change
    per_agent = len(day_events) / 40
    assert 50 < per_agent < 1000  # a realistic volume, not a trickle nor a flood


def test_snapshot_at_start_for_agents_mid_shift(day_events: list[dict[str, Any]]) -> None:
    at_start = by_agent([ev for ev in day_events if is_snapshot(ev)])
    assert len(at_start) >= 5  # staggered shifts: many agents are on at any hour
    assert any(ev["type"] == "chat_start" for evs in at_start.values() for ev in evs)
    for agent, events in at_start.items():
        assert [ev["type"] for ev in events[:2]] == ["max_chats", "state"], agent
        assert events[1]["state"] != "OFFLINE"
        assert all(ev["type"] == "chat_start" for ev in events[2:])
    # Agents off shift at start: nothing at start, their first event is a later login.
    for agent, events in by_agent(day_events).items():
        if agent not in at_start:
            assert events[0]["time"] > START and events[0]["type"] == "max_chats"


def test_warm_up_is_consistent_with_an_earlier_start() -> None:
    # The snapshot at a later start is exactly what the earlier simulation has then.
    later = START + 7 * HOUR + 4_321
    early = Simulator(30, seed=11, start_ms=START).events_until(later - 1)
    snap = [
        e
        for e in Simulator(30, seed=11, start_ms=later).events_until(later)
        if f"-at{later}-" in e["eventId"]
    ]
    expected: dict[str, tuple[str, str | None, int, set[str]]] = {}
    for agent, events in by_agent(early).items():
        state, reason, limit, chats = "OFFLINE", None, 0, set()
        for ev in events:
            if ev["type"] == "state":
                state, reason = ev["state"], ev.get("reasonId")
                if state == "OFFLINE":
                    chats.clear()
            elif ev["type"] == "max_chats":
                limit = ev["maxChats"]
            elif ev["type"] == "chat_start":
                chats.add(ev["chatId"])
            else:
                chats.discard(ev["chatId"])
        if state != "OFFLINE":
            expected[agent] = (state, reason, limit, chats)
    got: dict[str, tuple[str, str | None, int, set[str]]] = {}
    for agent, events in by_agent(snap).items():
        got[agent] = (
            events[1]["state"],
            events[1].get("reasonId"),
            events[0]["maxChats"],
            {e["chatId"] for e in events[2:]},
        )
    assert got == expected and got


def test_no_agents_and_bad_arguments() -> None:
    assert Simulator(0, start_ms=START).events_until(START + DAY) == []
    with pytest.raises(ValueError):
        Simulator(-1, start_ms=START)
    with pytest.raises(ValueError):
        Simulator(3, start_ms=START, first_agent_id=0)


def test_write_ndjson_round_trips(day_events: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    assert write_ndjson(iter(day_events[:500]), buf) == 500
    lines = buf.getvalue().splitlines()
    assert len(lines) == 500 and all(" " not in line for line in lines)
    assert [orjson.loads(line) for line in lines] == day_events[:500]
    assert write_ndjson([], io.StringIO()) == 0
