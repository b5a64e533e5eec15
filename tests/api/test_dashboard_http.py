"""The dashboard over HTTP (in-process): the page and its files with their security
headers, and dashboard tokens on the API: a Bearer header or `access_token` reads the
token's own account exactly as OAuth 1.0a does; anything else gets a 401/403 that says
what to do, and a revocation holds from the next request."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from agentactivity.api.auth import OAuthVerifier
from agentactivity.api.common import Authenticator
from agentactivity.api.dashboard_auth import DashboardTokenVerifier
from agentactivity.api.paths import REASONS_PATH
from agentactivity.credentials import Credentials
from agentactivity.dashboard.page import FILES, SECURITY_HEADERS
from agentactivity.dashboard_token import issue
from agentactivity.service import ActivityService
from tests.api.conftest import ACTIVITY, EVENTS, HOUR, MINUTE, assert_error, ingest, state
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock

STATE = f"/api/account/{ACCOUNT}/agents/state"


@pytest.fixture
def token(service: ActivityService, clock: FakeClock) -> str:
    text, _ = issue(service.store, ACCOUNT, HOUR, clock.now)
    return text


@pytest.fixture
def seeded(client: TestClient, clock: FakeClock) -> None:
    ingest(
        client,
        [
            state(1, clock.now - 50 * MINUTE, "ONLINE"),
            state(2, clock.now - 40 * MINUTE, "AWAY", "lunch"),
            state(3, clock.now - 30 * MINUTE, "BACK_SOON"),
        ],
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", list(FILES))
def test_the_page_and_its_files_need_no_auth_and_forbid_inline_and_foreign_code(
    client: TestClient, path: str
) -> None:
    answer = client.get(path, auth=None)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == FILES[path][1]
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.content


def test_the_page_loads_only_its_own_files(client: TestClient) -> None:
    html = client.get("/dashboard", auth=None).text
    assert "<script>" not in html and "style=" not in html  # nothing inline (CSP)
    script = client.get("/dashboard/dashboard.js", auth=None).text
    for path in FILES:
        if path != "/dashboard":
            name = path.rsplit("/", 1)[1]
            assert f'"{path}"' in html or f'"./{name}"' in script, path
    for path in FILES:
        text = client.get(path, auth=None).text.replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in text and "https://" not in text, path  # no CDN, no internet


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    "path",
    [f"{STATE}?agentIds=all", f"{ACTIVITY}?timeframe=60&agentIds=all&v=1&interval=15&totals=true"],
)
def test_a_token_reads_what_oauth_reads(client: TestClient, token: str, path: str) -> None:
    signed = client.get(path)
    by_header = client.get(path, auth=None, headers=bearer(token))
    separator = "&" if "?" in path else "?"
    by_query = client.get(f"{path}{separator}access_token={token}", auth=None)
    assert signed.status_code == by_header.status_code == by_query.status_code == 200
    assert by_header.json() == signed.json() == by_query.json()
    assert set(by_header.json().get("agents", {"1": 0, "2": 0, "3": 0})) == {"1", "2", "3"}


@pytest.mark.usefixtures("seeded")
def test_a_token_works_for_the_post_query_too(client: TestClient, token: str) -> None:
    body: dict[str, Any] = {"timeframe": 60, "agentIds": "all", "v": 1}
    answer = client.post(ACTIVITY, json=body, auth=None, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["agentsMetrics"]["metricsPerAgent"]) == {"1", "2", "3"}


def test_a_token_cannot_ingest(client: TestClient, token: str, clock: FakeClock) -> None:
    answer = client.post(
        EVENTS, json=[state(9, clock.now, "ONLINE")], auth=None, headers=bearer(token)
    )
    assert_error(answer, 403, "read-only", "ingest")
    assert client.get(f"{STATE}?agentIds=all").json()["agents"] == {}


def test_a_token_of_another_account_gets_403(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    foreign, _ = issue(service.store, OTHER_ACCOUNT, HOUR, clock.now)
    answer = client.get(f"{STATE}?agentIds=all", auth=None, headers=bearer(foreign))
    assert_error(answer, 403, OTHER_ACCOUNT, ACCOUNT)
    answer = client.get(f"{STATE}?agentIds=all&access_token={foreign}", auth=None)
    assert_error(answer, 403, OTHER_ACCOUNT, ACCOUNT)


def test_expired_and_revoked_tokens_get_401_saying_to_get_a_new_link(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    token, record = issue(service.store, ACCOUNT, HOUR, clock.now)
    path = f"{STATE}?agentIds=all"
    assert client.get(path, auth=None, headers=bearer(token)).status_code == 200
    service.store.revoke_dashboard_token(ACCOUNT, record.token_id, clock.now)
    answer = client.get(path, auth=None, headers=bearer(token))
    assert_error(answer, 401, "revoked", record.token_id, "dashboard-link")

    short, _ = issue(service.store, ACCOUNT, MINUTE, clock.now)
    assert client.get(path, auth=None, headers=bearer(short)).status_code == 200
    clock.now += MINUTE
    answer = client.get(f"{path}&access_token={short}", auth=None)
    assert_error(answer, 401, "expired", "dashboard-link")


@pytest.mark.parametrize("value", ["", "abc", "dt1.12345678.0123456789abcdef.1.x"])
def test_malformed_tokens_get_401(client: TestClient, value: str) -> None:
    answer = client.get(f"{STATE}?agentIds=all", auth=None, headers=bearer(value))
    assert_error(answer, 401, "malformed")


def test_a_signed_request_may_carry_an_unrelated_access_token(
    client: TestClient, credentials: Credentials
) -> None:
    # OAuth 1.0a decides when the Authorization header is OAuth; the parameter is signed too.
    answer = client.get(f"{STATE}?agentIds=all&access_token=anything")
    assert answer.status_code == 200, answer.text


def _request(headers: dict[str, str], query: str = "") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": STATE,
            "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
    )


def test_an_open_stream_learns_when_its_token_stops_working(
    service: ActivityService, clock: FakeClock
) -> None:
    """What the stream asks every few seconds (api/stream.py, RECHECK_SECONDS)."""
    auth = Authenticator(
        OAuthVerifier(service.store.credentials_for_token),
        DashboardTokenVerifier(service.store, service.clock),
    )
    token, record = issue(service.store, ACCOUNT, HOUR, clock.now)
    by_query = _request({}, f"access_token={token}")
    by_header = _request(bearer(token))
    assert auth.still_authorized(by_query, ACCOUNT)
    assert auth.still_authorized(by_header, ACCOUNT)
    assert auth.still_authorized(_request({"Authorization": "OAuth x"}), ACCOUNT)
    clock.now += HOUR
    assert not auth.still_authorized(by_query, ACCOUNT)  # expired
    clock.now -= HOUR
    service.store.revoke_dashboard_token(ACCOUNT, record.token_id, clock.now)
    assert not auth.still_authorized(by_header, ACCOUNT)  # revoked


def test_a_token_reaches_only_the_dashboards_data(client: TestClient, token: str) -> None:
    # The status reasons listing opens to `read` or `admin`: not to dashboard links.
    path = REASONS_PATH.replace("{accountId}", ACCOUNT)
    answer = client.get(path, auth=None, headers=bearer(token))
    assert_error(answer, 403, "read-only", "'read' or 'admin'")
    assert client.get(path).status_code == 200  # OAuth 1.0a with scope read
