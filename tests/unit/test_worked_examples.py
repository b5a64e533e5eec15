"""The reference document's worked examples (and a few more hand-made ones) as fixed tests.

Every expected number here was written by hand from SPEC.md and the reference document,
never by running code. Each test runs twice: against the engine and against the
brute-force reference of tests/property/reference.py, which keeps that reference honest.

Where the document's JSON contradicts itself (e.g. "Logged in" notChatting 0 next to a
total of 3368 with chatting 0, or Away total 0 next to reasons of 72 s and 53 s), the
expectation follows SPEC section 3: notChatting = total - chatting, and Away's total
includes its reasons.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agentactivity.engine import Engine
from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from tests.property import reference

assert_same_payload = reference.assert_same_payload

ACCOUNT = "12345678"
REASON_A = "2642559712"
REASON_B = "2642559112"


@pytest.fixture(params=["reference", "engine"])
def impl(request):
    """A fresh implementation under test: the engine, or the brute-force reference."""
    if request.param == "reference":
        return reference.ReferenceEngine()
    return Engine()


# --------------------------------------------------------------------------- helpers


def at(day: tuple[int, int, int], h: int, m: int, s: int = 0, ms: int = 0) -> int:
    """Epoch ms of a UTC wall-clock time."""
    dt = datetime(*day, h, m, s, tzinfo=UTC)
    return int(dt.timestamp()) * 1000 + ms


JULY_1 = (2014, 7, 1)
MARCH_26 = (2014, 3, 26)


class Stream:
    """Events in arrival order; seq is the position in that order (1-based)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def _add(self, **kw: Any) -> Stream:
        kw.setdefault("event_id", f"e{len(self.events) + 1}")
        self.events.append(Event(**kw))
        return self

    def state(self, agent: int, t: int, state: str, reason: str | None = None) -> Stream:
        return self._add(type="state", agent_id=agent, time=t, state=state, reason_id=reason)

    def start(self, agent: int, t: int, chat: str) -> Stream:
        return self._add(type="chat_start", agent_id=agent, time=t, chat_id=chat)

    def end(self, agent: int, t: int, chat: str) -> Stream:
        return self._add(type="chat_end", agent_id=agent, time=t, chat_id=chat)

    def limit(self, agent: int, t: int, max_chats: int) -> Stream:
        return self._add(type="max_chats", agent_id=agent, time=t, max_chats=max_chats)

    def pairs(self) -> list[tuple[int, Event]]:
        return [(i + 1, ev) for i, ev in enumerate(self.events)]


def run(impl, stream: Stream, query: ActivityQuery, now_ms: int) -> dict[str, Any]:
    impl.apply(ACCOUNT, stream.pairs())
    return impl.agent_activity(ACCOUNT, query, now_ms)


def v(total: int, chatting: int, not_chatting: int, max_conc: int) -> dict[str, int]:
    return {
        "total": total,
        "chatting": chatting,
        "notChatting": not_chatting,
        "chattingInMaxConcurrency": max_conc,
    }


Z = v(0, 0, 0, 0)


def four(
    online=Z, back=Z, away=Z, logged=Z, reasons: list[tuple[str, dict]] | None = None
) -> list[dict[str, Any]]:
    return [
        {"id": 2, "name": "Online", "value": online},
        {"id": 3, "name": "Back in 5", "value": back},
        {
            "reasons": [{"id": rid, "value": val} for rid, val in (reasons or [])],
            "id": 4,
            "name": "Away",
            "value": away,
        },
        {"id": -1, "name": "Logged in", "value": logged},
    ]


def metrics(per_agent: dict[str, Any], totals: list | None = None) -> dict[str, Any]:
    return {"metricsPerAgent": per_agent, "metricsTotals": totals if totals is not None else []}


def by_intervals(intervals: list[tuple[int, dict]], whole: dict) -> dict[str, Any]:
    return {
        "metricsByIntervals": [
            {"timestamp": ts, "metricsData": {"agentsMetrics": m}} for ts, m in intervals
        ],
        "agentsMetrics": whole,
    }


def q(timeframe, agent_ids=None, version=1, interval=None, to=None, totals=False):
    return ActivityQuery(timeframe, agent_ids, version, interval, to, totals)


# --------------------------------------------------------------------------- the 14:46:08 example

E_1446 = at(JULY_1, 14, 46, 8)  # 1404225968000


def test_example_instants_are_the_documents():
    assert E_1446 == 1404225968000
    assert at(JULY_1, 14, 50) == 1404226200000
    assert at(JULY_1, 13, 50) == 1404222600000
    assert at(JULY_1, 12, 50) == 1404219000000
    assert at(MARCH_26, 8, 0) == 1395820800000


def interval_example_stream() -> Stream:
    """Agents 2 and 3 of the document's interval example (timeframe 120, interval 60)."""
    t = lambda h, m, s=0: at(JULY_1, h, m, s)
    s = Stream()
    # agent 2: Online, then Back in 5 chatting 13:12:56-13:50, Online, Away (reason) 100 s
    s.state(2, t(12, 0), "ONLINE")
    s.state(2, t(13, 12, 56), "BACK_SOON").start(2, t(13, 12, 56), "c1")
    s.end(2, t(13, 50), "c1").state(2, t(13, 50), "ONLINE")
    s.state(2, t(14, 44, 28), "AWAY", REASON_A)
    s.state(2, t(14, 50), "OFFLINE")  # after E: must not count
    # agent 3: Back in 5, then Online chatting 13:12:56-13:50, then Back in 5 again
    s.state(3, t(12, 30), "BACK_SOON")
    s.state(3, t(13, 12, 56), "ONLINE").start(3, t(13, 12, 56), "x")
    s.end(3, t(13, 50), "x").state(3, t(13, 50), "BACK_SOON")
    s.start(3, t(14, 47), "late-chat")  # after E: must not count
    return s


def test_interval_example_timestamps_and_logged_in_totals(impl):
    payload = run(impl, interval_example_stream(), q(120, interval=60), E_1446)
    intervals = payload["metricsByIntervals"]
    assert [i["timestamp"] for i in intervals] == [1404226200000, 1404222600000, 1404219000000]
    for item, seconds in zip(intervals, [3368, 3600, 232]):
        for agent in ("2", "3"):
            logged = item["metricsData"]["agentsMetrics"]["metricsPerAgent"][agent][3]
            assert logged["id"] == -1 and logged["value"]["total"] == seconds
    for agent in ("2", "3"):
        assert payload["agentsMetrics"]["metricsPerAgent"][agent][3]["value"]["total"] == 7200


def test_interval_example_full_payload(impl):
    payload = run(impl, interval_example_stream(), q(120, interval=60), E_1446)
    expected = by_intervals(
        [
            (
                1404226200000,  # [13:50, 14:46:08): 3368 s
                metrics(
                    {
                        "2": four(
                            online=v(3268, 0, 3268, 0),
                            away=v(100, 0, 100, 0),
                            reasons=[(REASON_A, v(100, 0, 100, 0))],
                            logged=v(3368, 0, 3368, 0),
                        ),
                        "3": four(back=v(3368, 0, 3368, 0), logged=v(3368, 0, 3368, 0)),
                    }
                ),
            ),
            (
                1404222600000,  # [12:50, 13:50): 3600 s
                metrics(
                    {
                        "2": four(
                            online=v(1376, 0, 1376, 0),
                            back=v(2224, 2224, 0, 0),
                            logged=v(3600, 2224, 1376, 0),
                        ),
                        "3": four(
                            online=v(2224, 2224, 0, 0),
                            back=v(1376, 0, 1376, 0),
                            logged=v(3600, 2224, 1376, 0),
                        ),
                    }
                ),
            ),
            (
                1404219000000,  # [12:46:08, 12:50): 232 s
                metrics(
                    {
                        "2": four(online=v(232, 0, 232, 0), logged=v(232, 0, 232, 0)),
                        "3": four(back=v(232, 0, 232, 0), logged=v(232, 0, 232, 0)),
                    }
                ),
            ),
        ],
        # the trailing agentsMetrics is the whole window [12:46:08, 14:46:08)
        metrics(
            {
                "2": four(
                    online=v(4876, 0, 4876, 0),
                    back=v(2224, 2224, 0, 0),
                    away=v(100, 0, 100, 0),
                    reasons=[(REASON_A, v(100, 0, 100, 0))],
                    logged=v(7200, 2224, 4976, 0),
                ),
                "3": four(
                    online=v(2224, 2224, 0, 0),
                    back=v(4976, 0, 4976, 0),
                    logged=v(7200, 2224, 4976, 0),
                ),
            }
        ),
    )
    assert_same_payload(payload, expected)


def window_example_stream() -> Stream:
    """Agents 2 and 3 of the document's first example (timeframe 120, no interval)."""
    t = lambda h, m, s=0: at(JULY_1, h, m, s)
    s = Stream()
    # agent 2: Online 4714 s, Back in 5 chatting 2361 s, Away 72 s (A) then 53 s (B)
    s.state(2, t(12, 0), "ONLINE")
    s.start(2, t(14, 4, 42), "c").state(2, t(14, 4, 42), "BACK_SOON")
    s.state(2, t(14, 44, 3), "AWAY", REASON_A).end(2, t(14, 44, 3), "c")
    s.state(2, t(14, 45, 15), "AWAY", REASON_B)  # AWAY -> AWAY, another reason
    # agent 3: Back in 5 4714 s, then Online chatting 2486 s
    s.state(3, t(12, 0), "BACK_SOON")
    s.state(3, t(14, 4, 42), "ONLINE").start(3, t(14, 4, 42), "d")
    return s


def window_example_expected() -> dict[str, Any]:
    return {
        "agentsMetrics": metrics(
            {
                "2": four(
                    online=v(4714, 0, 4714, 0),
                    back=v(2361, 2361, 0, 0),
                    away=v(125, 0, 125, 0),
                    reasons=[(REASON_A, v(72, 0, 72, 0)), (REASON_B, v(53, 0, 53, 0))],
                    logged=v(7200, 2361, 4839, 0),
                ),
                "3": four(  # exactly the document's agent 3
                    online=v(2486, 2486, 0, 0),
                    back=v(4714, 0, 4714, 0),
                    logged=v(7200, 2486, 4714, 0),
                ),
            }
        )
    }


def test_window_example_v1(impl):
    payload = run(impl, window_example_stream(), q(120), E_1446)
    assert_same_payload(payload, window_example_expected())


def test_window_example_v2_with_ids_and_to(impl):
    query = q(120, agent_ids=(2, 3), version=2, to=E_1446)
    payload = run(impl, window_example_stream(), query, E_1446 + 3_600_000)
    expected = {"meta": {"responseCode": 200}, "body": window_example_expected()}
    assert_same_payload(payload, expected)
    assert list(payload) == ["meta", "body"]


# --------------------------------------------------------------------------- the 08:07 example


def test_0807_example(impl):
    t = lambda h, m, s=0: at(MARCH_26, h, m, s)
    s = Stream()
    s.state(7, t(7, 0), "ONLINE")  # logged in the whole time
    s.state(8, t(7, 58), "BACK_SOON").state(8, t(8, 1, 30), "OFFLINE")  # only in two intervals
    payload = run(impl, s, q(20, interval=10), t(8, 7))
    expected = by_intervals(
        [
            (
                t(8, 10),  # 08:00-08:10, actual 08:00-08:07: 7 min
                metrics(
                    {
                        "7": four(online=v(420, 0, 420, 0), logged=v(420, 0, 420, 0)),
                        "8": four(back=v(90, 0, 90, 0), logged=v(90, 0, 90, 0)),
                    }
                ),
            ),
            (
                t(8, 0),  # 07:50-08:00: 10 min
                metrics(
                    {
                        "7": four(online=v(600, 0, 600, 0), logged=v(600, 0, 600, 0)),
                        "8": four(back=v(120, 0, 120, 0), logged=v(120, 0, 120, 0)),
                    }
                ),
            ),
            (
                t(7, 50),  # 07:47-07:50: only 3 min; agent 8 was not logged in then
                metrics({"7": four(online=v(180, 0, 180, 0), logged=v(180, 0, 180, 0))}),
            ),
        ],
        metrics(
            {
                "7": four(online=v(1200, 0, 1200, 0), logged=v(1200, 0, 1200, 0)),
                "8": four(back=v(210, 0, 210, 0), logged=v(210, 0, 210, 0)),
            }
        ),
    )
    assert_same_payload(payload, expected)


def test_30_minute_interval_example(impl):
    """Interval 07:30-08:00 on 26/03/2014 has timestamp 1395820800000; R = E on a boundary."""
    t = lambda h, m, s=0: at(MARCH_26, h, m, s)
    s = Stream().state(1, t(7, 0), "ONLINE")
    payload = run(impl, s, q(30, interval=30), 1395820800000)
    one = metrics({"1": four(online=v(1800, 0, 1800, 0), logged=v(1800, 0, 1800, 0))})
    assert_same_payload(payload, by_intervals([(1395820800000, one)], one))


def test_interval_edges_when_end_is_just_past_a_boundary(impl):
    """E = 08:00:00.001: R = 08:05, so four intervals: 1 ms, 5 min, 5 min, 5 min - 1 ms."""
    t = lambda h, m, s=0, ms=0: at(MARCH_26, h, m, s, ms)
    s = Stream().state(1, t(7, 0), "ONLINE")
    payload = run(impl, s, q(15, interval=5, to=t(8, 0, 0, 1)), t(9, 0))
    assert [i["timestamp"] for i in payload["metricsByIntervals"]] == [
        t(8, 5),
        t(8, 0),
        t(7, 55),
        t(7, 50),
    ]
    shown = [
        i["metricsData"]["agentsMetrics"]["metricsPerAgent"]["1"][3]["value"]["total"]
        for i in payload["metricsByIntervals"]
    ]
    assert shown == [0, 300, 300, 299]  # 1 ms, 300 s, 300 s, 299.999 s
    assert payload["agentsMetrics"]["metricsPerAgent"]["1"][3]["value"]["total"] == 900


# --------------------------------------------------------------------------- chats and limits

DAY = (2024, 5, 6)


def test_chatting_in_max_concurrency(impl):
    t = lambda h, m, s=0: at(DAY, h, m, s)
    s = Stream()
    s.state(5, t(9, 0), "ONLINE").limit(5, t(9, 0), 2)
    s.start(5, t(10, 1), "a")
    s.start(5, t(10, 2), "b")  # 2 chats, limit 2: max concurrency
    s.state(5, t(10, 3), "BACK_SOON")  # still 2 of 2, now in Back in 5
    s.end(5, t(10, 4), "a")  # 1 of 2
    s.limit(5, t(10, 5), 1)  # 1 of 1: max concurrency
    s.limit(5, t(10, 6), 0)  # no limit: never max concurrency
    s.start(5, t(10, 7), "c").limit(5, t(10, 7), 1)  # 2 chats over a limit of 1: max
    s.state(5, t(10, 8), "OFFLINE")  # ends b and c
    s.state(5, t(10, 9), "ONLINE")  # no chats; limit 1 kept but 0 chats
    payload = run(impl, s, q(10, to=t(10, 10)), t(12, 0))
    expected = {
        "agentsMetrics": metrics(
            {
                "5": four(
                    online=v(240, 120, 120, 60),  # 10:00-10:03 and 10:09-10:10
                    back=v(300, 300, 0, 180),  # 10:03-10:08
                    logged=v(540, 420, 120, 240),
                )
            }
        )
    }
    assert_same_payload(payload, expected)


def test_chats_across_logins(impl):
    t = lambda h, m, s=0: at(DAY, h, m, s)
    s = Stream()
    s.start(6, t(10, 0, 30), "x")  # started while logged out (before any other event)
    s.limit(6, t(10, 1), 1)
    s.state(6, t(10, 2), "ONLINE")  # logs in with 1 chat of 1: chatting at max
    s.state(6, t(10, 4), "OFFLINE")  # logout ends chat x
    s.state(6, t(10, 5), "ONLINE")  # no chats now
    s.end(6, t(10, 6), "x")  # unknown chat: no-op
    s.start(6, t(10, 6), "y").start(6, t(10, 6, 30), "y")  # second start: no-op
    s.end(6, t(10, 7), "y")
    s.state(6, t(10, 8), "OFFLINE")
    payload = run(impl, s, q(10, to=t(10, 10)), t(10, 10))
    expected = {
        "agentsMetrics": metrics(
            {"6": four(online=v(300, 180, 120, 180), logged=v(300, 180, 120, 180))}
        )
    }
    assert_same_payload(payload, expected)


# --------------------------------------------------------------------------- rounding and listing


def test_each_figure_is_floored_on_its_own(impl):
    t0 = at(DAY, 10, 0)
    s = Stream()
    s.state(1, t0, "ONLINE")
    s.state(1, t0 + 999, "BACK_SOON")
    s.state(1, t0 + 1998, "AWAY", "r")
    s.state(1, t0 + 2997, "OFFLINE")  # 999 ms in each state, 2997 ms logged in
    s.state(2, t0, "ONLINE").start(2, t0 + 850, "c").state(2, t0 + 1700, "OFFLINE")
    s.state(3, t0 + 5000, "ONLINE").state(3, t0 + 5001, "OFFLINE")  # 1 ms
    payload = run(impl, s, q(5, to=at(DAY, 10, 5)), at(DAY, 11, 0))
    expected = {
        "agentsMetrics": metrics(
            {
                "1": four(reasons=[("r", Z)], logged=v(2, 0, 2, 0)),
                # 1700 ms, 850 of it chatting: 1 s total, 0 s chatting, 0 s not chatting
                "2": four(online=v(1, 0, 0, 0), logged=v(1, 0, 0, 0)),
                "3": four(),  # logged in 1 ms: listed, all figures 0
            }
        )
    }
    assert_same_payload(payload, expected)


def test_agent_logged_in_0_ms_is_absent(impl):
    t = lambda h, m, s=0: at(DAY, h, m, s)
    s = Stream()
    s.state(1, t(9, 0), "ONLINE").state(1, t(10, 0), "OFFLINE")  # logs out exactly at S
    s.state(2, t(10, 5), "ONLINE")  # logs in exactly at E
    s.state(3, t(10, 2), "ONLINE").state(3, t(10, 2), "OFFLINE")  # same ms: 0 ms
    s.start(4, t(10, 1), "c").limit(4, t(10, 1), 1)  # events, but never logged in
    s.state(5, t(10, 3), "ONLINE")  # listed only where logged in
    query = q(5, interval=5, to=t(10, 5), totals=True)
    payload = run(impl, s, query, t(10, 5))
    only_5 = metrics(
        {"5": four(online=v(120, 0, 120, 0), logged=v(120, 0, 120, 0))},
        four(online=v(120, 0, 120, 0), logged=v(120, 0, 120, 0)),
    )
    assert_same_payload(payload, by_intervals([(t(10, 5), only_5)], only_5))


def test_same_ms_ties_follow_arrival_order(impl):
    t = lambda h, m, s=0: at(DAY, h, m, s)
    s = Stream()
    s.state(1, t(10, 2), "OFFLINE")  # arrives first: applied first at 10:02
    s.state(1, t(10, 2), "ONLINE")  # then logged in from 10:02
    s.state(1, t(10, 1), "ONLINE")  # arrives late, earlier in time
    payload = run(impl, s, q(5, to=t(10, 5)), t(10, 5))
    expected = {
        "agentsMetrics": metrics({"1": four(online=v(240, 0, 240, 0), logged=v(240, 0, 240, 0))})
    }
    assert_same_payload(payload, expected)


def test_explicit_ids_with_no_data(impl):
    t = lambda h, m, s=0: at(DAY, h, m, s)
    s = Stream().state(5, t(9, 0), "ONLINE").state(5, t(9, 30), "OFFLINE")
    s.state(6, t(9, 0), "ONLINE")  # logged in, but not asked for
    payload = run(impl, s, q(10, agent_ids=(5, 99), to=t(10, 10), totals=True), t(10, 10))
    assert_same_payload(payload, {"agentsMetrics": metrics({}, four())})
    payload = impl.agent_activity(ACCOUNT, q(10, agent_ids=(5, 99), to=t(10, 10)), t(10, 10))
    assert_same_payload(payload, {"agentsMetrics": metrics({})})


# --------------------------------------------------------------------------- order and totals


def test_key_and_reason_order(impl):
    t = lambda h, m, s=0: at(DAY, h, m, s)
    s = Stream()
    for agent in (2**63 - 1, 100, 10, 9):
        s.state(agent, t(9, 0), "ONLINE")
    s.state(9, t(10, 0), "AWAY", "9")
    s.state(9, t(10, 1), "AWAY", "10")  # 60 s each for "9" and "10": tie broken by id as string
    s.state(9, t(10, 2), "AWAY", "z")  # 120 s: first
    s.state(9, t(10, 4), "AWAY")  # reasonless 60 s: Away only
    payload = run(impl, s, q(5, to=t(10, 5)), t(10, 5))
    per_agent = payload["agentsMetrics"]["metricsPerAgent"]
    assert list(per_agent) == ["9", "10", "100", "9223372036854775807"]
    away = per_agent["9"][2]
    assert list(away) == ["reasons", "id", "name", "value"]
    assert away["reasons"] == [
        {"id": "z", "value": v(120, 0, 120, 0)},
        {"id": "10", "value": v(60, 0, 60, 0)},
        {"id": "9", "value": v(60, 0, 60, 0)},
    ]
    assert away["value"] == v(300, 0, 300, 0)
    assert per_agent["9"][0]["value"] == Z
    for agent in ("10", "100", "9223372036854775807"):
        assert per_agent[agent] == four(online=v(300, 0, 300, 0), logged=v(300, 0, 300, 0))


def test_totals_sum_ms_of_listed_agents_per_scope(impl):
    t = lambda h, m, s=0, ms=0: at(DAY, h, m, s, ms)
    s = Stream()
    # agents 1 and 2: 1.5 s Online each in the newest interval (1 s each, 3 s summed)
    s.state(1, t(10, 6), "ONLINE").state(1, t(10, 6, 1, 500), "OFFLINE")
    s.state(2, t(10, 7), "ONLINE").state(2, t(10, 7, 1, 500), "OFFLINE")
    # agent 3: Away under reason "r" 90 s in the older interval, 30 s in the newer one
    s.state(3, t(10, 3, 30), "AWAY", "r").state(3, t(10, 5, 30), "AWAY", "q")
    s.state(3, t(10, 6, 30), "OFFLINE")
    # agent 4: Away under reason "q" 60 s in the newer interval
    s.state(4, t(10, 8), "AWAY", "q").start(4, t(10, 8, 30), "c").state(4, t(10, 9), "OFFLINE")
    payload = run(impl, s, q(10, interval=5, to=t(10, 10), totals=True), t(10, 10))
    newer_1_2 = four(online=v(1, 0, 1, 0), logged=v(1, 0, 1, 0))
    newer_4 = four(
        away=v(60, 30, 30, 0), reasons=[("q", v(60, 30, 30, 0))], logged=v(60, 30, 30, 0)
    )
    newer = metrics(
        {
            "1": newer_1_2,
            "2": newer_1_2,
            "3": four(
                away=v(90, 0, 90, 0),
                reasons=[("q", v(60, 0, 60, 0)), ("r", v(30, 0, 30, 0))],
                logged=v(90, 0, 90, 0),
            ),
            "4": newer_4,
        },
        four(
            online=v(3, 0, 3, 0),
            away=v(150, 30, 120, 0),
            reasons=[("q", v(120, 30, 90, 0)), ("r", v(30, 0, 30, 0))],
            logged=v(153, 30, 123, 0),
        ),
    )
    older_3 = four(away=v(90, 0, 90, 0), reasons=[("r", v(90, 0, 90, 0))], logged=v(90, 0, 90, 0))
    older = metrics({"3": older_3}, older_3)
    whole = metrics(
        {
            "1": newer_1_2,
            "2": newer_1_2,
            "3": four(
                away=v(180, 0, 180, 0),
                reasons=[("r", v(120, 0, 120, 0)), ("q", v(60, 0, 60, 0))],
                logged=v(180, 0, 180, 0),
            ),
            "4": newer_4,
        },
        four(
            online=v(3, 0, 3, 0),
            away=v(240, 30, 210, 0),
            # q and r both 120 s: tie broken by id as string
            reasons=[("q", v(120, 30, 90, 0)), ("r", v(120, 0, 120, 0))],
            logged=v(243, 30, 213, 0),
        ),
    )
    assert_same_payload(payload, by_intervals([(t(10, 10), newer), (t(10, 5), older)], whole))


def test_payload_holds_plain_json_types(impl):
    payload = run(impl, interval_example_stream(), q(120, interval=60, totals=True), E_1446)
    assert reference.json_types_ok(payload)
