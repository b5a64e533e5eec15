"""Benchmark data: simulated contact-center days, and the four queries of the issue."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentactivity.events import Event, TimeBounds, parse_event
from agentactivity.query import ActivityQuery, interval_scopes
from agentactivity.simulate import Simulator

HOUR_MS = 3_600_000
FIRST_AGENT = 1001
SEED = 1
# The benchmark's own events carry every field already; no time bound applies to them
# in-process (the server checks its own bounds over HTTP).
ANY_TIME = TimeBounds(oldest=0, newest=2**62)

Progress = Callable[[int], None]  # called with the number of units just done


@dataclass
class Dataset:
    agents: int
    hours: float
    end: int  # the fixed `to` of every query: the end of the simulated period
    raw: list[dict[str, Any]]  # as posted to the ingest API
    events: list[Event]  # validated, in store order (seq = index + 1)


def simulate(agents: int, hours: float, end: int, advance: Progress | None = None) -> Dataset:
    """`hours` of simulated events for `agents` agents, ending at `end` (epoch ms).

    `advance` is called once per simulated hour, then once per parsed hour's worth."""
    start = end - int(hours * HOUR_MS)
    simulator = Simulator(agents=agents, seed=SEED, start_ms=start, first_agent_id=FIRST_AGENT)
    raw: list[dict[str, Any]] = []
    steps = max(1, int(hours))
    for h in range(1, steps + 1):
        until = end if h == steps else start + h * HOUR_MS
        raw.extend(simulator.events_until(until))
        if advance:
            advance(1)
    events: list[Event] = []
    chunk = max(1, len(raw) // steps)
    for i in range(0, len(raw), chunk):
        events.extend(parse_event(obj, ANY_TIME) for obj in raw[i : i + chunk])
        if advance:
            advance(1)
    return Dataset(agents, hours, end, raw, events)


def queries(end: int) -> dict[str, ActivityQuery]:
    """Q1-Q4 of the issue, over the fixed window end `end`."""
    fifty = tuple(range(FIRST_AGENT, FIRST_AGENT + 50))
    return {
        "Q1": ActivityQuery(timeframe=1440, agent_ids=None, version=1, to=end),
        "Q2": ActivityQuery(timeframe=1440, agent_ids=None, version=1, interval=60, to=end),
        "Q3": ActivityQuery(timeframe=60, agent_ids=fifty, version=1, interval=5, to=end),
        "Q4": ActivityQuery(timeframe=1440, agent_ids=(FIRST_AGENT,), version=1, to=end),
    }


QUERY_TEXT = {
    "Q1": "agentIds=all timeframe=1440",
    "Q2": "agentIds=all timeframe=1440 interval=60",
    "Q3": "50 agents timeframe=60 interval=5",
    "Q4": "1 agent timeframe=1440",
}


def http_params(query: ActivityQuery) -> dict[str, Any]:
    params: dict[str, Any] = {
        "timeframe": query.timeframe,
        "agentIds": "all" if query.agent_ids is None else ",".join(str(a) for a in query.agent_ids),
        "v": query.version,
        "to": query.to,
    }
    if query.interval:
        params["interval"] = query.interval
    return params


def scopes_of(query: ActivityQuery, now_ms: int) -> tuple[list[tuple[int, int]], list[int]]:
    """The scopes [a, b) of a query (window first, then intervals newest first) and the
    intervals' timestamps."""
    start, end = query.window(now_ms)
    intervals = interval_scopes(start, end, query.interval) if query.interval else []
    return [(start, end)] + [(a, b) for _, a, b in intervals], [stamp for stamp, _, _ in intervals]


def adversarial(seed: int, end: int, agents: int = 40, events: int = 4000) -> list[Event]:
    """Events meant to break a naive implementation of SPEC section 2: ties at the same
    millisecond, chats started while logged out, repeated starts, ends of unknown chats,
    OFFLINE while logged out, limits of 0, reasons coming and going, events right on
    the window and interval edges."""
    rng = random.Random(seed)
    span = 3 * HOUR_MS
    start = end - span
    edges = [end - k * 5 * 60_000 for k in range(0, 40)] + [end - 1440 * 60_000]
    out: list[Event] = []
    for n in range(events):
        agent = FIRST_AGENT + rng.randrange(agents)
        r = rng.random()
        if r < 0.15:
            time = rng.choice(edges) + rng.choice((-1, 0, 0, 1))
        elif r < 0.3 and out:
            time = out[rng.randrange(len(out))].time  # a tie with some other event
        else:
            time = start + rng.randrange(span)
        kind = rng.choices(("state", "chat_start", "chat_end", "max_chats"), (4, 4, 3, 1))[0]
        state = reason = chat = limit = None
        if kind == "state":
            state = rng.choice(("ONLINE", "BACK_SOON", "AWAY", "AWAY", "OFFLINE"))
            if state == "AWAY" and rng.random() < 0.7:
                reason = rng.choice(("11", "22", "33", "4"))
        elif kind == "max_chats":
            limit = rng.choice((0, 1, 2, 3))
        else:
            chat = f"c{rng.randrange(6)}"
        out.append(Event(kind, agent, time, f"adv-{seed}-{n}", state, reason, chat, limit))
    return out
