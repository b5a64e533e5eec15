"""Simulated contact centers whose shape does not depend on when the tests run.

The simulator's shifts follow the UTC time of day and a draw per (agent, calendar day),
so which agents have events in "the last 6 hours" changes with the date and the hour
(16 agents over 6 h: anywhere from 3 to 11). A test that posts to a real server must
still date its events near the real "now" (the server keeps only its retention window,
OAuth checks timestamps against real time), so `pinned_events` simulates one fixed
window, ending at PINNED_END, and moves every event by the same amount to end at the
caller's "now": the agents, their shifts and their states are the same on every run.
tests/unit/test_fixed_instants.py checks that at a few awkward instants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentactivity.simulate import Simulator

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
# 2026-01-13T10:07:41.803Z: 16 agents (seed 1) over the 6 h before it give 10 agents
# with events, 5 of them logged in (one Away for lunch, three at their chat limit) and
# 5 logged out: every kind of tile the wallboard draws. Any instant would do for
# determinism; this one was picked for that variety (`check_wallboard_world`).
PINNED_END = 1_768_298_861_803


def pinned_events(agents: int, seed: int, hours: float, end_ms: int) -> list[dict[str, Any]]:
    """What `agentactivity simulate --agents A --seed S --hours H --end PINNED_END`
    writes, with every time moved by `end_ms - PINNED_END`: the last possible event is
    at `end_ms`, the first at `end_ms - hours`."""
    start = PINNED_END - int(hours * HOUR_MS)
    shift = end_ms - PINNED_END
    events = Simulator(agents=agents, seed=seed, start_ms=start).events_until(PINNED_END)
    return [{**ev, "time": ev["time"] + shift} for ev in events]


@dataclass
class AgentState:
    """An agent's state after a stream of events, as SPEC section 7 lists it."""

    state: str = "OFFLINE"
    reason_id: str | None = None
    max_chats: int = 0
    chats: set[str] = field(default_factory=set)

    @property
    def logged_in(self) -> bool:
        return self.state != "OFFLINE"


def final_states(events: list[dict[str, Any]]) -> dict[str, AgentState]:
    """{agentId: state} after `events` (in time order): the last state and limit,
    and the chats started and not ended since the last OFFLINE (which ends them all)."""
    states: dict[str, AgentState] = {}
    for ev in events:
        agent = states.setdefault(str(ev["agentId"]), AgentState())
        kind = ev["type"]
        if kind == "state":
            agent.state, agent.reason_id = ev["state"], ev.get("reasonId")
            if agent.state == "OFFLINE":
                agent.chats.clear()
        elif kind == "max_chats":
            agent.max_chats = ev["maxChats"]
        elif kind == "chat_start":
            agent.chats.add(ev["chatId"])
        else:
            agent.chats.discard(ev["chatId"])
    return states


def check_wallboard_world(states: dict[str, AgentState], agents: int) -> None:
    """What the browser test needs of its simulated agents to check anything: most
    agents have a tile, some logged in and some logged out, an Away reason shown, and
    open chats (some at the limit)."""
    logged_in = [s for s in states.values() if s.logged_in]
    assert len(states) >= agents // 2, f"{len(states)} of {agents} agents have events"
    assert logged_in and len(logged_in) < len(states), "no logged-in or no logged-out agent"
    assert any(s.state == "AWAY" and s.reason_id for s in logged_in), "no Away reason shown"
    assert any(0 < s.max_chats <= len(s.chats) for s in logged_in), "nobody at the limit"


def busy_end(agents: int, seed: int, hours: float, now_ms: int) -> int:
    """The latest end (now_ms, then back by `hours` at a time) whose `hours` have events
    for `agents` agents. A few agents may all be off for a day or so; a whole 6 days
    (inside the default 7-day retention, so a server still takes the events) would
    take every one of them having 6 days off in a row."""
    step = int(hours * HOUR_MS)
    end = now_ms
    while end > now_ms - 6 * DAY_MS:
        if Simulator(agents=agents, seed=seed, start_ms=end - step).events_until(end):
            return end
        end -= step
    raise AssertionError(f"the simulator gave {agents} agents no events in 6 days")


def next_event_after(agents: int, seed: int, t_ms: int) -> dict[str, Any]:
    """The first event after t_ms of any simulation of these agents that began before
    t_ms (a running demo's next one): an agent's events do not depend on the start."""
    simulator = Simulator(agents=agents, seed=seed, start_ms=t_ms)
    simulator.events_until(t_ms)  # the snapshot at t_ms: not after it
    until = t_ms
    while until < t_ms + DAY_MS:
        until += 60_000
        events = simulator.events_until(until)
        if events:
            return events[0]
    raise AssertionError(f"the simulator gave {agents} agents no event in a day")
