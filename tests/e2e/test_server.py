"""A real `agentactivity serve` process, used the way clients in the field use it:
`requests` + `requests_oauthlib.OAuth1` over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e import timeline as tl
from tests.e2e.conftest import (
    ACCOUNT,
    OTHER_ACCOUNT,
    Server,
    activity_url,
    create_keys,
    events_url,
    now_ms,
    oauth,
    sqlite_url,
)

pytestmark = pytest.mark.e2e

V1 = {"timeframe": 60, "agentIds": "all", "v": 1}


@pytest.fixture(scope="module")
def keys(server: Server) -> dict[str, Any]:
    return create_keys(server.db_url, ACCOUNT, cwd=server.workdir)


@pytest.fixture(scope="module")
def ingested(server: Server, keys: dict[str, Any]) -> tuple[tl.Timeline, int]:
    """The hand-made timeline, ingested; and a `to` just after the ingest."""
    timeline = tl.build(now_ms() - 1000)
    tl.ingest(server.base_url, ACCOUNT, oauth(keys), timeline.events)
    return timeline, now_ms()


def get(
    server: Server,
    keys: dict[str, Any],
    params: dict[str, Any],
    account: str = ACCOUNT,
    **oauth_kw: Any,
) -> requests.Response:
    return requests.get(
        activity_url(server.base_url, account),
        params=params,
        auth=oauth(keys, **oauth_kw),
        timeout=10,
    )


def ok(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def assert_error(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["message"], body
    return body


def test_discovery_answers_without_authentication(server: Server) -> None:
    url = f"{server.base_url}/api/account/{ACCOUNT}/service/leDataReporting/baseURI.json"
    answer = requests.get(url, params={"version": "1.0"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "service": "leDataReporting",
        "account": ACCOUNT,
        "baseURI": f"127.0.0.1:{server.port}",
    }
    other = requests.get(url.replace("leDataReporting", "noSuchService"), timeout=10)
    assert_error(other, 404)


def test_figures_are_what_the_timeline_implies(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    answer = ok(get(server, keys, {**V1, "to": to}))
    expected = tl.expected_response(timeline, to, 60)
    assert answer == expected
    # Keys in ascending numeric order (99 before 1001); C (1003) was not logged in within.
    assert list(answer["agentsMetrics"]["metricsPerAgent"]) == [tl.D, tl.A, tl.B, tl.E]
    # A few figures spelled out, straight from the timestamps of the timeline.
    a = answer["agentsMetrics"]["metricsPerAgent"][tl.A]
    assert a[0]["value"] == {
        "total": 1500,
        "chatting": 600,
        "notChatting": 900,
        "chattingInMaxConcurrency": 600,
    }
    away_ms = to - (timeline.base - 5 * tl.MIN)
    assert a[2]["value"]["total"] == away_ms // 1000
    assert a[2]["reasons"] == [{"id": tl.LUNCH, "value": a[2]["value"]}]
    assert a[3]["value"]["total"] == (to - (timeline.base - 30 * tl.MIN)) // 1000
    b = answer["agentsMetrics"]["metricsPerAgent"][tl.B]
    assert [e["value"]["total"] for e in b] == [1200, 900, 180, 2280]
    assert b[2]["reasons"] == []  # Away without a reason counts in Away only
    assert b[3]["value"]["chattingInMaxConcurrency"] == 0  # no limit, never at max
    d_away = answer["agentsMetrics"]["metricsPerAgent"][tl.D][2]
    assert [r["id"] for r in d_away["reasons"]] == [tl.MEETING, tl.LUNCH]  # 300 s > 120 s
    assert d_away["reasons"][0]["value"]["chatting"] == 180  # the chat went on into the meeting


def test_post_with_json_body_gives_the_same_figures_as_get(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int]
) -> None:
    _, to = ingested
    by_get = ok(get(server, keys, {**V1, "to": to}))
    by_post = ok(
        requests.post(
            activity_url(server.base_url, ACCOUNT),
            json={
                "timeframe": 60,
                "agentIds": "all",
                "v": 1,
                "to": to,
                "interval": None,
                "unknownField": "ignored",
            },
            auth=oauth(keys),
            timeout=10,
        )
    )
    by_post_strings = ok(
        requests.post(
            activity_url(server.base_url, ACCOUNT),
            json={"timeframe": "60", "agentIds": "all", "v": "1", "to": str(to)},
            auth=oauth(keys),
            timeout=10,
        )
    )
    assert by_get == by_post == by_post_strings


def test_query_without_to_follows_the_real_clock(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, _ = ingested
    before = now_ms()
    by_get = ok(get(server, keys, V1))
    by_post = ok(
        requests.post(activity_url(server.base_url, ACCOUNT), json=V1, auth=oauth(keys), timeout=10)
    )
    after = now_ms()
    lo = tl.expected_response(timeline, before, 60)
    hi = tl.expected_response(timeline, after, 60)
    tl.assert_between(by_get, lo, hi)
    tl.assert_between(by_post, lo, hi)


def test_v2_wraps_the_same_payload(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    v1 = ok(get(server, keys, {**V1, "to": to}))
    v2 = ok(get(server, keys, {**V1, "v": 2, "to": to}))
    assert v2 == {"meta": {"responseCode": 200}, "body": v1}
    v2_intervals = ok(get(server, keys, {**V1, "v": 2, "to": to, "interval": 15}))
    assert v2_intervals == tl.expected_response(timeline, to, 60, interval=15, v=2)
    # Errors are never wrapped.
    body = assert_error(get(server, keys, {**V1, "v": 2, "interval": 31}), 400)
    assert "meta" not in body and "interval" in body["message"]


@pytest.mark.parametrize("interval", [15, 60])
def test_intervals_newest_first_and_whole_window(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int], interval: int
) -> None:
    timeline, to = ingested
    answer = ok(get(server, keys, {**V1, "to": to, "interval": interval}))
    assert answer == tl.expected_response(timeline, to, 60, interval=interval)
    stamps = [i["timestamp"] for i in answer["metricsByIntervals"]]
    assert stamps == sorted(stamps, reverse=True) and stamps[0] % 300_000 == 0


def test_explicit_agent_list(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    answer = ok(get(server, keys, {**V1, "to": to, "agentIds": f" {tl.A}, {tl.C},{tl.A} ,{tl.E}"}))
    assert answer == tl.expected_response(timeline, to, 60, agent_ids={tl.A, tl.C, tl.E})
    assert list(answer["agentsMetrics"]["metricsPerAgent"]) == [tl.A, tl.E]


def test_hmac_sha256_signatures_are_accepted(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    answer = ok(get(server, keys, {**V1, "to": to}, signature_method="HMAC-SHA256"))
    assert answer == tl.expected_response(timeline, to, 60)


def test_bad_or_missing_signature_is_401(server: Server, keys: dict[str, Any]) -> None:
    assert_error(get(server, keys, V1, appSecret="0" * 40), 401)
    assert_error(get(server, keys, V1, accessTokenSecret="0" * 40), 401)
    assert_error(get(server, keys, V1, appSecret="0" * 40, signature_method="HMAC-SHA256"), 401)
    assert_error(requests.get(activity_url(server.base_url, ACCOUNT), params=V1, timeout=10), 401)
    bad_ingest = requests.post(
        events_url(server.base_url, ACCOUNT),
        json=[],
        auth=oauth(keys, appSecret="0" * 40),
        timeout=10,
    )
    assert_error(bad_ingest, 401)


def test_another_accounts_key_is_403(server: Server, keys: dict[str, Any]) -> None:
    other = create_keys(server.db_url, OTHER_ACCOUNT, cwd=server.workdir)
    assert_error(get(server, other, V1), 403)
    ingest = requests.post(
        events_url(server.base_url, ACCOUNT),
        auth=oauth(other),
        timeout=10,
        json=[{"type": "state", "agentId": "5", "time": now_ms() - 1000, "state": "ONLINE"}],
    )
    assert_error(ingest, 403)
    # ...while it works on its own account, which sees none of the other account's data.
    assert ok(get(server, other, V1, account=OTHER_ACCOUNT)) == {
        "agentsMetrics": {"metricsPerAgent": {}, "metricsTotals": []}
    }
    # ...and the first account's key is refused on the other account.
    assert_error(get(server, keys, V1, account=OTHER_ACCOUNT), 403)


def test_read_only_key_cannot_ingest(server: Server, ingested: tuple[tl.Timeline, int]) -> None:
    reader = create_keys(server.db_url, ACCOUNT, "read", cwd=server.workdir)
    assert reader["scopes"] == ["read"]
    event = {"type": "state", "agentId": "4242", "time": now_ms() - 60_000, "state": "ONLINE"}
    answer = requests.post(
        events_url(server.base_url, ACCOUNT), json=[event], auth=oauth(reader), timeout=10
    )
    body = assert_error(answer, 403)
    assert "ingest" in body["message"]
    # It can read, and the refused event was not stored.
    assert "4242" not in ok(get(server, reader, V1))["agentsMetrics"]["metricsPerAgent"]
    # An ingest-only key cannot read.
    writer = create_keys(server.db_url, ACCOUNT, "ingest", cwd=server.workdir)
    assert_error(get(server, writer, V1), 403)


def test_key_created_while_serving_works_at_once(
    server: Server, ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    fresh = create_keys(server.db_url, ACCOUNT, cwd=server.workdir)
    answer = ok(get(server, fresh, {**V1, "to": to}))
    assert answer == tl.expected_response(timeline, to, 60)


def test_retried_batch_is_all_duplicates(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    answer = ok(
        requests.post(
            events_url(server.base_url, ACCOUNT), json=timeline.events, auth=oauth(keys), timeout=10
        )
    )
    assert answer == {"accepted": 0, "duplicates": len(timeline.events)}
    assert ok(get(server, keys, {**V1, "to": to})) == tl.expected_response(timeline, to, 60)


def test_invalid_batch_is_refused_whole(
    server: Server, keys: dict[str, Any], ingested: tuple[tl.Timeline, int]
) -> None:
    now = now_ms()
    batch = [
        {"type": "state", "agentId": "777", "time": now - 120_000, "state": "ONLINE"},
        {"type": "state", "agentId": "777", "time": now - 60_000, "state": "SLEEPING"},
        {"type": "chat_start", "agentId": "777", "time": now + 3_600_000, "chatId": "x"},
    ]
    answer = requests.post(
        events_url(server.base_url, ACCOUNT), json=batch, auth=oauth(keys), timeout=10
    )
    body = assert_error(answer, 400)
    assert [d["index"] for d in body["details"]] == [1, 2]
    listed = ok(get(server, keys, V1))["agentsMetrics"]["metricsPerAgent"]
    assert "777" not in listed


def test_restart_rebuilds_the_same_figures_from_the_store(
    server_factory: Any, tmp_path: Path
) -> None:
    db = sqlite_url(tmp_path / "restart.db")
    first = server_factory(db)
    keys = create_keys(db, ACCOUNT, cwd=tmp_path)
    timeline = tl.build(now_ms() - 1000)
    tl.ingest(first.base_url, ACCOUNT, oauth(keys), timeline.events)
    to = now_ms()
    params = {**V1, "to": to, "interval": 15}
    before = ok(get(first, keys, params))
    assert before == tl.expected_response(timeline, to, 60, interval=15)

    assert first.stop(), "the server did not stop on SIGTERM"
    second = server_factory(db)
    assert ok(get(second, keys, params)) == before
    # The content-derived event ids survived too: a retried batch is all duplicates.
    retry = ok(
        requests.post(
            events_url(second.base_url, ACCOUNT), json=timeline.events, auth=oauth(keys), timeout=10
        )
    )
    assert retry == {"accepted": 0, "duplicates": len(timeline.events)}

    # A 200 means durable even if the process dies right after answering. (The event is
    # after `to`, so the figures above stay the same.)
    late = {"type": "state", "agentId": "31337", "time": to + 1, "state": "ONLINE"}
    assert ok(
        requests.post(
            events_url(second.base_url, ACCOUNT), json=[late], auth=oauth(keys), timeout=10
        )
    ) == {"accepted": 1, "duplicates": 0}
    second.crash()
    third = server_factory(db)
    to2 = now_ms()
    after = ok(get(third, keys, {**V1, "to": to2}))["agentsMetrics"]["metricsPerAgent"]
    assert after["31337"][3]["value"]["total"] == (to2 - late["time"]) // 1000
    assert ok(get(third, keys, params)) == before
