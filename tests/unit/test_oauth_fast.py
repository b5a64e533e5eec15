"""The direct verification of plain OAuth 1.0a requests (api/oauth_fast.py) must accept
the requests client libraries send, and never accept one that oauthlib's full
verification refuses: every variant and random corruption below is judged by both."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from oauthlib.oauth1.rfc5849 import utils

from agentactivity.api import oauth_fast
from agentactivity.api.auth import OAuthVerifier
from agentactivity.credentials import Credentials
from tests.unit.test_auth import CRED, NOW, OTHER, URL, signed, verifier

SPECIAL = (
    "http://127.0.0.1:8080/operations/api/account/123/agentactivity"
    "?agentIds=1%2C2,3&to=%E2%82%AC&empty=&x=a+b&x=%7E&timeframe=60"
)

# Past the length whose parsing is kept (oauth_fast.KEPT_TEXT_MAX): parsed every time.
LONG = URL.partition("?")[0] + "?agentIds=" + "%2C".join(str(n) for n in range(1000, 1300))


def parts(prepared: requests.PreparedRequest) -> tuple[str, str, dict[str, str]]:
    headers = {
        k: v.decode("latin-1") if isinstance(v, bytes) else v for k, v in prepared.headers.items()
    }
    return str(prepared.method), str(prepared.url), headers


def fast_accepts(v: OAuthVerifier, method: str, uri: str, headers: dict[str, str]) -> bool:
    auth = next((value for k, value in headers.items() if k.lower() == "authorization"), "")
    form = "application/x-www-form-urlencoded" in headers.get("Content-Type", "")
    return v._fast.accept(method, uri, auth, form) is not None


def oauthlib_accepts(v: OAuthVerifier, method: str, uri: str, headers: dict[str, str]) -> bool:
    try:
        valid, _ = v._endpoint.validate_protected_resource_request(
            uri, http_method=method.upper(), body=None, headers=headers
        )
    except Exception:
        return False
    return bool(valid)


@pytest.mark.parametrize("sig", ["HMAC-SHA1", "HMAC-SHA256"])
@pytest.mark.parametrize("url", [URL, SPECIAL, URL.partition("?")[0], LONG])
def test_plain_signed_requests_take_the_direct_path(sig: str, url: str) -> None:
    v = verifier()
    method, uri, headers = parts(signed(url=url, sig=sig))
    assert fast_accepts(v, method, uri, headers)
    assert oauthlib_accepts(v, method, uri, headers)
    assert v.authenticate(method, uri, headers, None) == CRED


def variants() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("wrong app secret", {"app_secret": "x" * 40}),
        ("wrong token secret", {"token_secret": "x" * 40}),
        ("another app key", {"app_key": OTHER.app_key}),
        ("stale timestamp", {"ts": NOW - 3600}),
        ("plaintext", {"sig": "PLAINTEXT"}),
        ("short nonce", {"nonce": "abc"}),
        ("nonce with escapes", {"nonce": "a b c d e f g h"}),
    ]


@pytest.mark.parametrize(("name", "change"), variants())
def test_variants_are_never_accepted_unless_oauthlib_accepts(
    name: str, change: dict[str, Any]
) -> None:
    v = verifier()
    method, uri, headers = parts(signed(**change))
    if fast_accepts(v, method, uri, headers):
        assert oauthlib_accepts(v, method, uri, headers), name


def edits(headers: dict[str, str], uri: str) -> list[tuple[str, str]]:
    auth = headers["Authorization"]
    return [
        (auth.replace('oauth_version="1.0"', 'oauth_version="1.1"'), uri),
        (auth + ', oauth_nonce="again12345"', uri),  # a duplicate
        (auth + ', realm="x"', uri),
        (auth + ', extra="1"', uri),  # not an oauth_ name: oauthlib would sign it
        (auth.replace("OAuth ", "oauth "), uri),
        (auth.replace(", ", ","), uri),
        (" " + auth, uri),
        (auth, uri + "&oauth_token=" + CRED.access_token),  # parameters in two places
        (auth, uri + "&realm=x"),
        (auth, uri.replace("127.0.0.1:8080", "127.0.0.1:8081")),
        (auth, uri.replace("http://", "https://")),
        (auth, uri + "&%ZZ=1"),
        (auth.replace("HMAC-SHA1", "HMAC-SHA256"), uri),
    ]


@pytest.mark.parametrize("index", range(13))
def test_edited_requests_are_never_accepted_unless_oauthlib_accepts(index: int) -> None:
    v = verifier()
    method, uri, headers = parts(signed())
    auth, edited_uri = edits(headers, uri)[index]
    edited = {**headers, "Authorization": auth}
    if fast_accepts(v, method, edited_uri, edited):
        assert oauthlib_accepts(v, method, edited_uri, edited)


def test_random_corruptions_are_never_accepted_unless_oauthlib_accepts() -> None:
    rng = random.Random(5)
    v = verifier()
    alphabet = 'aZ09%,="~._- &?'
    judged = 0
    for _ in range(400):
        method, uri, headers = parts(signed(url=rng.choice([URL, SPECIAL, LONG])))
        target = rng.choice(["auth", "uri"])
        text = headers["Authorization"] if target == "auth" else uri
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice(alphabet) + text[i + rng.randint(0, 1) :]
        if target == "auth":
            headers = {**headers, "Authorization": text}
        else:
            uri = text
        if fast_accepts(v, method, uri, headers):
            judged += 1
            assert oauthlib_accepts(v, method, uri, headers), (uri, headers["Authorization"])
    assert judged > 0  # some corruptions leave the request good (e.g. a char put back)


def test_failures_look_up_the_token_and_sign_whatever_it_is() -> None:
    # Unknown tokens are signed with the dummy secrets, as oauthlib does: the same work.
    looked_up: list[str] = []

    def lookup(token: str) -> Credentials | None:
        looked_up.append(token)
        return {CRED.access_token: CRED}.get(token)

    v = OAuthVerifier(lookup, clock=lambda: NOW)
    unknown = dataclasses.replace(CRED, access_token="f" * 30)
    method, uri, headers = parts(signed(cred=unknown))
    assert not fast_accepts(v, method, uri, headers)
    assert looked_up == ["f" * 30]


@given(st.text(max_size=80))
def test_the_escape_is_oauthlibs_for_any_text(text: str) -> None:
    assert oauth_fast._escape(text) == utils.escape(text)


def test_the_escape_of_every_ascii_character_is_oauthlibs() -> None:
    every = "".join(chr(c) for c in range(128))
    assert oauth_fast._escape(every) == utils.escape(every)
    assert oauth_fast._escape("a b&c=d~e") == "a%20b%26c%3Dd~e"
