"""State shared by several servers through a real Redis: OAuth nonces and the query rate.

Two apps here are two servers: each has its own service, store connection, nonce store
object and rate limiter, and they share one SQLite file and one Redis.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from oauthlib.oauth1 import Client as OAuthSigner
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.api.errors import ApiError
from agentactivity.api.nonces import KEY_PREFIX, RedisNonceStore, SharedStateError, redact
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.credentials import Credentials, new_credentials
from agentactivity.service import ActivityService
from agentactivity.settings import Settings, SettingsError
from agentactivity.store import open_store
from tests.api.conftest import ACTIVITY, BASE_URL
from tests.conftest import ACCOUNT, FakeClock, OAuth1Auth
from tests.redis_support import connect, shared_redis

RATE = 5
QUERY = "?v=1&timeframe=60&agentIds=all"


@pytest.fixture
def redis_url() -> Iterator[str]:
    with shared_redis() as url:
        yield url


def dead_redis_url() -> str:
    """A Redis URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def signed_headers(credentials: Credentials, url: str) -> dict[str, str]:
    """One signed GET, to be sent as is (possibly twice)."""
    signer = OAuthSigner(
        credentials.app_key,
        client_secret=credentials.app_secret,
        resource_owner_key=credentials.access_token,
        resource_owner_secret=credentials.access_token_secret,
    )
    _, headers, _ = signer.sign(url, "GET")
    return {"Authorization": headers["Authorization"]}


class TwoServers:
    def __init__(self, db_url: str, redis_url: str, clock: FakeClock) -> None:
        settings = Settings(db_url=db_url, redis_url=redis_url, query_rate_per_second=RATE)
        self.services = [
            ActivityService(open_store(db_url), settings, clock=clock) for _ in range(2)
        ]
        self.credentials = new_credentials(ACCOUNT, ("read", "ingest"))
        self.services[0].store.add_credentials(self.credentials)
        self.clients = [
            TestClient(create_app(service), base_url=BASE_URL) for service in self.services
        ]
        for client in self.clients:
            client.__enter__()
            client.auth = OAuth1Auth(self.credentials)

    def close(self) -> None:
        for client in self.clients:
            client.__exit__(None, None, None)
        for service in self.services:
            service.store.close()


@pytest.fixture
def two(tmp_path: Path, redis_url: str, clock: FakeClock) -> Iterator[TwoServers]:
    servers = TwoServers(f"sqlite:///{tmp_path / 'shared.db'}", redis_url, clock)
    yield servers
    servers.close()


# --- the nonce store on its own -------------------------------------------------------------


def test_a_new_nonce_is_accepted_once_and_its_replay_refused(redis_url):
    store = RedisNonceStore(redis_url, window_s=300)
    try:
        now = int(time.time())
        assert store.check_and_add("app&token&nonce1", now) is True
        assert store.check_and_add("app&token&nonce1", now) is False
        assert store.check_and_add("app&token&nonce2", now) is True
        # Another store object on the same Redis (another server) sees it too.
        other = RedisNonceStore(redis_url, window_s=300)
        assert other.check_and_add("app&token&nonce1", now) is False
        other.close()
        with connect() as raw:
            ttl = raw.ttl(KEY_PREFIX + "app&token&nonce1")
        assert 590 <= ttl <= 600, ttl  # twice the window
    finally:
        store.close()


def test_an_unreachable_redis_is_a_retryable_error():
    store = RedisNonceStore(dead_redis_url())
    with pytest.raises(SharedStateError, match="unavailable"):
        store.check_and_add("k", int(time.time()))
    with pytest.raises(SharedStateError, match="not reachable"):
        store.ping()


def test_the_password_never_appears_in_messages():
    assert redact("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    assert redact("redis://user:s3cret@host/0") == "redis://user:***@host/0"
    assert redact("redis://host:6379/0") == "redis://host:6379/0"


# --- two servers ----------------------------------------------------------------------------


def test_a_request_accepted_by_one_server_is_refused_by_the_other(two):
    a, b = two.clients
    headers = signed_headers(two.credentials, BASE_URL + ACTIVITY + QUERY)
    first = a.get(ACTIVITY + QUERY, headers=headers, auth=None)
    assert first.status_code == 200, first.text
    replay = b.get(ACTIVITY + QUERY, headers=headers, auth=None)
    assert replay.status_code == 401, replay.text
    assert "nonce already used" in replay.json()["message"]
    # And on the same server, as before.
    assert a.get(ACTIVITY + QUERY, headers=headers, auth=None).status_code == 401


def test_the_same_request_passes_twice_without_redis(tmp_path, clock):
    # The control: per-process nonce memories cannot see each other's nonces.
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    services = [ActivityService(open_store(db_url), Settings(db_url=db_url), clock=clock)]
    services.append(ActivityService(open_store(db_url), Settings(db_url=db_url), clock=clock))
    credentials = new_credentials(ACCOUNT, ("read",))
    services[0].store.add_credentials(credentials)
    headers = signed_headers(credentials, BASE_URL + ACTIVITY + QUERY)
    try:
        for service in services:
            with TestClient(create_app(service), base_url=BASE_URL) as client:
                assert client.get(ACTIVITY + QUERY, headers=headers).status_code == 200
    finally:
        for service in services:
            service.store.close()


def test_the_query_rate_holds_across_servers(two):
    a, b = two.clients
    answers = [a.get(ACTIVITY + QUERY) for _ in range(3)]
    answers += [b.get(ACTIVITY + QUERY) for _ in range(2)]
    assert [r.status_code for r in answers] == [200] * RATE, [r.text for r in answers]
    sixth = b.get(ACTIVITY + QUERY)
    assert sixth.status_code == 429, sixth.text
    assert sixth.headers["retry-after"] == "1"
    assert f"{RATE} queries per second" in sixth.json()["message"]
    assert a.get(ACTIVITY + QUERY).status_code == 429
    time.sleep(1.05)  # the moving window is one second of wall clock
    assert b.get(ACTIVITY + QUERY).status_code == 200


def test_rate_keys_are_under_the_agentactivity_prefix(two):
    assert two.clients[0].get(ACTIVITY + QUERY).status_code == 200
    with connect() as raw:
        keys = {k.decode() for k in raw.scan_iter("*", count=1000)}
    ours = {k for k in keys if k.startswith("agentactivity:")}
    assert any(k.startswith("agentactivity:limits") for k in ours), keys
    assert any(k.startswith(KEY_PREFIX) for k in ours), keys


# --- Redis failing --------------------------------------------------------------------------


def test_a_request_is_answered_503_when_redis_is_down(service, credentials):
    service.settings = Settings(db_url=":memory:", redis_url=dead_redis_url())
    with TestClient(create_app(service), base_url=BASE_URL) as client:
        client.auth = OAuth1Auth(credentials)
        answer = client.get(ACTIVITY + QUERY)
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "1"
    body = answer.json()
    assert body["status"] == 503 and "Redis" in body["message"], body


def test_the_rate_limiter_answers_503_when_its_storage_is_down():
    limiter = RateLimiter(2, RATE, storage_uri=dead_redis_url())
    with pytest.raises(ApiError) as caught:
        with limiter.query_slot(ACCOUNT):
            pass
    assert caught.value.status == 503
    assert caught.value.headers == {"Retry-After": "1"}
    assert limiter.in_progress(ACCOUNT) == 0  # the slot was given back


# --- settings -------------------------------------------------------------------------------


def test_the_redis_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AGENTACTIVITY_REDIS", "redis://127.0.0.1:6379/3")
    assert Settings.from_env().redis_url == "redis://127.0.0.1:6379/3"
    assert Settings.from_env(redis_url="redis://h/1").redis_url == "redis://h/1"
    monkeypatch.delenv("AGENTACTIVITY_REDIS")
    assert Settings.from_env().redis_url is None
    with pytest.raises(SettingsError, match="redis://"):
        Settings.from_env(redis_url="http://127.0.0.1:6379")


def test_readyz_is_503_while_redis_is_unreachable(service, redis_url):
    service.settings = Settings(db_url=":memory:", redis_url=dead_redis_url())
    with TestClient(create_app(service)) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "not ready", "reason": "Redis unreachable"}
    service.settings = Settings(db_url=":memory:", redis_url=redis_url)
    with TestClient(create_app(service)) as client:
        assert client.get("/readyz").status_code == 200
