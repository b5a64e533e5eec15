"""Shared fixtures: a service on an in-memory store with a controllable clock, an
in-process HTTP client that signs like a real OAuth 1.0a client, and credentials."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from oauthlib.oauth1 import Client as OAuthSigner
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.credentials import Credentials, new_credentials
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore

try:
    import httpx2 as httpx
except ImportError:  # pragma: no cover - older environments
    import httpx  # type: ignore[no-redef]

ACCOUNT = "12345678"
OTHER_ACCOUNT = "87654321"


class FakeClock:
    """The service's idea of "now" in epoch ms; tests move it by hand."""

    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def __call__(self) -> int:
        return self.now


class OAuth1Auth(httpx.Auth):
    """Signs httpx requests exactly as requests_oauthlib.OAuth1 signs requests' ones."""

    def __init__(self, credentials: Credentials, signature_method: str = "HMAC-SHA1") -> None:
        self._signer = OAuthSigner(
            credentials.app_key,
            client_secret=credentials.app_secret,
            resource_owner_key=credentials.access_token,
            resource_owner_secret=credentials.access_token_secret,
            signature_method=signature_method,
        )

    def auth_flow(self, request):
        content_type = request.headers.get("content-type", "")
        body = request.content if "application/x-www-form-urlencoded" in content_type else None
        _, headers, _ = self._signer.sign(
            str(request.url),
            request.method,
            body.decode() if body else None,
            {"Content-Type": content_type} if body else None,
        )
        request.headers["Authorization"] = headers["Authorization"]
        yield request


@pytest.fixture
def clock() -> FakeClock:
    # A fixed instant off every 5-minute boundary, near the real time (auth checks real time).
    now = time.time_ns() // 1_000_000
    return FakeClock(now - now % 300_000 + 161_803)


@pytest.fixture
def service(clock: FakeClock) -> Iterator[ActivityService]:
    store = SQLiteStore(":memory:")
    yield ActivityService(store, Settings(db_url=":memory:"), clock=clock)
    store.close()


def make_credentials(
    service: ActivityService, account: str, scopes: tuple[str, ...]
) -> Credentials:
    credentials = new_credentials(account, scopes)
    service.store.add_credentials(credentials)
    return credentials


@pytest.fixture
def credentials(service: ActivityService) -> Credentials:
    return make_credentials(service, ACCOUNT, ("read", "ingest"))


@pytest.fixture
def client(service: ActivityService, credentials: Credentials) -> Iterator[TestClient]:
    with TestClient(create_app(service), base_url="http://127.0.0.1:8080") as test_client:
        test_client.auth = OAuth1Auth(credentials)
        yield test_client
