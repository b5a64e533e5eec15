"""SPEC section 4 through HTTP: OAuth 1.0a signatures, account and scope checks, discovery,
and JSON errors for unknown paths and methods."""

from __future__ import annotations

import dataclasses

import pytest
from oauthlib.oauth1 import Client as OAuthSigner

from agentactivity.credentials import Credentials
from agentactivity.service import ActivityService
from tests.api.conftest import ACTIVITY, BASE_URL, EVENTS, HOUR, assert_error, state
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, OAuth1Auth, make_credentials

QUERY = {"timeframe": "60", "agentIds": "all", "v": "1"}
DISCOVERY = f"/api/account/{ACCOUNT}/service/leDataReporting/baseURI.json"


def _event(clock: FakeClock) -> list[dict]:
    return [state(7, clock.now - HOUR, "ONLINE")]


# --- 401 ------------------------------------------------------------------------------------


def test_no_authorization_on_query(client):
    body = assert_error(client.get(ACTIVITY, params=QUERY, auth=None), 401)
    assert "OAuth" in body["message"]
    assert_error(client.post(ACTIVITY, json=QUERY, auth=None), 401)


def test_no_authorization_on_events(client, clock: FakeClock, service: ActivityService):
    assert_error(client.post(EVENTS, json=_event(clock), auth=None), 401)
    assert service.store.last_seq(ACCOUNT) == 0


def test_no_authorization_is_checked_before_parameters(client):
    # An unsigned request learns nothing about its parameters: 401, not 400.
    assert_error(client.get(ACTIVITY, params={"timeframe": "0"}, auth=None), 401)


def test_other_authorization_scheme(client):
    answer = client.get(
        ACTIVITY, params=QUERY, auth=None, headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )
    assert_error(answer, 401)


@pytest.mark.parametrize("field", ["app_secret", "access_token_secret"])
def test_wrong_secret(client, clock: FakeClock, service, credentials: Credentials, field):
    wrong = dataclasses.replace(credentials, **{field: "0" * 40})
    assert_error(client.get(ACTIVITY, params=QUERY, auth=OAuth1Auth(wrong)), 401)
    assert_error(client.post(EVENTS, json=_event(clock), auth=OAuth1Auth(wrong)), 401)
    assert service.store.last_seq(ACCOUNT) == 0


@pytest.mark.parametrize("field", ["app_key", "access_token"])
def test_unknown_key_or_token(client, credentials: Credentials, field):
    wrong = dataclasses.replace(credentials, **{field: "ab" * 15})
    assert_error(client.get(ACTIVITY, params=QUERY, auth=OAuth1Auth(wrong)), 401)


def test_signature_over_other_parameters_is_refused(client, credentials: Credentials):
    signer = OAuthSigner(
        credentials.app_key,
        client_secret=credentials.app_secret,
        resource_owner_key=credentials.access_token,
        resource_owner_secret=credentials.access_token_secret,
    )
    _, headers, _ = signer.sign(f"{BASE_URL}{ACTIVITY}?timeframe=60&agentIds=all&v=1", "GET")
    # Same signature, tampered query string.
    answer = client.get(
        f"{ACTIVITY}?timeframe=1440&agentIds=all&v=1",
        auth=None,
        headers={"Authorization": headers["Authorization"]},
    )
    assert_error(answer, 401)


def test_replayed_request_is_refused(client, credentials: Credentials):
    signer = OAuthSigner(
        credentials.app_key,
        client_secret=credentials.app_secret,
        resource_owner_key=credentials.access_token,
        resource_owner_secret=credentials.access_token_secret,
    )
    path = f"{ACTIVITY}?timeframe=60&agentIds=all&v=1"
    _, headers, _ = signer.sign(f"{BASE_URL}{path}", "GET")
    signed = {"Authorization": headers["Authorization"]}
    first = client.get(path, auth=None, headers=signed)
    assert first.status_code == 200, first.text
    body = assert_error(client.get(path, auth=None, headers=signed), 401)
    assert "nonce" in body["message"]


def test_replayed_ingest_is_refused(client, clock: FakeClock, credentials: Credentials, service):
    signer = OAuthSigner(
        credentials.app_key,
        client_secret=credentials.app_secret,
        resource_owner_key=credentials.access_token,
        resource_owner_secret=credentials.access_token_secret,
    )
    _, headers, _ = signer.sign(f"{BASE_URL}{EVENTS}", "POST")
    signed = {"Authorization": headers["Authorization"]}
    first = client.post(EVENTS, json=_event(clock), auth=None, headers=signed)
    assert first.status_code == 200, first.text
    second = client.post(
        EVENTS, json=[state(8, clock.now - HOUR, "ONLINE")], auth=None, headers=signed
    )
    assert_error(second, 401, "nonce")
    assert service.store.last_seq(ACCOUNT) == 1


def test_hmac_sha256_is_accepted(client, clock: FakeClock, credentials: Credentials):
    auth = OAuth1Auth(credentials, signature_method="HMAC-SHA256")
    answer = client.post(EVENTS, json=_event(clock), auth=auth)
    assert answer.status_code == 200, answer.text
    answer = client.get(ACTIVITY, params=QUERY, auth=auth)
    assert answer.status_code == 200, answer.text
    assert list(answer.json()["agentsMetrics"]["metricsPerAgent"]) == ["7"]


def test_hmac_sha256_with_wrong_secret(client, credentials: Credentials):
    wrong = dataclasses.replace(credentials, app_secret="1" * 40)
    assert_error(
        client.get(ACTIVITY, params=QUERY, auth=OAuth1Auth(wrong, signature_method="HMAC-SHA256")),
        401,
    )


def test_plaintext_signature_is_refused(client, credentials: Credentials):
    assert_error(
        client.get(
            ACTIVITY, params=QUERY, auth=OAuth1Auth(credentials, signature_method="PLAINTEXT")
        ),
        401,
    )


# --- 403 ------------------------------------------------------------------------------------


def test_key_of_another_account_on_query(client, service):
    other = make_credentials(service, OTHER_ACCOUNT, ("read", "ingest"))
    body = assert_error(client.get(ACTIVITY, params=QUERY, auth=OAuth1Auth(other)), 403)
    assert ACCOUNT in body["message"]
    assert_error(client.post(ACTIVITY, json=QUERY, auth=OAuth1Auth(other)), 403)


def test_key_of_another_account_on_events(client, clock: FakeClock, service):
    other = make_credentials(service, OTHER_ACCOUNT, ("read", "ingest"))
    assert_error(client.post(EVENTS, json=_event(clock), auth=OAuth1Auth(other)), 403)
    assert service.store.last_seq(ACCOUNT) == 0
    assert service.store.last_seq(OTHER_ACCOUNT) == 0


def test_key_of_another_account_is_403_before_parameter_checks(client, service):
    other = make_credentials(service, OTHER_ACCOUNT, ("read", "ingest"))
    assert_error(client.get(ACTIVITY, params={"timeframe": "0"}, auth=OAuth1Auth(other)), 403)


def test_read_only_key_cannot_post_events(client, clock: FakeClock, service):
    reader = make_credentials(service, ACCOUNT, ("read",))
    body = assert_error(client.post(EVENTS, json=_event(clock), auth=OAuth1Auth(reader)), 403)
    assert "ingest" in body["message"]
    assert service.store.last_seq(ACCOUNT) == 0
    answer = client.get(ACTIVITY, params=QUERY, auth=OAuth1Auth(reader))
    assert answer.status_code == 200, answer.text


def test_ingest_only_key_cannot_query(client, clock: FakeClock, service):
    writer = make_credentials(service, ACCOUNT, ("ingest",))
    body = assert_error(client.get(ACTIVITY, params=QUERY, auth=OAuth1Auth(writer)), 403)
    assert "read" in body["message"]
    assert_error(client.post(ACTIVITY, json=QUERY, auth=OAuth1Auth(writer)), 403)
    answer = client.post(EVENTS, json=_event(clock), auth=OAuth1Auth(writer))
    assert answer.status_code == 200, answer.text


# --- domain discovery ----------------------------------------------------------------------


def test_domain_discovery_without_auth(client):
    answer = client.get(DISCOVERY, params={"version": "1.0"}, auth=None)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == {
        "service": "leDataReporting",
        "account": ACCOUNT,
        "baseURI": "127.0.0.1:8080",
    }


def test_domain_discovery_other_account(client):
    answer = client.get(
        "/api/account/42/service/leDataReporting/baseURI.json", params={"version": "1.0"}, auth=None
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["account"] == "42"


@pytest.mark.parametrize("name", ["agentVep", "leDataReportingX", "ledatareporting"])
def test_domain_discovery_other_service(client, name):
    answer = client.get(
        f"/api/account/{ACCOUNT}/service/{name}/baseURI.json", params={"version": "1.0"}, auth=None
    )
    assert_error(answer, 404, "serviceName")


# --- unknown paths and methods -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nope",
        f"/operations/api/account/{ACCOUNT}/agentactivityx",
        f"/api/account/{ACCOUNT}/event",
        "/operations/api/account/",
    ],
)
def test_unknown_path(client, path):
    body = assert_error(client.get(path), 404)
    assert body["error"] == "Not Found"


@pytest.mark.parametrize(
    "method,path",
    [
        ("PUT", ACTIVITY),
        ("DELETE", ACTIVITY),
        ("PATCH", ACTIVITY),
        ("GET", EVENTS),
        ("PUT", EVENTS),
        ("POST", DISCOVERY),
    ],
)
def test_wrong_method(client, method, path):
    answer = client.request(method, path, json={})
    body = assert_error(answer, 405)
    assert method in body["message"]
    assert answer.headers.get("allow"), answer.headers
