"""OAuth 1.0a verification: requests signed by requests_oauthlib.OAuth1 must pass; anything
tampered, stale, replayed or garbled must raise AuthError(401) and nothing else."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from requests_oauthlib import OAuth1

from agentactivity.api.auth import AuthError, MemoryNonceStore, OAuthVerifier, authorize
from agentactivity.credentials import Credentials, new_credentials

NOW = 1_700_000_000
URL = "http://127.0.0.1:8080/operations/api/account/123/agentactivity?timeframe=60&agentIds=all&v=1"
EVENTS = "http://127.0.0.1:8080/api/account/123/events"

CRED = new_credentials("123", ("read", "ingest"))
OTHER = new_credentials("456", ("read",))
_nonce = iter(range(10**6))


def fresh_nonce() -> str:
    return f"testnonce{next(_nonce):021d}"


def verifier(clock: Callable[[], float] = lambda: NOW, **kw: Any) -> OAuthVerifier:
    table = {c.access_token: c for c in (CRED, OTHER)}
    return OAuthVerifier(table.get, clock=clock, **kw)


def signed(
    method: str = "GET",
    url: str = URL,
    *,
    cred: Credentials = CRED,
    ts: int = NOW,
    nonce: str | None = None,
    app_key: str | None = None,
    app_secret: str | None = None,
    token_secret: str | None = None,
    sig: str = "HMAC-SHA1",
    **req: Any,
) -> requests.PreparedRequest:
    auth = OAuth1(
        app_key or cred.app_key,
        app_secret or cred.app_secret,
        cred.access_token,
        token_secret or cred.access_token_secret,
        signature_method=sig,
        timestamp=str(ts),
        nonce=nonce or fresh_nonce(),
    )
    return requests.Request(method, url, auth=auth, **req).prepare()


def run(v: OAuthVerifier, p: requests.PreparedRequest, **override: Any) -> Credentials:
    args = {"method": p.method, "uri": p.url, "headers": p.headers, "body": p.body} | override
    return v.authenticate(args["method"], args["uri"], args["headers"], args["body"])


def refused(v: OAuthVerifier, p: requests.PreparedRequest, fragment: str, **override: Any) -> None:
    with pytest.raises(AuthError) as ei:
        run(v, p, **override)
    assert ei.value.status == 401
    assert fragment in ei.value.message
    for secret in (CRED.app_secret, CRED.access_token_secret):
        assert secret not in ei.value.message


# --- accepted ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", ["HMAC-SHA1", "HMAC-SHA256"])
def test_get_with_query_string(sig: str) -> None:
    assert run(verifier(), signed(sig=sig)) == CRED


@pytest.mark.parametrize("sig", ["HMAC-SHA1", "HMAC-SHA256"])
def test_post_json_body(sig: str) -> None:
    p = signed("POST", EVENTS, sig=sig, json={"agentId": "a1", "state": "ONLINE", "x": "a=b&c"})
    assert run(verifier(), p) == CRED


def test_post_ndjson_body_bytes_and_str() -> None:
    body = b'{"agentId":"a1","state":"ONLINE"}\n{"agentId":"a2","state":"AWAY"}\n'
    p = signed("POST", EVENTS, data=body, headers={"Content-Type": "application/x-ndjson"})
    assert run(verifier(), p) == CRED
    p = signed("POST", EVENTS, data=body, headers={"Content-Type": "application/x-ndjson"})
    assert run(verifier(), p, body=body.decode()) == CRED


def test_json_body_is_not_signed_but_form_body_is() -> None:
    p = signed("POST", EVENTS, json={"a": 1})
    assert run(verifier(), p, body=b'{"a": 2, "non-utf8": "\xff"}') == CRED
    p = signed("POST", EVENTS, data={"a": "1"})
    refused(verifier(), p, "invalid signature", body="a=2")
    p = signed("POST", EVENTS, data={"a": "1"})
    assert run(verifier(), p) == CRED


def test_str_headers_as_a_server_would_see_them() -> None:
    p = signed()
    hdrs = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in p.headers.items()}
    assert run(verifier(), p, headers=hdrs) == CRED


# --- refused ----------------------------------------------------------------------------------


def test_wrong_secrets() -> None:
    refused(verifier(), signed(app_secret="0" * 40), "invalid signature")
    refused(verifier(), signed(token_secret="0" * 40), "invalid signature")


def test_tampered_query_and_path() -> None:
    p = signed()
    refused(verifier(), p, "invalid signature", uri=p.url.replace("timeframe=60", "timeframe=61"))
    p = signed()
    refused(verifier(), p, "invalid signature", uri=p.url + "&extra=1")
    p = signed()
    refused(verifier(), p, "invalid signature", uri=p.url.replace("/123/", "/124/"))
    p = signed()
    refused(verifier(), p, "invalid signature", method="POST")


def test_missing_and_non_oauth_header() -> None:
    p = signed()
    refused(verifier(), p, "missing OAuth Authorization header", headers={})
    refused(verifier(), p, "OAuth scheme", headers={"Authorization": "Bearer abc"})


def test_unknown_token() -> None:
    ghost = new_credentials("123", ("read",))
    refused(verifier(), signed(cred=ghost), "unknown access token")


def test_token_used_with_another_app_key() -> None:
    # OTHER's app key and secret, CRED's token and token secret: a correct signature, wrong pair.
    p = signed(app_key=OTHER.app_key, app_secret=OTHER.app_secret)
    refused(verifier(), p, "app key")


@pytest.mark.parametrize("offset", [-301, 301, -100_000])
def test_timestamp_outside_window(offset: int) -> None:
    refused(verifier(), signed(ts=NOW + offset), f"server time: {NOW}")


@pytest.mark.parametrize("offset", [-299, 0, 299, -300, 300])
def test_timestamp_inside_window(offset: int) -> None:
    assert run(verifier(), signed(ts=NOW + offset)) == CRED


def test_clock_is_injectable() -> None:
    now = [float(NOW)]
    v = verifier(clock=lambda: now[0])
    p = signed()
    now[0] += 301
    refused(v, p, "timestamp outside")


def test_nonce_replay() -> None:
    v = verifier()
    p = signed()
    assert run(v, p) == CRED
    refused(v, p, "nonce already used")
    # same nonce, new (validly signed) request with the same key/token: still a replay
    refused(
        v,
        signed(nonce=p.headers["Authorization"].decode().split('oauth_nonce="')[1][:30]),
        "nonce already used",
    )


def test_injected_nonce_store_is_shared() -> None:
    store = MemoryNonceStore(clock=lambda: NOW)  # empty, hence falsy: must still be used
    p = signed()
    assert run(verifier(nonces=store), p) == CRED
    assert len(store) == 1
    refused(verifier(nonces=store), p, "nonce already used")


def test_nonce_of_bad_signature_is_not_burned() -> None:
    v = verifier()
    refused(v, signed(nonce="n" * 30, app_secret="0" * 40), "invalid signature")
    assert run(v, signed(nonce="n" * 30)) == CRED


def test_concurrent_replay_accepted_once() -> None:
    v = verifier()
    p = signed()
    results: list[bool] = []

    def go() -> None:
        try:
            run(v, p)
            results.append(True)
        except AuthError:
            results.append(False)

    threads = [threading.Thread(target=go) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 15 + [True]


def test_plaintext_and_rsa_refused() -> None:
    refused(verifier(), signed(sig="PLAINTEXT"), "unsupported oauth_signature_method")


def test_oauth_params_in_query_refused() -> None:
    auth = OAuth1(
        CRED.app_key,
        CRED.app_secret,
        CRED.access_token,
        CRED.access_token_secret,
        signature_type="query",
        timestamp=str(NOW),
        nonce=fresh_nonce(),
    )
    p = requests.Request("GET", URL, auth=auth).prepare()
    refused(verifier(), p, "missing OAuth Authorization header")
    refused(verifier(), p, "oauth_signature", headers={"Authorization": 'OAuth realm="x"'})


@pytest.mark.parametrize(
    "header",
    [
        "OAuth ",
        "OAuth garbage",
        'OAuth oauth_signature="x"',
        'OAuth oauth_signature=="',
        'OAuth oauth_signature="x", oauth_consumer_key="é"',
        "OAuth \udcff",
        "OAuth ,,,,=,=",
    ],
)
def test_malformed_headers(header: str) -> None:
    refused(verifier(), signed(), "", headers={"Authorization": header})


@settings(max_examples=300, deadline=None)
@given(
    header=st.text(),
    uri=st.text(),
    method=st.text(max_size=8),
    body=st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=64)),
    form=st.booleans(),
)
def test_garbage_only_raises_auth_error(
    header: str, uri: str, method: str, body: bytes | str | None, form: bool
) -> None:
    headers = {"Authorization": header}
    if form:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    with pytest.raises(AuthError) as ei:
        verifier().authenticate(method, uri, headers, body)
    assert ei.value.status == 401


@settings(max_examples=200, deadline=None)
@given(mutation=st.text(min_size=1, max_size=5), pos=st.integers(min_value=0, max_value=400))
def test_mutated_real_header_only_raises_auth_error(mutation: str, pos: int) -> None:
    p = signed()
    auth = p.headers["Authorization"].decode()
    bad = auth[:pos] + mutation + auth[pos:]
    try:
        run(verifier(), p, headers={"Authorization": bad})
    except AuthError as exc:
        assert exc.status == 401


def test_lookup_failure_is_not_disguised_as_401() -> None:
    def broken(_: str) -> Credentials | None:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError):
        OAuthVerifier(broken, clock=lambda: NOW).authenticate("GET", URL, signed().headers, None)


# --- authorize --------------------------------------------------------------------------------


def test_authorize() -> None:
    authorize(CRED, "123", "read")
    authorize(CRED, "123", "ingest")
    with pytest.raises(AuthError) as ei:
        authorize(CRED, "456", "read")
    assert ei.value.status == 403
    with pytest.raises(AuthError) as ei:
        authorize(OTHER, "456", "ingest")
    assert ei.value.status == 403 and "ingest" in ei.value.message


# --- MemoryNonceStore -------------------------------------------------------------------------


def test_nonce_store_expires() -> None:
    now = [1000.0]
    s = MemoryNonceStore(window_s=300, clock=lambda: now[0])
    assert s.check_and_add("a", 1000)
    assert not s.check_and_add("a", 1000)
    now[0] += 599
    assert not s.check_and_add("a", 1000)
    now[0] += 1
    assert s.check_and_add("a", 1600)
    assert len(s) == 1


def test_nonce_store_bounded_and_fails_closed() -> None:
    now = [1000.0]
    s = MemoryNonceStore(window_s=300, capacity=3, clock=lambda: now[0])
    for i in range(10):
        assert s.check_and_add(f"k{i}", 1000 + i)
        assert len(s) <= 3
    assert len(s) == 3
    assert not s.check_and_add("k0", 1000)  # evicted early, yet its replay is still refused
    assert not s.check_and_add("k9", 1009)
    assert s.check_and_add("k10", 1010)
    now[0] += 600  # everything expired
    assert s.check_and_add("k0", 1600) and len(s) == 1
