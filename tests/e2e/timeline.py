"""A small hand-made contact-center timeline and the figures it implies (SPEC sections 2-3).

The segments are written out by hand next to the events, not derived from them, so that
the expected figures are an independent statement of what the events mean.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import orjson
import requests

MIN = 60_000
LUNCH = "2642559712"
MEETING = "2642559112"
ONLINE, BACK_SOON, AWAY = 2, 3, 4
NAMES = {ONLINE: "Online", BACK_SOON: "Back in 5", AWAY: "Away", -1: "Logged in"}
OPEN = None  # a segment still going on at the end of any query window

# Agent ids: 99 sorts before 1001 numerically (not as text); the largest id is allowed.
A, B, C, D, E = "1001", "1002", "1003", "99", "9223372036854775807"


@dataclass(frozen=True)
class Seg:
    start: int
    end: int | None
    state: int
    reason: str | None
    chats: int
    limit: int  # 0 = no limit


@dataclass(frozen=True)
class Timeline:
    base: int  # "now" when it was written; every event is before it
    events: list[dict[str, Any]]
    segments: dict[str, list[Seg]]


def build(base: int) -> Timeline:
    def t(minutes_ago: float) -> int:
        return base - int(minutes_ago * MIN)

    def state(agent: Any, ago: float, value: str, reason: str | None = None) -> dict[str, Any]:
        ev = {"type": "state", "agentId": agent, "time": t(ago), "state": value}
        if reason is not None:
            ev["reasonId"] = reason
        return ev

    def chat(kind: str, agent: Any, ago: float, chat_id: str) -> dict[str, Any]:
        return {"type": kind, "agentId": agent, "time": t(ago), "chatId": chat_id}

    def limit(agent: Any, ago: float, value: int) -> dict[str, Any]:
        return {"type": "max_chats", "agentId": agent, "time": t(ago), "maxChats": value}

    events = [
        # A: ONLINE 30 min ago with a limit of 1, one chat from 20 to 10 min ago, AWAY
        # (lunch) 5 min ago and still away.
        limit(A, 30, 1),
        state(A, 30, "ONLINE"),
        chat("chat_start", A, 20, "a1"),
        chat("chat_end", A, 10, "a1"),
        state(A, 5, "AWAY", LUNCH),
        # B: no limit; two chats at once; Back soon with chats; Away without a reason;
        # logged out 12 min ago.
        state(int(B), 50, "ONLINE"),
        chat("chat_start", int(B), 40, "b1"),
        chat("chat_start", int(B), 35, "b2"),
        state(int(B), 30, "BACK_SOON"),
        chat("chat_end", int(B), 25, "b1"),
        chat("chat_end", int(B), 20, "b2"),
        state(int(B), 15, "AWAY"),
        state(int(B), 12, "OFFLINE"),
        # C: logged in from 90 to 70 min ago only: never in a 60-minute window.
        state(C, 90, "ONLINE"),
        state(C, 70, "OFFLINE"),
        # D: online for 2 h, limit 2 then 1 then 3; a chat runs on into a meeting; two
        # reasons (meeting 5 min > lunch 2 min); two chats at once at the limit.
        limit(int(D), 120, 2),
        state(int(D), 120, "ONLINE"),
        chat("chat_start", int(D), 57, "d0"),
        state(int(D), 55, "AWAY", MEETING),
        chat("chat_end", int(D), 52, "d0"),
        state(int(D), 50, "ONLINE"),
        state(int(D), 48, "AWAY", LUNCH),
        state(int(D), 46, "ONLINE"),
        chat("chat_start", int(D), 45, "d1"),
        chat("chat_start", int(D), 30, "d2"),
        limit(int(D), 25, 1),
        chat("chat_end", int(D), 22, "d2"),
        limit(int(D), 10, 3),
        chat("chat_end", int(D), 8, "d1"),
        # E: a chat started while logged out counts once logged in; OFFLINE ends open
        # chats (e3 never ends otherwise); a chat started while offline stays active;
        # ending an unknown chat is a no-op.
        chat("chat_start", E, 40, "e1"),
        state(E, 35, "ONLINE"),
        chat("chat_end", E, 25, "e1"),
        chat("chat_start", E, 24, "e3"),
        state(E, 20, "OFFLINE"),
        chat("chat_start", E, 18, "e2"),
        state(E, 10, "ONLINE"),
        chat("chat_end", E, 5, "e9"),
    ]

    def seg(
        start_ago: float, end_ago: float | None, st: int, reason: str | None, chats: int, lim: int
    ) -> Seg:
        return Seg(t(start_ago), None if end_ago is None else t(end_ago), st, reason, chats, lim)

    segments = {
        A: [
            seg(30, 20, ONLINE, None, 0, 1),
            seg(20, 10, ONLINE, None, 1, 1),
            seg(10, 5, ONLINE, None, 0, 1),
            seg(5, OPEN, AWAY, LUNCH, 0, 1),
        ],
        B: [
            seg(50, 40, ONLINE, None, 0, 0),
            seg(40, 35, ONLINE, None, 1, 0),
            seg(35, 30, ONLINE, None, 2, 0),
            seg(30, 25, BACK_SOON, None, 2, 0),
            seg(25, 20, BACK_SOON, None, 1, 0),
            seg(20, 15, BACK_SOON, None, 0, 0),
            seg(15, 12, AWAY, None, 0, 0),
        ],
        C: [seg(90, 70, ONLINE, None, 0, 0)],
        D: [
            seg(120, 57, ONLINE, None, 0, 2),
            seg(57, 55, ONLINE, None, 1, 2),
            seg(55, 52, AWAY, MEETING, 1, 2),
            seg(52, 50, AWAY, MEETING, 0, 2),
            seg(50, 48, ONLINE, None, 0, 2),
            seg(48, 46, AWAY, LUNCH, 0, 2),
            seg(46, 45, ONLINE, None, 0, 2),
            seg(45, 30, ONLINE, None, 1, 2),
            seg(30, 25, ONLINE, None, 2, 2),
            seg(25, 22, ONLINE, None, 2, 1),
            seg(22, 10, ONLINE, None, 1, 1),
            seg(10, 8, ONLINE, None, 1, 3),
            seg(8, OPEN, ONLINE, None, 0, 3),
        ],
        E: [
            seg(35, 25, ONLINE, None, 1, 0),
            seg(25, 24, ONLINE, None, 0, 0),
            seg(24, 20, ONLINE, None, 1, 0),
            seg(10, OPEN, ONLINE, None, 1, 0),
        ],
    }
    return Timeline(base, events, segments)


def ingest(base_url: str, account: str, auth: Any, events: list[dict[str, Any]]) -> int:
    """Post the events shuffled (late, out of order) in the three accepted body formats."""
    shuffled = list(events)
    random.Random(20240601).shuffle(shuffled)
    third = len(shuffled) // 3
    url = f"{base_url}/api/account/{account}/events"
    answers = [
        requests.post(url, json=shuffled[:third], auth=auth, timeout=10),
        requests.post(url, json={"events": shuffled[third : 2 * third]}, auth=auth, timeout=10),
        requests.post(
            url,
            data=b"".join(orjson.dumps(ev) + b"\n" for ev in shuffled[2 * third :]),
            headers={"Content-Type": "application/x-ndjson"},
            auth=auth,
            timeout=10,
        ),
    ]
    accepted = 0
    for answer in answers:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["duplicates"] == 0, body
        accepted += body["accepted"]
    assert accepted == len(events)
    return accepted


# --- expected figures --------------------------------------------------------------------


def _value(ms: list[int]) -> dict[str, int]:
    total, chatting, at_max = ms
    return {
        "total": total // 1000,
        "chatting": chatting // 1000,
        "notChatting": (total - chatting) // 1000,
        "chattingInMaxConcurrency": at_max // 1000,
    }


def agent_entries(segs: list[Seg], a: int, b: int) -> list[dict[str, Any]] | None:
    """The four entries of one agent over [a, b), or None if not logged in within it."""
    states = {ONLINE: [0, 0, 0], BACK_SOON: [0, 0, 0], AWAY: [0, 0, 0]}
    reasons: dict[str, list[int]] = {}
    for s in segs:
        end = b if s.end is None else min(s.end, b)
        ms = end - max(s.start, a)
        if ms <= 0:
            continue
        chatting = ms if s.chats >= 1 else 0
        at_max = ms if s.limit > 0 and s.chats >= s.limit else 0
        for acc in [states[s.state]] + (
            [reasons.setdefault(s.reason, [0, 0, 0])]
            if s.state == AWAY and s.reason is not None
            else []
        ):
            acc[0] += ms
            acc[1] += chatting
            acc[2] += at_max
    logged = [sum(states[st][i] for st in states) for i in range(3)]
    if logged[0] <= 0:
        return None
    ordered = sorted(reasons.items(), key=lambda item: (-item[1][0], item[0]))
    return [
        {"id": ONLINE, "name": NAMES[ONLINE], "value": _value(states[ONLINE])},
        {"id": BACK_SOON, "name": NAMES[BACK_SOON], "value": _value(states[BACK_SOON])},
        {
            "reasons": [{"id": rid, "value": _value(ms)} for rid, ms in ordered],
            "id": AWAY,
            "name": NAMES[AWAY],
            "value": _value(states[AWAY]),
        },
        {"id": -1, "name": NAMES[-1], "value": _value(logged)},
    ]


def agents_metrics(
    timeline: Timeline, a: int, b: int, agent_ids: set[str] | None = None
) -> dict[str, Any]:
    per_agent = {}
    for agent in sorted(timeline.segments, key=int):
        if agent_ids is not None and agent not in agent_ids:
            continue
        entries = agent_entries(timeline.segments[agent], a, b)
        if entries is not None:
            per_agent[agent] = entries
    return {"metricsPerAgent": per_agent, "metricsTotals": []}


def expected_response(
    timeline: Timeline,
    to: int,
    timeframe: int,
    interval: int | None = None,
    agent_ids: set[str] | None = None,
    v: int = 1,
) -> dict[str, Any]:
    start = to - timeframe * MIN
    body: dict[str, Any] = {}
    if interval is not None:
        step = interval * MIN
        rounded = -(-to // (5 * MIN)) * (5 * MIN)
        intervals = []
        k = 0
        while rounded - k * step > start:
            hi, lo = rounded - k * step, rounded - (k + 1) * step
            a, b = max(lo, start), min(hi, to)
            if b > a:
                intervals.append(
                    {
                        "timestamp": hi,
                        "metricsData": {"agentsMetrics": agents_metrics(timeline, a, b, agent_ids)},
                    }
                )
            k += 1
        body["metricsByIntervals"] = intervals
    body["agentsMetrics"] = agents_metrics(timeline, start, to, agent_ids)
    if v == 2:
        return {"meta": {"responseCode": 200}, "body": body}
    return body


def duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def assert_between(got: Any, lo: Any, hi: Any, path: str = "$") -> None:
    """Same shape as lo/hi; every number between the two (the answer at an instant that
    lies between the two instants lo and hi were computed for)."""
    if isinstance(lo, dict):
        assert isinstance(got, dict) and list(got) == list(lo) == list(hi), (path, got, lo)
        for key in lo:
            assert_between(got[key], lo[key], hi[key], f"{path}.{key}")
    elif isinstance(lo, list):
        assert isinstance(got, list) and len(got) == len(lo) == len(hi), (path, got, lo)
        for i, (g, x, y) in enumerate(zip(got, lo, hi)):
            assert_between(g, x, y, f"{path}[{i}]")
    elif isinstance(lo, int) and not isinstance(lo, bool):
        assert min(lo, hi) <= got <= max(lo, hi), f"{path}: {got} not within [{lo}, {hi}]"
    else:
        assert got == lo == hi, (path, got, lo, hi)
