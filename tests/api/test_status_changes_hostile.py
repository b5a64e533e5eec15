"""Hostile and odd requests to the Status Changes API: each is a 400 in the vendor's
`{"message", "causes"}` shape naming every bad parameter, or a correct answer; never a
500."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from agentactivity.clock import DAY_MS, rfc3339_ms
from agentactivity.service import ActivityService
from tests.api.conftest import ingest, state
from tests.conftest import ACCOUNT, FakeClock

PATH = f"/api/v2/account/{ACCOUNT}/status-changes"


def refused(client: TestClient, params: dict[str, Any], *names: str) -> list[str]:
    """A 400 of the vendor's shape whose causes name each of `names`, one per cause."""
    answer = client.get(PATH, params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"message", "causes"}, body
    causes = body["causes"]
    assert causes and body["message"].endswith(causes[0]), body
    for name in names:
        assert any(cause.startswith(name) for cause in causes), (name, causes)
    return list(causes)


def at(ms: int) -> str:
    return rfc3339_ms(ms)


@pytest.fixture
def now(clock: FakeClock) -> int:
    return clock.now


def test_from_after_to(client: TestClient, now: int) -> None:
    refused(client, {"source": "s", "from": at(now - 1000), "to": at(now - 2000)}, "to")
    refused(client, {"source": "s", "from": at(now - 1000), "to": at(now - 1000)}, "to")


def test_ranges_over_31_days(client: TestClient, now: int) -> None:
    start = now - 40 * DAY_MS
    refused(client, {"source": "s", "from": at(start), "to": at(start + 32 * DAY_MS)}, "to")
    ok = client.get(PATH, params={"source": "s", "from": at(start), "to": at(start + 31 * DAY_MS)})
    assert ok.status_code == 200, ok.text


def test_from_before_the_history_or_in_the_future(
    client: TestClient, service: ActivityService, now: int
) -> None:
    oldest = now - service.settings.history_ms
    refused(client, {"source": "s", "from": at(oldest - 1), "to": at(oldest + DAY_MS)}, "from")
    ok = client.get(PATH, params={"source": "s", "from": at(oldest), "to": at(oldest + 1)})
    assert ok.status_code == 200, ok.text
    refused(client, {"source": "s", "from": at(now + 1000), "to": at(now + 2000)}, "from")


def test_one_of_from_and_to(client: TestClient, now: int) -> None:
    refused(client, {"source": "s", "from": at(now - 1000)}, "to")
    refused(client, {"source": "s", "to": at(now)}, "from")


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2024-05-01",
        "2024-02-30T00:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:00:60Z",
        "2024-05-01T12:00:00",
        "2024-05-01T12:00:00+24:00",
        "1714564800000",
        "٢٠٢٤-05-01T12:00:00Z",
    ],
)
def test_bad_rfc3339(client: TestClient, now: int, value: str) -> None:
    refused(client, {"source": "s", "from": value, "to": at(now)}, "from")


def test_rfc3339_with_offsets_and_a_plus_sent_unencoded(client: TestClient, now: int) -> None:
    base = now - now % DAY_MS - DAY_MS
    for text in ("T00:00:00+02:00", "T00:00:00 02:00", "t00:00:00.000z"):
        day = rfc3339_ms(base)[:10]
        answer = client.get(PATH, params={"source": "s", "from": day + text, "to": at(now)})
        assert answer.status_code == 200, (text, answer.text)
    answer = client.get(PATH, params={"source": "s", "from": at(now - 5000), "to": at(now)})
    assert answer.json()["timeframe"]["startTimeL"] == str(now - 5000)


def test_agent_filters_are_exclusive(client: TestClient) -> None:
    causes = refused(client, {"source": "s", "agentId": "1", "empId": "E1"}, "agentId, empId")
    assert len(causes) == 1
    refused(client, {"source": "s", "agentId": "1", "empId": "E", "groupId": "1"}, "agentId")


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "100000", "v": "2"}, "limit"),
        ({"limit": "101"}, "limit"),  # v1 counts agents: at most 100
        ({"limit": "-5"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1e3"}, "offset"),
        ({"offset": "9" * 30}, "offset"),
        ({"v": "3"}, "v"),
        ({"v": "2.0"}, "v"),
        ({"agentId": "0"}, "agentId"),
        ({"agentId": "abc"}, "agentId"),
        ({"agentId": str(2**63)}, "agentId"),
        ({"groupId": "sales"}, "groupId"),
        ({"groupId": "99"}, "groupId"),  # unknown
        ({"empId": "e" * 101}, "empId"),
        ({"source": "s" * 21}, "source"),
        ({"source": ""}, "source"),
    ],
)
def test_bad_parameters(client: TestClient, params: dict[str, Any], name: str) -> None:
    refused(client, {"source": "s", **params}, name)


def test_missing_source_and_everything_else_at_once(client: TestClient) -> None:
    causes = refused(
        client,
        {"limit": "0", "offset": "-1", "v": "9", "from": "x", "agentId": "y"},
        "source",
        "limit",
        "offset",
        "v",
        "from",
        "to",
        "agentId",
    )
    assert len(causes) == 7


def test_repeated_parameters(client: TestClient) -> None:
    answer = client.get(PATH + "?source=s&limit=1&limit=2")
    assert answer.status_code == 400 and answer.json()["causes"][0].startswith("limit")


def test_limits_at_their_maximum_and_offsets_far_past_the_end(client: TestClient, now: int) -> None:
    ingest(client, [state(5, now - 1000, "ONLINE")])
    body = client.get(PATH, params={"source": "s", "v": 2, "limit": 5000}).json()
    assert len(body["stateChanges"]) == 2
    body = client.get(PATH, params={"source": "s", "limit": 100, "offset": 2**63 - 1}).json()
    assert body["agentsInfo"] == []
    rels = [r["rel"] for r in body["_metadata"]["references"]]
    assert rels == ["self", "first", "previous", "last"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.dictionaries(
        st.sampled_from(
            ["source", "v", "from", "to", "agentId", "empId", "groupId", "limit", "offset", "x"]
        ),
        st.one_of(
            st.text(max_size=40),
            st.integers(-(2**70), 2**70).map(str),
            st.sampled_from(["2024-05-01T00:00:00Z", "-1", "0", "2", "5000", " 1 "]),
        ),
    )
)
def test_no_input_gives_a_server_error(client: TestClient, params: dict[str, str]) -> None:
    answer = client.get(PATH, params=params)
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert set(answer.json()) == {"message", "causes"}
