"""Operational endpoints and observability: /healthz, /readyz, /metrics, X-Request-Id and
the JSON logs (with the request id on every line logged while a request is handled)."""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.api.observability import Metrics, instrument
from agentactivity.credentials import Credentials
from agentactivity.events import TimeBounds, parse_batch
from agentactivity.logs import REQUEST_ID, JsonFormatter, RequestIdFilter, json_handler
from agentactivity.service import ActivityService
from agentactivity.store import StoreError
from tests.api.conftest import ACTIVITY, BASE_URL, EVENTS, MINUTE, client_for, ingest, state
from tests.conftest import ACCOUNT, FakeClock

ACTIVITY_ROUTE = "/operations/api/account/{accountId}/agentactivity"
EVENTS_ROUTE = "/api/account/{accountId}/events"
HEX_ID = re.compile(r"[0-9a-f]{32}")
QUERY = {"v": 1, "timeframe": 60, "agentIds": "all"}


# --- helpers ----------------------------------------------------------------------------------


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = client.get("/metrics", auth=None)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain"), answer.headers
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def sample(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def store_directly(service: ActivityService, clock: FakeClock, count: int) -> None:
    """Append events to the store behind the engine's back (as another process would)."""
    raw = [state(100 + i, clock.now - 30 * MINUTE + i, "ONLINE") for i in range(count)]
    events, problems = parse_batch(raw, TimeBounds.around(clock.now, service.settings.retention_ms))
    assert not problems
    service.store.append(ACCOUNT, events)


class StoreProxy:
    """The real store, with some methods replaced."""

    def __init__(self, store: Any, **methods: Any) -> None:
        self._store = store
        self.__dict__.update(methods)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.fixture
def anonymous(service: ActivityService) -> Iterator[TestClient]:
    with TestClient(create_app(service), base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Everything the service logs (DEBUG and up), as our JSON handler writes it."""
    stream = io.StringIO()
    handler = json_handler(stream)
    logger = logging.getLogger("agentactivity")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
    return lines


# --- /healthz and /readyz ---------------------------------------------------------------------


def test_healthz_answers_without_authentication(anonymous: TestClient) -> None:
    answer = anonymous.get("/healthz")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"status": "ok"}


def test_readyz_ready_when_the_engine_is_caught_up(client: TestClient, clock: FakeClock) -> None:
    assert client.get("/readyz", auth=None).json() == {"status": "ready", "engineLagEvents": 0}
    ingest(client, [state(7, clock.now - MINUTE, "ONLINE")])
    answer = client.get("/readyz", auth=None)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "engineLagEvents": 0}


def test_readyz_catches_the_engine_up_with_events_stored_by_others(
    client: TestClient, service: ActivityService, clock: FakeClock
) -> None:
    store_directly(service, clock, 3)
    assert service.lag() == 3
    answer = client.get("/readyz", auth=None)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "engineLagEvents": 0}
    assert service.lag() == 0


def test_readyz_not_ready_when_the_engine_cannot_catch_up(
    client: TestClient, service: ActivityService, clock: FakeClock, monkeypatch: Any
) -> None:
    store_directly(service, clock, 3)

    def damaged(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("database is damaged")

    monkeypatch.setattr(service.store, "read_after", damaged)
    answer = client.get("/readyz", auth=None)
    assert answer.status_code == 503
    assert answer.json()["status"] == "not ready"


def test_readyz_not_ready_when_the_store_is_closed(
    anonymous: TestClient, service: ActivityService
) -> None:
    service.store.close()
    answer = anonymous.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "not ready",
        "reason": "store unreachable (ProgrammingError)",
    }
    assert anonymous.get("/healthz").status_code == 200  # liveness does not touch the store


def test_readyz_not_ready_when_the_store_fails(service: ActivityService, json_logs) -> None:
    def last_seqs() -> dict[str, int]:
        raise sqlite3.OperationalError("disk I/O error")

    failing = ActivityService(StoreProxy(service.store, last_seqs=last_seqs), service.settings)
    with TestClient(create_app(failing), base_url=BASE_URL) as test_client:
        answer = test_client.get("/readyz", headers={"X-Request-Id": "probe-1"})
        assert answer.status_code == 503
        assert answer.json()["reason"] == "store unreachable (OperationalError)"
        # The gauge that needs the store is left out; the rest of /metrics still answers.
        samples = scrape(test_client)
    assert sample(samples, "agentactivity_engine_lag_events") is None
    assert sample(samples, "agentactivity_events_ingested_total") == 0
    (warning,) = [r for r in log_lines(json_logs) if r["logger"] == "agentactivity.health"]
    assert warning["level"] == "WARNING" and warning["request_id"] == "probe-1", warning
    assert "disk I/O error" in warning["message"], warning


# --- /metrics ---------------------------------------------------------------------------------


def test_http_metrics_are_labelled_by_route_template(client: TestClient) -> None:
    assert client.get(ACTIVITY, params=QUERY).status_code == 200
    assert client.get(ACTIVITY, params=QUERY).status_code == 200
    assert client.get(ACTIVITY, params=QUERY, auth=None).status_code == 401
    assert client.get("/no/such/path").status_code == 404
    assert client.get(f"/api/account/{ACCOUNT}/events").status_code == 405
    assert client.request("BREW", "/healthz").status_code == 405
    samples = scrape(client)

    requests = "agentactivity_http_requests_total"
    assert sample(samples, requests, route=ACTIVITY_ROUTE, method="GET", status="200") == 2
    assert sample(samples, requests, route=ACTIVITY_ROUTE, method="GET", status="401") == 1
    assert sample(samples, requests, route="unmatched", method="GET", status="404") == 1
    assert sample(samples, requests, route=EVENTS_ROUTE, method="GET", status="405") == 1
    assert sample(samples, requests, route="/healthz", method="other", status="405") == 1
    duration = "agentactivity_http_request_duration_seconds_count"
    assert sample(samples, duration, route=ACTIVITY_ROUTE, method="GET") == 3
    assert sample(samples, duration, route="unmatched", method="GET") == 1
    # Never a raw path (an account id, a random URL) as a label value.
    routes = {dict(labels).get("route") for _, labels in samples}
    assert routes == {None, ACTIVITY_ROUTE, EVENTS_ROUTE, "unmatched", "/healthz"}, routes
    assert sample(samples, "agentactivity_rate_limited_total") == 0


def test_events_ingested_and_duplicates_are_counted(client: TestClient, clock: FakeClock) -> None:
    batch = [state(7, clock.now - 2 * MINUTE, "ONLINE"), state(8, clock.now - MINUTE, "AWAY")]
    assert ingest(client, batch) == {"accepted": 2, "duplicates": 0}
    assert ingest(client, [*batch, state(9, clock.now - MINUTE, "ONLINE")]) == {
        "accepted": 1,
        "duplicates": 2,
    }
    samples = scrape(client)
    assert sample(samples, "agentactivity_events_ingested_total") == 3
    assert sample(samples, "agentactivity_events_duplicates_total") == 2
    assert sample(samples, "agentactivity_engine_lag_events") == 0
    requests = "agentactivity_http_requests_total"
    assert sample(samples, requests, route=EVENTS_ROUTE, method="POST", status="200") == 2


def test_engine_lag_gauge_is_computed_at_scrape_time(
    anonymous: TestClient, service: ActivityService, clock: FakeClock
) -> None:
    assert sample(scrape(anonymous), "agentactivity_engine_lag_events") == 0
    store_directly(service, clock, 5)
    assert sample(scrape(anonymous), "agentactivity_engine_lag_events") == 5
    service.catch_up(ACCOUNT)
    assert sample(scrape(anonymous), "agentactivity_engine_lag_events") == 0


def test_every_429_is_counted_as_rate_limited(service: ActivityService) -> None:
    # Whoever answers 429 (the rate limiter or anything else), the middleware counts it.
    def limited(request: Request) -> Response:
        return Response(status_code=429, headers={"Retry-After": "1"})

    app = Starlette(routes=[Route("/limited/{accountId}", limited)])
    metrics = Metrics(service)
    instrument(app, metrics)
    with TestClient(app) as test_client:
        for _ in range(3):
            answer = test_client.get(f"/limited/{ACCOUNT}")
            assert answer.status_code == 429 and HEX_ID.fullmatch(answer.headers["X-Request-Id"])
    assert metrics.registry.get_sample_value("agentactivity_rate_limited_total") == 3
    assert (
        metrics.registry.get_sample_value(
            "agentactivity_http_requests_total",
            {"route": "/limited/{accountId}", "method": "GET", "status": "429"},
        )
        == 3
    )


def test_each_app_has_its_own_registry(service: ActivityService) -> None:
    with (
        TestClient(create_app(service), base_url=BASE_URL) as first,
        TestClient(create_app(service), base_url=BASE_URL) as second,
    ):
        for _ in range(4):
            first.get("/healthz")
        name = "agentactivity_http_requests_total"
        labels = {"route": "/healthz", "method": "GET", "status": "200"}
        assert sample(scrape(first), name, **labels) == 4
        assert sample(scrape(second), name, **labels) is None


def test_metrics_negotiates_openmetrics(anonymous: TestClient) -> None:
    answer = anonymous.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    assert answer.text.rstrip().endswith("# EOF")


# --- X-Request-Id -----------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["abc-123", "A.b_c-9", "x" * 128, "0" * 32])
def test_a_sane_request_id_is_echoed(anonymous: TestClient, given: str) -> None:
    for path in ("/healthz", "/no/such/path", ACTIVITY):  # 200, 404, 401
        answer = anonymous.get(path, headers={"X-Request-Id": given})
        assert answer.headers["X-Request-Id"] == given, (path, answer.status_code)


@pytest.mark.parametrize(
    "given", [None, "", "x" * 129, "has space", "semi;colon", "é".encode(), "a/b"]
)
def test_a_missing_or_insane_request_id_is_replaced(anonymous: TestClient, given: Any) -> None:
    headers = {} if given is None else {"X-Request-Id": given}
    first = anonymous.get("/healthz", headers=headers).headers["X-Request-Id"]
    second = anonymous.get("/healthz", headers=headers).headers["X-Request-Id"]
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second) and first != second


# --- JSON logs --------------------------------------------------------------------------------


def test_an_access_line_per_request(client: TestClient, clock: FakeClock, json_logs) -> None:
    ingest_answer = client.post(
        EVENTS, json=[state(7, clock.now - MINUTE, "ONLINE")], headers={"X-Request-Id": "in-1"}
    )
    assert ingest_answer.status_code == 200
    client.get("/no/such/path", headers={"X-Request-Id": "in-2"})
    client.get("/healthz", headers={"X-Request-Id": "in-3"})
    access = {r["request_id"]: r for r in log_lines(json_logs) if r["logger"].endswith("access")}
    assert set(access) == {"in-1", "in-2", "in-3"}
    posted = access["in-1"]
    assert posted["level"] == "INFO"
    assert posted["method"] == "POST" and posted["path"] == EVENTS and posted["status"] == 200
    assert posted["route"] == EVENTS_ROUTE and posted["account"] == ACCOUNT
    assert isinstance(posted["duration_ms"], float) and posted["duration_ms"] >= 0
    assert posted["message"].startswith(f"POST {EVENTS} 200 ")
    assert access["in-2"]["status"] == 404 and access["in-2"]["route"] == "unmatched"
    assert "account" not in access["in-2"]
    # Successful probes and scrapes are logged at DEBUG, not to drown the access log.
    assert access["in-3"]["level"] == "DEBUG"


def test_lines_logged_while_handling_a_request_carry_its_id(
    service: ActivityService, credentials: Credentials, json_logs
) -> None:
    """Even from the worker thread that runs the request's blocking work, and on a 500."""

    def credentials_for_token(token: str) -> Credentials | None:
        logging.getLogger("agentactivity.store").warning("looking up a token")
        raise RuntimeError("the store broke")

    broken = ActivityService(
        StoreProxy(service.store, credentials_for_token=credentials_for_token),
        service.settings,
        clock=service.clock,
    )
    with client_for(broken, credentials, raise_server_exceptions=False) as test_client:
        answer = test_client.get(ACTIVITY, params=QUERY, headers={"X-Request-Id": "oops-1"})
    assert answer.status_code == 500
    assert answer.json()["message"] == "internal error; the request was logged"
    assert answer.headers["X-Request-Id"] == "oops-1"
    lines = log_lines(json_logs)
    by_logger = {r["logger"]: r for r in lines}
    assert by_logger["agentactivity.store"]["request_id"] == "oops-1"
    error = by_logger["agentactivity"]
    assert error["level"] == "ERROR" and error["request_id"] == "oops-1", error
    assert "RuntimeError: the store broke" in error["exc_info"]
    access = by_logger["agentactivity.access"]
    assert access["status"] == 500 and access["request_id"] == "oops-1", access
    assert REQUEST_ID.get() is None  # nothing leaks out of the request


def test_the_filter_stamps_records_with_the_request_id() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    token = REQUEST_ID.set("rid-7")
    try:
        assert RequestIdFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    assert record.request_id == "rid-7"  # type: ignore[attr-defined]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    RequestIdFilter().filter(outside)
    assert outside.request_id is None  # type: ignore[attr-defined]


def test_the_formatter_writes_one_json_object_per_line() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "agentactivity.x", logging.ERROR, __file__, 1, 'say "%s"\n', ("hi",), exc_info
    )
    record.request_id = "rid-8"
    record.account = "12345678"
    record.color_message = "\x1b[31mignored\x1b[0m"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["level"] == "ERROR" and payload["logger"] == "agentactivity.x"
    assert payload["message"] == 'say "hi"\n'
    assert payload["request_id"] == "rid-8" and payload["account"] == "12345678"
    assert "color_message" not in payload
    assert "ValueError: bad" in payload["exc_info"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", payload["time"])
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "plain", (), None)
    assert "request_id" not in json.loads(JsonFormatter().format(outside))
