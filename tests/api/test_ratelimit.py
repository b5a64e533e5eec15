"""SPEC section 4, rate limiting: per account, on the query method, at most N queries in
progress and a sustained rate; past either, 429 at once with `Retry-After: 1`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.api.errors import ApiError
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.credentials import Credentials, new_credentials
from agentactivity.service import ActivityService
from agentactivity.settings import Settings, SettingsError
from tests.api.conftest import ACTIVITY, BASE_URL, EVENTS, state
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, OAuth1Auth, make_credentials

RATE = 5
CONCURRENT = 2
QUERY = {"v": "1", "timeframe": "60", "agentIds": "all"}
OTHER_ACTIVITY = f"/operations/api/account/{OTHER_ACCOUNT}/agentactivity"
JSON = {"content-type": "application/json"}
WAIT = 5  # seconds; only ever reached when something is broken


@contextmanager
def limited_client(
    service: ActivityService,
    credentials: Credentials,
    limiter: RateLimiter | None = None,
    raise_server_exceptions: bool = True,
) -> Iterator[TestClient]:
    app = create_app(service, limiter=limiter)
    with TestClient(
        app, base_url=BASE_URL, raise_server_exceptions=raise_server_exceptions
    ) as test_client:
        test_client.auth = OAuth1Auth(credentials)
        yield test_client


@pytest.fixture
def small(service, make_service, credentials) -> ActivityService:
    """A service whose settings hold small query limits."""
    built = make_service(service, max_concurrent_queries=CONCURRENT, query_rate_per_second=RATE)
    built.store.add_credentials(credentials)
    return built


@pytest.fixture
def other(small) -> Credentials:
    return make_credentials(small, OTHER_ACCOUNT, ("read", "ingest"))


def assert_too_many(answer: Any, *words: str) -> dict[str, Any]:
    assert answer.status_code == 429, answer.text
    assert answer.headers["retry-after"] == "1", answer.headers
    assert answer.headers["content-type"].startswith("application/json"), answer.headers
    body = answer.json()
    assert body["status"] == 429 and body["error"] == "Too Many Requests", body
    assert set(body) == {"status", "error", "message"}, body
    for word in words:
        assert word in body["message"], (word, body)
    return body


def query(client: TestClient, **kwargs: Any) -> Any:
    return client.get(ACTIVITY, params=QUERY, **kwargs)


# --- the sustained rate -------------------------------------------------------------------


def test_the_query_past_the_rate_gets_429_with_retry_after(small, credentials):
    # Built from the settings alone: create_app makes the limiter.
    with limited_client(small, credentials) as client:
        for _ in range(RATE):
            assert query(client).status_code == 200
        body = assert_too_many(query(client), "rate", f"{RATE} queries per second", ACCOUNT)
        assert "retry" in body["message"]
        # POST is the same method and shares the budget.
        assert_too_many(client.post(ACTIVITY, json=QUERY), "rate")


def test_another_accounts_queries_pass_during_a_flood(small, credentials, other):
    other_auth = OAuth1Auth(other)
    with limited_client(small, credentials) as client:
        for _ in range(RATE):
            assert query(client).status_code == 200
        assert_too_many(query(client))
        for _ in range(RATE):
            answer = client.get(OTHER_ACTIVITY, params=QUERY, auth=other_auth)
            assert answer.status_code == 200, answer.text
        assert_too_many(client.get(OTHER_ACTIVITY, params=QUERY, auth=other_auth))
        assert_too_many(query(client))


def test_queries_pass_again_once_the_second_is_over(small, credentials):
    with limited_client(small, credentials) as client:
        for _ in range(RATE):
            assert query(client).status_code == 200
        assert_too_many(query(client))
        time.sleep(1.05)  # `limits` reads the wall clock; the window is one second
        for _ in range(RATE):
            assert query(client).status_code == 200
        assert_too_many(query(client))


def test_unauthenticated_and_forbidden_requests_spend_nothing(small, credentials, other):
    stranger = new_credentials(ACCOUNT, ("read",))  # never stored: its signature is refused
    with limited_client(small, credentials) as client:
        for _ in range(3 * RATE):
            assert query(client, auth=OAuth1Auth(stranger)).status_code == 401
            # A valid key of another account, used on this one.
            assert query(client, auth=OAuth1Auth(other)).status_code == 403
        for _ in range(RATE):
            assert query(client).status_code == 200
        assert_too_many(query(client))


def test_ingest_is_not_limited(small, credentials, clock: FakeClock):
    with limited_client(small, credentials) as client:
        for i in range(3 * RATE):
            answer = client.post(EVENTS, json=[state(7, clock.now - 1000 * i, "ONLINE")])
            assert answer.status_code == 200, answer.text
        # Nor does it spend the query budget.
        for _ in range(RATE):
            assert query(client).status_code == 200


# --- queries in progress ------------------------------------------------------------------


@pytest.fixture
def hold(small, monkeypatch) -> Iterator[tuple[threading.Semaphore, threading.Event]]:
    """Make ACCOUNT's queries wait, inside the handler's work, until `release` is set;
    `entered` counts the queries that reached the wait."""
    entered = threading.Semaphore(0)
    release = threading.Event()
    original = small.agent_activity_json

    def blocking(account_id: str, *args: Any, **kwargs: Any) -> Any:
        if account_id == ACCOUNT:
            entered.release()
            assert release.wait(WAIT)
        return original(account_id, *args, **kwargs)

    monkeypatch.setattr(small, "agent_activity_json", blocking)
    yield entered, release
    release.set()  # never leave a thread waiting, whatever the test did


def test_the_query_past_the_concurrency_gets_429_at_once(small, credentials, other, hold):
    entered, release = hold
    limiter = RateLimiter(CONCURRENT, 1000)
    with limited_client(small, credentials, limiter) as client:
        with ThreadPoolExecutor(CONCURRENT) as pool:
            running = [pool.submit(query, client) for _ in range(CONCURRENT)]
            for _ in range(CONCURRENT):
                assert entered.acquire(timeout=WAIT), "the held queries never started"
            assert limiter.in_progress(ACCOUNT) == CONCURRENT

            body = assert_too_many(query(client), "in progress", f"{CONCURRENT}", ACCOUNT)
            assert "wait" in body["message"]
            assert_too_many(client.post(ACTIVITY, json=QUERY), "in progress")
            # Another account is not held up by this one's queries in progress.
            answer = client.get(OTHER_ACTIVITY, params=QUERY, auth=OAuth1Auth(other))
            assert answer.status_code == 200, answer.text

            release.set()
            assert [f.result(timeout=WAIT).status_code for f in running] == [200] * CONCURRENT
        assert limiter.in_progress(ACCOUNT) == 0
        for _ in range(CONCURRENT + 1):
            assert query(client).status_code == 200


def test_a_400_gives_the_slot_back(small, credentials):
    limiter = RateLimiter(1, 1000)
    with limited_client(small, credentials, limiter) as client:
        for _ in range(3):
            assert client.get(ACTIVITY, params={**QUERY, "timeframe": "0"}).status_code == 400
            answer = client.post(ACTIVITY, content=b"{not json", headers=JSON)
            assert answer.status_code == 400, answer.text
            assert limiter.in_progress(ACCOUNT) == 0
        assert query(client).status_code == 200


def test_an_exception_in_the_handler_gives_the_slot_back(small, credentials, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    limiter = RateLimiter(1, 1000)
    with limited_client(small, credentials, limiter, raise_server_exceptions=False) as client:
        with monkeypatch.context() as patch:
            patch.setattr(small, "agent_activity_json", broken)
            for _ in range(3):
                assert query(client).status_code == 500
                assert limiter.in_progress(ACCOUNT) == 0
        assert query(client).status_code == 200


# --- the limiter on its own ----------------------------------------------------------------


def _enter_all(limiter: RateLimiter, tries: int) -> tuple[int, int]:
    """`tries` threads try to take a slot at the same moment and keep it until all have
    tried; returns (taken, refused)."""
    start = threading.Barrier(tries)
    done = threading.Barrier(tries)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        start.wait(WAIT)
        try:
            with limiter.query_slot(ACCOUNT):
                with lock:
                    outcomes.append("taken")
                done.wait(WAIT)
        except ApiError as exc:
            assert exc.status == 429
            with lock:
                outcomes.append("refused")
            done.wait(WAIT)

    threads = [threading.Thread(target=attempt) for _ in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    return outcomes.count("taken"), outcomes.count("refused")


def test_concurrent_takers_never_exceed_the_slots():
    limiter = RateLimiter(3, 1000)
    assert _enter_all(limiter, 24) == (3, 21)
    assert limiter.in_progress(ACCOUNT) == 0


def test_refused_queries_spend_no_rate():
    limiter = RateLimiter(1, 2)
    with limiter.query_slot(ACCOUNT):
        for _ in range(5):  # refused for the slot: the rate is not consulted
            with pytest.raises(ApiError) as refused:
                with limiter.query_slot(ACCOUNT):
                    pass
            assert "in progress" in refused.value.message
    with limiter.query_slot(ACCOUNT):
        pass  # the second of two a second
    for _ in range(3):  # refused for the rate: the slot is given back
        with pytest.raises(ApiError) as refused:
            with limiter.query_slot(ACCOUNT):
                pass
        assert "rate" in refused.value.message
        assert refused.value.headers == {"Retry-After": "1"}
        assert limiter.in_progress(ACCOUNT) == 0
    with limiter.query_slot(OTHER_ACCOUNT):
        pass


def test_the_storage_is_named_by_uri():
    RateLimiter(1, 1, storage_uri="memory://")
    with pytest.raises(Exception, match="storage"):
        RateLimiter(1, 1, storage_uri="nosuch://")
    with pytest.raises(ValueError, match="synchronous"):
        RateLimiter(1, 1, storage_uri="async+memory://")


# --- settings -----------------------------------------------------------------------------


def test_defaults_follow_the_spec():
    settings = Settings()
    assert (settings.max_concurrent_queries, settings.query_rate_per_second) == (8, 50)
    limiter = RateLimiter.from_settings(settings)
    assert (limiter.max_concurrent, limiter.rate_per_second) == (8, 50)


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AGENTACTIVITY_MAX_CONCURRENT_QUERIES", "3")
    monkeypatch.setenv("AGENTACTIVITY_QUERY_RATE_PER_SECOND", "20")
    settings = Settings.from_env()
    assert (settings.max_concurrent_queries, settings.query_rate_per_second) == (3, 20)


@pytest.mark.parametrize(
    "var, value",
    [
        ("AGENTACTIVITY_MAX_CONCURRENT_QUERIES", "0"),
        ("AGENTACTIVITY_QUERY_RATE_PER_SECOND", "0"),
        ("AGENTACTIVITY_QUERY_RATE_PER_SECOND", "fast"),
    ],
)
def test_bad_limits_are_refused(monkeypatch, var: str, value: str):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError):
        Settings.from_env()
