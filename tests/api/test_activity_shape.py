"""SPEC section 3 "Shape" through HTTP: v=2 wrapping, intervals, totals, ordering, `to`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import (
    ACTIVITY,
    HOUR,
    MINUTE,
    activity,
    assert_error,
    entry,
    ingest,
    per_agent,
    state,
)
from tests.conftest import FakeClock

ZERO = {"total": 0, "chatting": 0, "notChatting": 0, "chattingInMaxConcurrency": 0}
BUCKET = 5 * MINUTE


def _seconds(total: int) -> dict[str, int]:
    return {"total": total, "chatting": 0, "notChatting": total, "chattingInMaxConcurrency": 0}


def _check_entries(entries: list[dict[str, Any]]) -> None:
    assert [e["id"] for e in entries] == [2, 3, 4, -1]
    assert [e["name"] for e in entries] == ["Online", "Back in 5", "Away", "Logged in"]
    assert "reasons" in entries[2] and "reasons" not in entries[0]
    for e in entries:
        assert set(e["value"]) == set(ZERO)


# --- v=2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [{}, {"interval": "15"}, {"totals": "true"}])
def test_v2_wraps_the_v1_payload(client, clock: FakeClock, extra):
    ingest(client, [state(7, clock.now - HOUR, "ONLINE")])
    v1 = activity(client, timeframe=60, v=1, **extra)
    v2 = activity(client, timeframe=60, v=2, **extra)
    assert v2 == {"meta": {"responseCode": 200}, "body": v1}


def test_v2_post_is_wrapped_too(client, clock: FakeClock):
    ingest(client, [state(7, clock.now - HOUR, "ONLINE")])
    answer = client.post(ACTIVITY, json={"timeframe": 60, "agentIds": "all", "v": 2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["meta"] == {"responseCode": 200}
    assert list(per_agent(body["body"])) == ["7"]


@pytest.mark.parametrize(
    "params",
    [
        {"timeframe": "0", "agentIds": "all", "v": "2"},
        {"timeframe": "60", "agentIds": "all", "v": "2", "interval": "31"},
        {"timeframe": "60", "agentIds": "x", "v": "2"},
    ],
)
def test_v2_errors_are_not_wrapped(client, params):
    body = assert_error(client.get(ACTIVITY, params=params), 400)
    assert set(body) <= {"status", "error", "message", "details"}
    assert_error(client.post(ACTIVITY, json=params), 400)


def test_v2_auth_errors_are_not_wrapped(client):
    params = {"timeframe": "60", "agentIds": "all", "v": "2"}
    answer = client.get(ACTIVITY, params=params, auth=None)
    body = assert_error(answer, 401)
    assert "meta" not in body


# --- intervals ------------------------------------------------------------------------------


def test_intervals_newest_first_with_unclipped_ends(client, clock: FakeClock):
    now = clock.now
    assert now % BUCKET != 0
    ingest(client, [state(7, now - 3 * HOUR, "ONLINE")])
    body = activity(client, timeframe=60, interval=15)
    assert list(body) == ["metricsByIntervals", "agentsMetrics"]
    r = now - now % BUCKET + BUCKET
    start = now - HOUR
    intervals = body["metricsByIntervals"]
    stamps = [i["timestamp"] for i in intervals]
    assert stamps == [r, r - 15 * MINUTE, r - 30 * MINUTE, r - 45 * MINUTE, r - 60 * MINUTE]
    expected_ms = [min(hi, now) - max(hi - 15 * MINUTE, start) for hi in stamps]
    assert sum(expected_ms) == HOUR
    for item, ms in zip(intervals, expected_ms):
        assert set(item) == {"timestamp", "metricsData"}
        metrics = item["metricsData"]["agentsMetrics"]
        assert metrics["metricsTotals"] == []
        agent = metrics["metricsPerAgent"]["7"]
        _check_entries(agent)
        assert entry(agent, 2)["value"] == _seconds(ms // 1000)
        assert entry(agent, -1)["value"] == _seconds(ms // 1000)
    # The trailing whole-window figures come from ms, not from the rounded intervals.
    assert sum(ms // 1000 for ms in expected_ms) == 3599
    whole = per_agent(body)["7"]
    assert entry(whole, 2)["value"] == _seconds(3600)
    assert body["agentsMetrics"]["metricsTotals"] == []


def test_interval_with_window_end_on_a_boundary(client, clock: FakeClock):
    clock.now = clock.now - clock.now % BUCKET  # E is a multiple of 5 minutes: R = E
    now = clock.now
    ingest(client, [state(7, now - 3 * HOUR, "AWAY", "r1")])
    body = activity(client, timeframe=60, interval=30)
    stamps = [i["timestamp"] for i in body["metricsByIntervals"]]
    assert stamps == [now, now - 30 * MINUTE]
    for item in body["metricsByIntervals"]:
        agent = item["metricsData"]["agentsMetrics"]["metricsPerAgent"]["7"]
        assert entry(agent, 4)["value"] == _seconds(1800)
        assert entry(agent, 4)["reasons"] == [{"id": "r1", "value": _seconds(1800)}]


def test_reference_worked_example(client, clock: FakeClock):
    # E = 14:46:08 UTC, timeframe 120, interval 60: intervals end 14:50, 13:50, 12:50 and last
    # 3368 s, 3600 s and 232 s.
    day = clock.now - clock.now % (24 * HOUR)
    e = day - 24 * HOUR + 14 * HOUR + 46 * MINUTE + 8_000
    clock.now = e + 1  # `to` is strictly in the past, well inside the retention
    ingest(client, [state(7, e - 5 * HOUR, "ONLINE")])
    body = activity(client, timeframe=120, interval=60, to=e)
    stamps = [i["timestamp"] for i in body["metricsByIntervals"]]
    r = day - 24 * HOUR + 14 * HOUR + 50 * MINUTE
    assert stamps == [r, r - HOUR, r - 2 * HOUR]
    totals = [
        entry(i["metricsData"]["agentsMetrics"]["metricsPerAgent"]["7"], -1)["value"]["total"]
        for i in body["metricsByIntervals"]
    ]
    assert totals == [3368, 3600, 232]
    assert entry(per_agent(body)["7"], -1)["value"]["total"] == 7200


def test_agents_appear_only_in_intervals_where_they_were_logged_in(client, clock: FakeClock):
    clock.now = clock.now - clock.now % BUCKET
    now = clock.now
    ingest(
        client,
        [
            state(7, now - 50 * MINUTE, "ONLINE"),
            state(7, now - 40 * MINUTE, "OFFLINE"),
            state(8, now - 10 * MINUTE, "BACK_SOON"),
        ],
    )
    body = activity(client, timeframe=60, interval=20)
    listed = [
        list(i["metricsData"]["agentsMetrics"]["metricsPerAgent"])
        for i in body["metricsByIntervals"]
    ]
    assert listed == [["8"], [], ["7"]]
    assert list(per_agent(body)) == ["7", "8"]


# --- totals ---------------------------------------------------------------------------------


def test_totals_sum_the_listed_agents(client, clock: FakeClock):
    now = clock.now
    ingest(
        client,
        [
            state(7, now - 2 * HOUR, "ONLINE"),
            state(8, now - 30 * MINUTE, "AWAY", "lunch"),
            state(9, now - 20 * MINUTE, "AWAY", "meeting"),
            state(10, now - 10 * MINUTE, "AWAY", "lunch"),
        ],
    )
    body = activity(client, timeframe=60, totals="true")
    totals = body["agentsMetrics"]["metricsTotals"]
    _check_entries(totals)
    assert entry(totals, 2)["value"] == _seconds(3600)
    assert entry(totals, 3)["value"] == ZERO
    assert entry(totals, 4)["value"] == _seconds(3600)
    assert entry(totals, 4)["reasons"] == [
        {"id": "lunch", "value": _seconds(2400)},
        {"id": "meeting", "value": _seconds(1200)},
    ]
    assert entry(totals, -1)["value"] == _seconds(7200)
    # With an id list, only the listed agents are summed.
    body = activity(client, timeframe=60, totals="true", agentIds="8,9")
    totals = body["agentsMetrics"]["metricsTotals"]
    assert entry(totals, 2)["value"] == ZERO
    assert entry(totals, -1)["value"] == _seconds(3000)
    assert [r["id"] for r in entry(totals, 4)["reasons"]] == ["lunch", "meeting"]


def test_totals_in_every_interval(client, clock: FakeClock):
    clock.now = clock.now - clock.now % BUCKET
    now = clock.now
    ingest(client, [state(7, now - 45 * MINUTE, "ONLINE"), state(8, now - 10 * MINUTE, "ONLINE")])
    body = activity(client, timeframe=60, interval=30, totals="true")
    newest, oldest = body["metricsByIntervals"]
    newest_totals = newest["metricsData"]["agentsMetrics"]["metricsTotals"]
    oldest_totals = oldest["metricsData"]["agentsMetrics"]["metricsTotals"]
    assert entry(newest_totals, 2)["value"] == _seconds(2400)
    assert entry(oldest_totals, 2)["value"] == _seconds(900)
    assert entry(body["agentsMetrics"]["metricsTotals"], 2)["value"] == _seconds(3300)


def test_totals_all_zero_when_nobody_is_listed(client, clock: FakeClock):
    ingest(client, [state(7, clock.now - HOUR, "ONLINE")])
    for params in ({"agentIds": "555"}, {"agentIds": "all", "to": clock.now - 2 * HOUR}):
        body = activity(client, timeframe=30, totals="true", interval=15, **params)
        for metrics in [body["agentsMetrics"]] + [
            i["metricsData"]["agentsMetrics"] for i in body["metricsByIntervals"]
        ]:
            assert metrics["metricsPerAgent"] == {}
            totals = metrics["metricsTotals"]
            _check_entries(totals)
            assert [e["value"] for e in totals] == [ZERO] * 4
            assert totals[2]["reasons"] == []


def test_totals_empty_list_otherwise(client, clock: FakeClock):
    ingest(client, [state(7, clock.now - HOUR, "ONLINE")])
    for params in ({}, {"totals": "false"}):
        body = activity(client, timeframe=60, interval=30, **params)
        assert body["agentsMetrics"]["metricsTotals"] == []
        assert all(
            i["metricsData"]["agentsMetrics"]["metricsTotals"] == []
            for i in body["metricsByIntervals"]
        )


# --- listing ------------------------------------------------------------------------------


def test_agents_in_ascending_numeric_order(client, clock: FakeClock):
    now = clock.now
    ingest(
        client,
        [
            state(100, now - HOUR, "ONLINE"),
            state(9, now - HOUR, "ONLINE"),
            state(10, now - HOUR, "AWAY"),
            state(2**63 - 1, now - HOUR, "ONLINE"),
            state(1000000000000, now - HOUR, "BACK_SOON"),
        ],
    )
    expected = ["9", "10", "100", "1000000000000", str(2**63 - 1)]
    assert list(per_agent(activity(client, timeframe=60))) == expected
    body = activity(client, timeframe=60, interval=30)
    for item in body["metricsByIntervals"]:
        assert list(item["metricsData"]["agentsMetrics"]["metricsPerAgent"]) == expected
    listed = per_agent(activity(client, timeframe=60, agentIds="100,10,9"))
    assert list(listed) == ["9", "10", "100"]


def test_explicit_id_list_restricts_the_listing(client, clock: FakeClock):
    now = clock.now
    ingest(client, [state(a, now - HOUR, "ONLINE") for a in (7, 8, 9, 10)])
    assert list(per_agent(activity(client, timeframe=60, agentIds="10,8"))) == ["8", "10"]
    assert list(per_agent(activity(client, timeframe=60, agentIds="8,8, 8"))) == ["8"]
    # Ids that never logged in are not listed.
    assert list(per_agent(activity(client, timeframe=60, agentIds="9,11,12"))) == ["9"]
    assert per_agent(activity(client, timeframe=60, agentIds="11")) == {}


def test_agent_logged_out_all_window_is_not_listed(client, clock: FakeClock):
    now = clock.now
    ingest(
        client,
        [
            state(7, now - 3 * HOUR, "ONLINE"),
            state(7, now - 2 * HOUR, "OFFLINE"),
            state(8, now - HOUR, "ONLINE"),
        ],
    )
    assert list(per_agent(activity(client, timeframe=60))) == ["8"]
    assert list(per_agent(activity(client, timeframe=180))) == ["7", "8"]


# --- `to` -----------------------------------------------------------------------------------


def test_to_answers_history_unchanged_by_later_events(client, clock: FakeClock):
    now = clock.now
    ingest(client, [state(7, now - 3 * HOUR, "ONLINE"), state(8, now - 2 * HOUR, "AWAY", "r")])
    to = now - HOUR
    params: dict[str, Any] = {"timeframe": 120, "to": to, "interval": 30, "totals": "true"}
    before = activity(client, **params)
    assert list(per_agent(before)) == ["7", "8"]
    assert entry(per_agent(before)["7"], -1)["value"]["total"] == 7200
    assert entry(per_agent(before)["8"], 4)["value"]["total"] == 3600

    # Everything after `to` (and exactly at it) changes nothing in that answer.
    ingest(
        client,
        [
            state(7, to, "OFFLINE"),
            state(8, to + MINUTE, "ONLINE"),
            state(9, to + 10 * MINUTE, "ONLINE"),
            {"type": "max_chats", "agentId": "7", "time": now - 30 * MINUTE, "maxChats": 1},
            {"type": "chat_start", "agentId": "7", "time": now - 20 * MINUTE, "chatId": "c"},
        ],
    )
    assert activity(client, **params) == before
    # ... while the present answer sees them.
    now_body = activity(client, timeframe=60)
    assert list(per_agent(now_body)) == ["8", "9"]

    # An event before `to` does change it.
    ingest(client, [state(7, to - 30 * MINUTE, "BACK_SOON")])
    after = activity(client, **params)
    assert after != before
    assert entry(per_agent(after)["7"], 3)["value"]["total"] == 1800


def test_to_window_end_is_the_to(client, clock: FakeClock):
    now = clock.now
    ingest(client, [state(7, now - 3 * HOUR, "ONLINE"), state(7, now - 2 * HOUR, "OFFLINE")])
    body = activity(client, timeframe=60, to=now - HOUR + 10 * MINUTE)
    assert per_agent(body) == {}
    body = activity(client, timeframe=60, to=now - 2 * HOUR)
    assert entry(per_agent(body)["7"], 2)["value"] == _seconds(3600)
    body = activity(client, timeframe=60, to=now - 2 * HOUR + 30 * MINUTE)
    assert entry(per_agent(body)["7"], 2)["value"] == _seconds(1800)


# --- Away reasons ---------------------------------------------------------------------------


def test_reasons_ordered_by_ms_then_by_id_as_strings(client, clock: FakeClock):
    clock.now = clock.now - clock.now % BUCKET
    now = clock.now
    t = now - HOUR
    ingest(
        client,
        [
            # Agent 7: "b" and "a" 10 min each (tie: by id), "9" and "10" 5 min each ("10" < "9"),
            # "y" 600.9 s and "x" 600.5 s (both shown as 600 s, but y has more ms).
            state(7, t, "AWAY", "b"),
            state(7, t + 10 * MINUTE, "AWAY", "a"),
            state(7, t + 20 * MINUTE, "AWAY", "9"),
            state(7, t + 25 * MINUTE, "AWAY", "10"),
            state(7, t + 30 * MINUTE, "AWAY", "x"),
            state(7, t + 30 * MINUTE + 600_500, "AWAY", "y"),
            state(7, t + 30 * MINUTE + 600_500 + 600_900, "AWAY"),  # Away, no reason
            state(7, t + 55 * MINUTE, "OFFLINE"),
        ],
    )
    away = entry(per_agent(activity(client, timeframe=60))["7"], 4)
    assert [r["id"] for r in away["reasons"]] == ["y", "x", "a", "b", "10", "9"]
    assert [r["value"]["total"] for r in away["reasons"]] == [600, 600, 600, 600, 300, 300]
    # Away without a reason counts in Away only: 55 min in all.
    assert away["value"]["total"] == 3300
    assert entry(per_agent(activity(client, timeframe=60))["7"], -1)["value"]["total"] == 3300


def test_reasons_only_with_time_in_the_scope(client, clock: FakeClock):
    clock.now = clock.now - clock.now % BUCKET
    now = clock.now
    ingest(
        client,
        [state(7, now - 50 * MINUTE, "AWAY", "early"), state(7, now - 40 * MINUTE, "AWAY", "late")],
    )
    body = activity(client, timeframe=60, interval=30)
    newest, oldest = [
        i["metricsData"]["agentsMetrics"]["metricsPerAgent"]["7"]
        for i in body["metricsByIntervals"]
    ]
    assert [r["id"] for r in entry(newest, 4)["reasons"]] == ["late"]
    assert [r["id"] for r in entry(oldest, 4)["reasons"]] == ["early", "late"]
    assert entry(oldest, 4)["reasons"][0]["value"]["total"] == 600
    assert entry(oldest, 4)["reasons"][1]["value"]["total"] == 600
