"""OAuth 1.0a (RFC 5849) verification of the usual request, without oauthlib's general
machinery (two thirds of a small query's time went there).

`accept` verifies a request only when it has the plain shape every client library sends
(all OAuth parameters in one `Authorization: OAuth k="v", ...` header of oauth_ names,
none in the query, no form body, HMAC-SHA1 or HMAC-SHA256) and everything checks out;
it returns None for anything else, bad signatures included, and the caller then runs
the full oauthlib verification, which accepts or explains. So this path never accepts
what oauthlib would refuse: it makes the same checks (parameter formats through the
same validator, the timestamp window, the key and the signature, computed with
oauthlib's own base-string and HMAC functions) on fewer, simpler inputs.

Unknown tokens and wrong keys are signed with dummy secrets, as oauthlib does, and
compared in constant time, so a failure takes as long whether the token exists or not.
"""

from __future__ import annotations

import functools
import hmac
import re
from collections.abc import Callable
from typing import Any

from oauthlib.common import urldecode
from oauthlib.oauth1.rfc5849 import signature, utils

from agentactivity.credentials import Credentials

# The whole header: the scheme, then name="value" pairs of plain characters (what
# parse_http_list and parse_keqv_list read the same way, with no quoting subtleties).
_HEADER = re.compile(
    r'(?i:oauth) +([a-z_]+="[A-Za-z0-9%._~-]*"(?: *, *[a-z_]+="[A-Za-z0-9%._~-]*")*)'
)
_PAIR = re.compile(r'([a-z_]+)="([A-Za-z0-9%._~-]*)"')
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
_REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_nonce",
    "oauth_timestamp",
)
_HASHES = {"HMAC-SHA1": "SHA-1", "HMAC-SHA256": "SHA-256"}


# RFC 5849 3.6 for ASCII text in one C call: every character but the unreserved ones
# as %XX (upper case), which is what utils.escape's urllib.parse.quote gives for ASCII.
_ASCII_ESCAPES = str.maketrans(
    {c: f"%{c:02X}" for c in range(128) if not _UNRESERVED.fullmatch(chr(c))}
)


def _escape(text: str) -> str:
    """utils.escape (RFC 5849 3.6 percent-encoding); ASCII text without its per-byte loop."""
    return text.translate(_ASCII_ESCAPES) if text.isascii() else utils.escape(text)


# A server sees the same few paths and, from pollers, the same query strings again and
# again: their parsing is kept (oauthlib's own functions: the same results and errors),
# for texts short enough that the 4,096 kept of each stay small (~4 MB at most).
KEPT_TEXT_MAX = 512


def _base_string_uri(uri_without_query: str) -> str:
    if len(uri_without_query) > KEPT_TEXT_MAX:
        return str(signature.base_string_uri(uri_without_query))
    return _kept_base_string_uri(uri_without_query)


def _query(raw_query: str) -> tuple[tuple[str, str], ...]:
    if len(raw_query) > KEPT_TEXT_MAX:
        return tuple(urldecode(raw_query))
    return _kept_query(raw_query)


@functools.lru_cache(maxsize=4096)
def _kept_base_string_uri(uri_without_query: str) -> str:
    return str(signature.base_string_uri(uri_without_query))


@functools.lru_cache(maxsize=4096)
def _kept_query(raw_query: str) -> tuple[tuple[str, str], ...]:
    return tuple(urldecode(raw_query)) if raw_query else ()


class FastVerifier:
    def __init__(
        self,
        validator: Any,
        creds: Callable[[str], Credentials | None],
        in_window: Callable[[str], bool],
        dummy_key: str,
        dummy_secret: str,
    ) -> None:
        # `validator`: the oauthlib RequestValidator the full path uses (its format checks);
        # `creds`: the credentials of a token (None: unknown); `in_window`: the timestamp
        # check of the full path.
        self._validator = validator
        self._creds = creds
        self._in_window = in_window
        self._dummy_key = dummy_key
        self._dummy_secret = dummy_secret

    def accept(
        self, method: str, uri: str, authorization: str, has_form: bool
    ) -> tuple[Credentials, dict[str, str]] | None:
        """The credentials and OAuth parameters of a good plain request; None: let the
        full verification decide."""
        if has_form:
            return None
        match = _HEADER.fullmatch(authorization)
        if match is None:
            return None
        pairs = _PAIR.findall(match.group(1))
        oauth = dict(pairs)
        if len(oauth) != len(pairs) or not all(name.startswith("oauth_") for name in oauth):
            return None  # duplicates, or other names (oauthlib would sign them too)
        oauth = {name: utils.unescape(value) for name, value in oauth.items()}
        if not self._plain(oauth):
            return None
        before_query, _, rest = uri.partition("?")
        raw_query = rest.partition("#")[0]
        try:
            query = _query(raw_query)
            base_uri = _base_string_uri(before_query.partition("#")[0])
        except ValueError:  # oauthlib's checks of the URI: let it explain
            return None
        if any(name.startswith("oauth_") or name == "realm" for name, _ in query):
            return None
        creds = self._creds(oauth["oauth_token"])
        known = creds is not None and hmac.compare_digest(
            creds.app_key.encode(), oauth["oauth_consumer_key"].encode()
        )
        app_secret = creds.app_secret if creds is not None and known else self._dummy_secret
        token_secret = creds.access_token_secret if creds is not None else self._dummy_secret
        params = [(k, v) for k, v in oauth.items() if k != "oauth_signature"] + list(query)
        normalized = "&".join(
            f"{k}={v}" for k, v in sorted((_escape(k), _escape(v)) for k, v in params)
        )
        base = "&".join(_escape(part) for part in (method.upper(), base_uri, normalized))
        expected = signature._sign_hmac(
            _HASHES[oauth["oauth_signature_method"]], base, app_secret, token_secret
        )
        good = hmac.compare_digest(expected.encode(), oauth["oauth_signature"].encode())
        if not (good and known and creds is not None):
            return None
        return creds, oauth

    def _plain(self, oauth: dict[str, str]) -> bool:
        """The checks of oauthlib's ResourceEndpoint before the signature, as it makes them."""
        v = self._validator
        timestamp = oauth.get("oauth_timestamp", "")
        return (
            all(oauth.get(name) for name in _REQUIRED)
            and oauth.get("oauth_version", "1.0") == "1.0"
            and oauth["oauth_signature_method"] in _HASHES
            and len(timestamp) == 10
            and timestamp.isascii()
            and timestamp.isdigit()
            and self._in_window(timestamp)
            and bool(v.check_client_key(oauth["oauth_consumer_key"]))
            and bool(v.check_nonce(oauth["oauth_nonce"]))
            and bool(v.check_access_token(oauth["oauth_token"]))
        )
