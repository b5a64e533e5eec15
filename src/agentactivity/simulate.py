"""A contact-center simulator: agent events in the SPEC section 2 ingest format.

Model. Every agent works one shift a day (7.5-8.5 h, about one day in ten off). Shift
starts are staggered over the 24 hours (golden-ratio spacing by agent index, plus
jitter), so some agents are on at any hour, and days repeat for as long as asked. A shift
is: `max_chats` (limit 1..4) then `ONLINE`; a few Back soon breaks (5-15 min); Away breaks
with a reason (lunch 30-60 min, meeting, training, coaching) or without one; sometimes a
limit change or a short disconnection (`OFFLINE`, then `ONLINE` again); often a wrap-up
(Back soon or Away, no new chats) just before `OFFLINE` at shift end, otherwise the agent
logs out with chats still open (by SPEC, `OFFLINE` ends them, so no `chat_end` follows).
While `ONLINE` and below its limit the agent is offered chats as a Poisson process; a
chat lasts 2-25 minutes (triangular, mode 5) and goes on through Back soon and Away.

Determinism. Each (seed, agent, day) has its own `random.Random`, so an agent's timeline
depends on neither `start_ms` nor the number of agents, and an event keeps the same
`eventId` (`sim-{seed}-{agent}-{day}-{n}`) in every simulator that emits it. Output
order is (time, agent index, the agent's own order), whatever the sequence of
`events_until` calls.

Start. The simulation warms up from the shift that may still be running at `start_ms`.
An agent logged in at `start_ms` first emits a snapshot, all at `start_ms`: `max_chats`,
its `state` (with `reasonId` if Away with a reason) and a `chat_start` per open chat
(ids `sim-{seed}-{agent}-at{start_ms}-{n}`). An agent off shift at `start_ms` emits
nothing until its next login, which always begins with `max_chats`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator, Mapping
from heapq import heappop, heappush
from operator import itemgetter
from typing import Any, TextIO

import orjson

from agentactivity.clock import DAY_MS, HOUR_MS, MINUTE_MS

Event = dict[str, Any]

DEFAULT_REASONS: dict[str, str] = {
    "2642559712": "Lunch",
    "2642559112": "Meeting",
    "2642559312": "Training",
    "2642559512": "Coaching",
}
LUNCH, MEETING, TRAINING, COACHING = "2642559712", "2642559112", "2642559312", "2642559512"

# Bounds that make "the shift of the day before start_ms is the earliest one that can
# still be running at start_ms" true: it starts before (day + 1) * DAY + 20 min and ends
# at most 8.5 h later, so the shift two days back is always over by start_ms.
_START_JITTER_MS = 20 * MINUTE_MS
_MIN_SHIFT_MS = int(7.5 * HOUR_MS)
_MAX_SHIFT_MS = int(8.5 * HOUR_MS)
_DAY_OFF = 0.1
_GOLDEN = 0.6180339887498949
_LIMITS = (1, 2, 3, 4)
_LIMIT_WEIGHTS = (1, 3, 4, 3)
_NEVER = 1 << 62  # later than any event: "no such event pending"
_TIME = itemgetter("time")


def _state(aid: str, t: int, eid: str, state: str, reason: str | None) -> Event:
    ev: Event = {"type": "state", "agentId": aid, "time": t, "eventId": eid, "state": state}
    if reason is not None:
        ev["reasonId"] = reason
    return ev


def _plan_breaks(
    rng: random.Random, login: int, wrap: int, length: int
) -> list[tuple[int, str, str | None]]:
    """(time, state, reason) changes for the breaks between login and wrap-up."""
    wanted: list[tuple[float, float, str, str | None]] = []  # (preferred ms, minutes, ...)
    if rng.random() < 0.9:
        wanted.append((rng.uniform(0.4, 0.55) * length, rng.uniform(30, 60), "AWAY", LUNCH))
    for _ in range(rng.randint(2, 5)):
        wanted.append((rng.uniform(0.05, 0.9) * length, rng.uniform(5, 15), "BACK_SOON", None))
    for p, lo, hi, reason in (
        (0.35, 15, 60, MEETING),
        (0.2, 30, 90, TRAINING),
        (0.2, 15, 30, COACHING),
        (0.5, 3, 15, None),
    ):
        if rng.random() < p:
            wanted.append((rng.uniform(0.05, 0.9) * length, rng.uniform(lo, hi), "AWAY", reason))
    if rng.random() < 0.05:  # a dropped connection: OFFLINE ends the open chats
        wanted.append((rng.uniform(0.1, 0.9) * length, rng.uniform(1, 4), "OFFLINE", None))
    wanted.sort(key=itemgetter(0))
    out: list[tuple[int, str, str | None]] = []
    cursor = login + 10 * MINUTE_MS  # nobody goes on a break right after logging in
    for pref, minutes, state, reason in wanted:
        b0 = max(login + int(pref), cursor)
        b1 = b0 + int(minutes * MINUTE_MS)
        if b1 > wrap - 5 * MINUTE_MS:
            continue  # does not fit any more: skipped today
        out.append((b0, state, reason))
        out.append((b1, "ONLINE", None))
        cursor = b1 + int(rng.uniform(3, 20) * MINUTE_MS)  # some work between two breaks
    return out


def _shift_events(
    rng: random.Random,
    seed: int,
    aid: str,
    day: int,
    start: int,
    length: int,
    limit: int,
    per_min: float,
) -> Iterator[Event]:
    """The events of one shift, in time order; `rng` has drawn the start and length."""
    end = start + length
    login = start + rng.randint(5, 400)  # limit first, then ONLINE a few ms later
    sched: list[tuple[int, str, Any, str | None]] = [
        (start, "max", limit, None),
        (login, "state", "ONLINE", None),
    ]
    wrap = end
    if rng.random() < 0.65:  # wrap-up: stop taking chats, let the open ones finish
        wrap = end - int(rng.uniform(3, 12) * MINUTE_MS)
        sched.append((wrap, "state", rng.choice(("BACK_SOON", "AWAY")), None))
    sched.extend((t, "state", s, r) for t, s, r in _plan_breaks(rng, login, wrap, length))
    if rng.random() < 0.3:
        new = rng.choice([x for x in _LIMITS if x != limit])
        sched.append((start + int(rng.uniform(0.1, 0.9) * length), "max", new, None))
    sched.append((end, "state", "OFFLINE", None))
    sched.sort(key=itemgetter(0))  # stable: same-ms items keep their planned order

    prefix = f"sim-{seed}-{aid}-{day}-"
    chat_prefix = f"{seed}-{aid}-{day}-"
    lam = per_min / MINUTE_MS  # offers per ms while ONLINE and below the limit
    expo, tri = rng.expovariate, rng.triangular
    ends: list[tuple[int, str]] = []  # open chats by end time; chat ids are unique
    state, cur_limit, t, k, n_chats, i = "OFFLINE", 0, start, 0, 0, 0
    while i < len(sched):
        st = sched[i][0]
        et = ends[0][0] if ends else _NEVER
        # Poisson offers are memoryless, so drawing afresh after every event is exact.
        at = t + 1 + int(expo(lam)) if state == "ONLINE" and len(ends) < cur_limit else _NEVER
        eid = f"{prefix}{k}"
        k += 1
        if st <= et and st <= at:  # planned changes win ties: no chat at the OFFLINE ms
            t, kind, value, reason = sched[i]
            i += 1
            if kind == "max":
                cur_limit = value
                yield {
                    "type": "max_chats",
                    "agentId": aid,
                    "time": t,
                    "eventId": eid,
                    "maxChats": value,
                }
                continue
            state = value
            if state == "OFFLINE":
                ends.clear()
            yield _state(aid, t, eid, state, reason)
        elif et <= at:
            t, cid = heappop(ends)
            yield {"type": "chat_end", "agentId": aid, "time": t, "eventId": eid, "chatId": cid}
        else:
            t = at
            cid = f"{chat_prefix}{n_chats}"
            n_chats += 1
            heappush(ends, (t + int(tri(2.0, 25.0, 5.0) * MINUTE_MS), cid))
            yield {"type": "chat_start", "agentId": aid, "time": t, "eventId": eid, "chatId": cid}


def _agent_stream(seed: int, agent_id: int, index: int, start_ms: int) -> Iterator[Event]:
    """One agent's endless event stream from start_ms on, snapshot first."""
    aid = str(agent_id)
    arng = random.Random(f"sim-agent:{seed}:{agent_id}")
    base = int(((index * _GOLDEN) % 1.0) * DAY_MS + arng.uniform(-30, 30) * MINUTE_MS) % DAY_MS
    skill = arng.uniform(0.8, 1.25)
    usual_limit = arng.choices(_LIMITS, _LIMIT_WEIGHTS)[0]
    # What events before start_ms leave behind: folded, then shown as the snapshot.
    pending = True
    logged_in, state, reason, limit = False, "OFFLINE", None, None
    open_chats: dict[str, None] = {}  # insertion-ordered set: snapshot in start order
    for day in itertools.count(start_ms // DAY_MS - 1):
        rng = random.Random(f"sim-shift:{seed}:{agent_id}:{day}")
        if rng.random() < _DAY_OFF:
            continue
        start = day * DAY_MS + base + rng.randint(-_START_JITTER_MS, _START_JITTER_MS)
        length = rng.randint(_MIN_SHIFT_MS, _MAX_SHIFT_MS)
        if pending and start + length < start_ms:
            continue  # over before start_ms: its OFFLINE leaves nothing to show
        shift_limit = usual_limit if rng.random() < 0.8 else rng.choice(_LIMITS)
        per_min = rng.uniform(0.3, 0.7) * skill
        for ev in _shift_events(rng, seed, aid, day, start, length, shift_limit, per_min):
            if pending:
                if ev["time"] < start_ms:
                    typ = ev["type"]
                    if typ == "state":
                        state, reason = ev["state"], ev.get("reasonId")
                        logged_in = state != "OFFLINE"
                        if not logged_in:
                            open_chats.clear()
                    elif typ == "chat_start":
                        open_chats[ev["chatId"]] = None
                    elif typ == "chat_end":
                        open_chats.pop(ev["chatId"], None)
                    else:
                        limit = ev["maxChats"]
                    continue
                pending = False
                if logged_in:
                    yield from _snapshot(seed, aid, start_ms, limit, state, reason, open_chats)
            yield ev


def _snapshot(
    seed: int,
    aid: str,
    t: int,
    limit: int | None,
    state: str,
    reason: str | None,
    open_chats: Iterable[str],
) -> Iterator[Event]:
    prefix = f"sim-{seed}-{aid}-at{t}-"
    n = itertools.count()
    if limit is not None:
        yield {
            "type": "max_chats",
            "agentId": aid,
            "time": t,
            "eventId": f"{prefix}{next(n)}",
            "maxChats": limit,
        }
    yield _state(aid, t, f"{prefix}{next(n)}", state, reason)
    for cid in open_chats:
        yield {
            "type": "chat_start",
            "agentId": aid,
            "time": t,
            "eventId": f"{prefix}{next(n)}",
            "chatId": cid,
        }


class Simulator:
    """Agents `first_agent_id` .. `first_agent_id + agents - 1`, from `start_ms` on."""

    def __init__(
        self,
        agents: int = 40,
        seed: int = 1,
        *,
        start_ms: int,
        first_agent_id: int = 1001,
        reason_ids: Mapping[str, str] | None = None,
    ) -> None:
        """`reason_ids`: the reasonId to emit instead of each of DEFAULT_REASONS' ids
        (e.g. the ids a store gave those reasons); the timelines are the same."""
        if agents < 0:
            raise ValueError("agents must be >= 0")
        if first_agent_id < 1 or first_agent_id + agents - 1 > 2**63 - 1:
            raise ValueError("agent ids must be between 1 and 2^63-1")
        self.agents, self.seed, self.start_ms = agents, seed, int(start_ms)
        self.first_agent_id = first_agent_id
        self.reason_ids = dict(reason_ids or {})
        self._streams = [
            _agent_stream(seed, first_agent_id + i, i, self.start_ms) for i in range(agents)
        ]
        # One pulled-ahead event per agent; streams are endless, so there always is one.
        self._heads: list[Event] = [next(s) for s in self._streams]

    def events_until(self, until_ms: int) -> list[dict]:
        """Every event with time <= until_ms not returned by an earlier call, sorted by
        (time, agent index, the agent's own order)."""
        out: list[Event] = []
        heads, streams = self._heads, self._streams
        for i, head in enumerate(heads):
            if head["time"] > until_ms:
                continue
            stream = streams[i]
            while head["time"] <= until_ms:
                out.append(head)
                head = next(stream)
            heads[i] = head
        # Appended agent by agent, each in its own order: a stable sort on time alone
        # therefore orders ties by agent index, then by the agent's own order.
        out.sort(key=_TIME)
        if self.reason_ids:
            renamed = self.reason_ids
            for ev in out:
                reason = ev.get("reasonId")
                if reason is not None:
                    ev["reasonId"] = renamed.get(reason, reason)
        return out


def write_ndjson(events: Iterable[dict], stream: TextIO) -> int:
    """Write one compact JSON object per line; return how many were written."""
    count = 0
    dumps = orjson.dumps
    for ev in events:
        stream.write(dumps(ev).decode())
        stream.write("\n")
        count += 1
    return count
