"""The documented sample and a realistic day, replayed as Firehose delivers them (base64
records, gzip and not, several requests), give the same Agent Activity figures and status
changes as the same day written as our own events in another account (SPEC 10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.service import ActivityService
from tests.api.firehose_support import (
    assert_firehose_answer,
    client,
    deliver,
    firehose_body,
    fixture,
    give_key,
    service_on,
)
from tests.conftest import OAuth1Auth, make_credentials
from tests.store.conftest import BACKENDS

CONNECT, OWN = "connect", "own"
DAY, OUR_DAY = fixture("day.json"), fixture("day-events.json")
OWN_AGENTS = {"jdoe": "101", "msmith": "102"}


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ActivityService]:
    with service_on(request.param, tmp_path) as service:
        yield service


def _figures(http: TestClient, account: str) -> dict[str, Any]:
    query = {"v": 1, "agentIds": "all", "timeframe": 1440, "interval": 60, "totals": "true"}
    answer = http.get(f"/operations/api/account/{account}/agentactivity", params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _status_changes(http: TestClient, account: str) -> list[dict[str, Any]]:
    params = {
        "source": "test",
        "v": 2,
        "from": "2024-03-05T00:00:00Z",
        "to": "2024-03-05T20:00:00Z",
        "limit": 5000,
    }
    answer = http.get(f"/api/v2/account/{account}/status-changes", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["stateChanges"]  # type: ignore[no-any-return]


def _renamed(value: Any, agents: dict[str, str]) -> Any:
    """The answer with the connector's agent ids as the own day's."""
    if isinstance(value, dict):
        return {
            agents.get(k, k) if len(agents) else k: _renamed(v, agents) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_renamed(v, agents) for v in value]
    return value


def test_the_day_replayed_through_firehose_equals_the_day_as_our_events(
    service: ActivityService,
) -> None:
    key = give_key(service, CONNECT)
    with client(service) as http:
        # The documented sample (a heartbeat) first: taken, nothing derived.
        request_id, body = firehose_body([fixture("sample-agent-event-stream.json")])
        assert_firehose_answer(deliver(http, CONNECT, key, body, request_id), 200, request_id)
        # The day in three deliveries as Firehose buffers them, one gzip; then a retry.
        thirds = [DAY[:15], DAY[15:30], DAY[30:]]
        for number, part in enumerate(thirds):
            request_id, body = firehose_body(part)
            answer = deliver(http, CONNECT, key, body, request_id, compress=number == 1)
            assert_firehose_answer(answer, 200, request_id)
        accepted, _ = service.ingest_counts()
        answer = deliver(http, CONNECT, key, body, request_id)
        assert_firehose_answer(answer, 200, request_id)
        assert service.ingest_counts()[0] == accepted  # the retry: all duplicates

        # The same day as our own events, with the reasons the connector created.
        reasons = service.store.reasons.ensure_texts(CONNECT, ["Break", "Lunch", "Training"])
        own_reason = {text.lower(): str(number) for text, number in reasons.items()}
        # The own account names the same reasons, under the same ids.
        for text in sorted(reasons, key=reasons.__getitem__):
            assert service.store.reasons.ensure_texts(OWN, [text]) == {text: reasons[text]}
        events = [
            {**e, "reasonId": own_reason[e["reasonId"]]} if "reasonId" in e else e for e in OUR_DAY
        ]
        http.auth = OAuth1Auth(make_credentials(service, OWN, ("read", "ingest")))
        assert http.post(f"/api/account/{OWN}/events", json=events).status_code == 200
        own_figures = _figures(http, OWN)
        own_changes = _status_changes(http, OWN)
        http.auth = OAuth1Auth(make_credentials(service, CONNECT, ("read",)))
        connect_figures = _figures(http, CONNECT)
        connect_changes = _status_changes(http, CONNECT)

    users = service.directory(CONNECT).users
    agents = {str(user.id): OWN_AGENTS[user.login_name] for user in users.values()}
    assert sorted(u.full_name for u in users.values()) == ["Jane Doe", "Mark Smith"]
    assert _renamed(connect_figures, agents) == own_figures
    assert own_figures["agentsMetrics"]["metricsPerAgent"]["101"]  # not an empty day

    def comparable(record: dict[str, Any]) -> dict[str, Any]:
        drop = ("agentId", "sessionId", "agentLoginName", "agentUserName", "employeeId")
        return {k: v for k, v in record.items() if k not in drop}

    assert len(connect_changes) == len(own_changes) > 10
    assert [comparable(r) for r in connect_changes] == [comparable(r) for r in own_changes]
