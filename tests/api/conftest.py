"""Helpers shared by the HTTP-level tests: paths, ingest/query shortcuts, custom clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.credentials import Credentials
from agentactivity.service import ActivityService
from agentactivity.store import SQLiteStore
from tests.conftest import ACCOUNT, FakeClock, OAuth1Auth, make_credentials

EVENTS = f"/api/account/{ACCOUNT}/events"
ACTIVITY = f"/operations/api/account/{ACCOUNT}/agentactivity"
BASE_URL = "http://127.0.0.1:8080"

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
RETENTION = 7 * DAY
HISTORY = 400 * DAY


def state(
    agent: int | str, time: int, value: str, reason: str | None = None, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "state", "agentId": str(agent), "time": time, "state": value}
    if reason is not None:
        event["reasonId"] = reason
    event.update(extra)
    return event


def assert_error(answer: Any, status: int, *names: str) -> dict[str, Any]:
    """The answer is a JSON error of the SPEC's shape whose message names every `names`."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json"), answer.headers
    body = answer.json()
    reasons = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        412: "Precondition Failed",
        413: "Content Too Large",
        428: "Precondition Required",
    }
    assert body["status"] == status, body
    if status == 413:
        assert body["error"] in ("Content Too Large", "Request Entity Too Large"), body
    else:
        assert body["error"] == reasons[status], body
    assert isinstance(body["message"], str) and body["message"], body
    assert "meta" not in body and "body" not in body, body
    for name in names:
        assert name in body["message"], (name, body)
    return body


def ingest(client: TestClient, events: list[dict[str, Any]]) -> dict[str, int]:
    answer = client.post(EVENTS, json=events)
    assert answer.status_code == 200, answer.text
    return answer.json()


def activity(client: TestClient, **params: Any) -> dict[str, Any]:
    params.setdefault("v", 1)
    params.setdefault("agentIds", "all")
    answer = client.get(ACTIVITY, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def per_agent(body: dict[str, Any]) -> dict[str, Any]:
    return body["agentsMetrics"]["metricsPerAgent"]


def entry(entries: list[dict[str, Any]], state_id: int) -> dict[str, Any]:
    (found,) = [e for e in entries if e["id"] == state_id]
    return found


@pytest.fixture
def service(service: ActivityService) -> ActivityService:
    """The shared service with the per-account query limits out of the way: these tests
    (the fuzz tests above all) send hundreds of queries a second. test_ratelimit.py sets
    small limits of its own."""
    service.settings = dataclasses.replace(
        service.settings, max_concurrent_queries=1_000, query_rate_per_second=1_000_000
    )
    return service


@contextmanager
def client_for(
    service: ActivityService, credentials: Credentials, raise_server_exceptions: bool = True
) -> Iterator[TestClient]:
    with TestClient(
        create_app(service), base_url=BASE_URL, raise_server_exceptions=raise_server_exceptions
    ) as test_client:
        test_client.auth = OAuth1Auth(credentials)
        yield test_client


@pytest.fixture
def make_service(clock: FakeClock) -> Iterator[Callable[..., ActivityService]]:
    """Build a service on its own in-memory store with some settings changed."""
    stores: list[SQLiteStore] = []

    def build(base: ActivityService, **changes: Any) -> ActivityService:
        store = SQLiteStore(":memory:")
        stores.append(store)
        return ActivityService(store, dataclasses.replace(base.settings, **changes), clock=clock)

    yield build
    for store in stores:
        store.close()


@pytest.fixture
def admin(service: ActivityService) -> Iterator[TestClient]:
    """A client whose keys may change the account's configuration (scope admin only)."""
    with client_for(service, make_credentials(service, ACCOUNT, ("admin",))) as client:
        yield client


@pytest.fixture
def reader(service: ActivityService, credentials: Credentials) -> Iterator[TestClient]:
    """Keys as `keys create` gives by default: read and ingest, not admin."""
    with client_for(service, credentials) as client:
        yield client
