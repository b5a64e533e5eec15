"""OAuth 1.0a (RFC 5849) request verification and per-account authorization.

Signature maths is oauthlib's (ResourceEndpoint + a RequestValidator subclass); this module
adds the timestamp window with an injectable clock, replay protection, helpful 401/403
messages, and the guarantee that no input raises anything but AuthError.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from oauthlib.common import Request
from oauthlib.oauth1 import RequestValidator, ResourceEndpoint
from oauthlib.oauth1.rfc5849 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, utils

from agentactivity.api.oauth_fast import FastVerifier
from agentactivity.credentials import Credentials
from agentactivity.store import StoreError

_FORM = "application/x-www-form-urlencoded"
# Dummy values keep the verification path (and its timing) identical for unknown keys.
# They contain non-hex letters, so they can never equal a real (hex) key or token.
_DUMMY_KEY = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
_DUMMY_SECRET = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NonceStore(Protocol):
    def check_and_add(self, key: str, timestamp: int) -> bool:
        """True if the key is new (and now recorded); False if already seen (replay)."""
        ...


class MemoryNonceStore:
    """Thread-safe, bounded nonce memory; entries expire window_s*2 after insertion.

    A request is accepted within +-window_s of its timestamp, so keeping a nonce for
    2*window_s after first use covers every moment a replay could still pass the clock check.
    When full, the oldest entry is evicted and its timestamp becomes a floor: requests with
    timestamps <= floor are refused, so an evicted nonce can never be replayed (fail closed).
    """

    def __init__(
        self, window_s: int = 300, capacity: int = 200_000, clock: Callable[[], float] = time.time
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self._ttl = 2 * window_s
        self._capacity = capacity
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, int]] = OrderedDict()  # key -> (expiry, ts)
        self._floor = float("-inf")
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def check_and_add(self, key: str, timestamp: int) -> bool:
        now = self._clock()
        with self._lock:
            # Insertion order ~ expiry order, so expired entries sit at the front.
            while self._entries:
                first = next(iter(self._entries.values()))
                if first[0] > now:
                    break
                self._entries.popitem(last=False)
            seen = self._entries.get(key)
            if seen is not None:
                if seen[0] > now:
                    return False
                del self._entries[key]  # expired but not at the front (clock stepped back)
            if timestamp <= self._floor:
                return False
            if len(self._entries) >= self._capacity:
                _, (_, evicted_ts) = self._entries.popitem(last=False)
                self._floor = max(self._floor, evicted_ts)
            self._entries[key] = (now + self._ttl, timestamp)
            return True


class _LookupFailed(Exception):
    """Carries an exception raised by the credentials lookup (a server fault, not bad input)."""


class _Validator(RequestValidator):
    """Per-request state lives on the oauthlib Request object, so one instance is thread-safe."""

    def __init__(
        self, lookup: Callable[[str], Credentials | None], clock: Callable[[], float], window_s: int
    ) -> None:
        super().__init__()
        self._lookup = lookup
        self._clock = clock
        self._window = window_s

    # --- configuration (oauthlib defaults would reject plain http and nothing else fits) ---
    allowed_signature_methods = (SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256)
    enforce_ssl = False  # TLS is terminated in front of us, or plain http locally
    client_key_length = (16, 64)  # ours are 30 hex chars; format check only, not security
    access_token_length = (16, 64)
    nonce_length = (8, 64)  # requests-oauthlib: 64-bit random + timestamp, up to 30 digits
    # oauthlib checks abs(time.time() - ts) > lifetime itself with the real clock; disable it
    # and enforce +-window against the injectable clock in validate_timestamp_and_nonce.
    timestamp_lifetime = 2**62
    dummy_client = _DUMMY_KEY
    dummy_access_token = _DUMMY_KEY

    def _creds(self, request: Request) -> Credentials | None:
        # Looked up once, by the token as sent (before oauthlib may swap in the dummy token).
        try:
            return request.aa_creds
        except AttributeError:
            pass
        try:
            creds = self._lookup(request.resource_owner_key)
        except Exception as exc:
            raise _LookupFailed() from exc
        request.aa_creds = creds
        return creds

    def _key_matches(self, client_key: str, request: Request) -> bool:
        creds = self._creds(request)
        expected = creds.app_key if creds is not None else _DUMMY_KEY
        ok = hmac.compare_digest(expected.encode(), client_key.encode())
        return ok and creds is not None

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Request,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        # Only the clock here: oauthlib calls this *before* checking the signature, and
        # recording nonces of unsigned requests would let anyone flood the store. The nonce
        # is recorded in OAuthVerifier.authenticate once the signature is known to be good.
        now = self._clock()
        if (
            not (timestamp.isascii() and timestamp.isdigit())
            or abs(now - int(timestamp)) > self._window
        ):
            request.aa_reason = (
                f"timestamp outside ±{self._window} s of server time "
                f"(server time: {int(now)}); check the client clock"
            )
            return False
        return True

    def validate_client_key(self, client_key: str, request: Request) -> bool:
        return self._key_matches(client_key, request)

    def validate_access_token(self, client_key: str, token: str, request: Request) -> bool:
        return self._creds(request) is not None

    def validate_realms(
        self,
        client_key: str,
        token: str,
        request: Request,
        uri: str | None = None,
        realms: Any = None,
    ) -> bool:
        return True  # access is decided by authorize(), not by OAuth realms

    def get_client_secret(self, client_key: str, request: Request) -> str:
        creds = self._creds(request)
        return (
            creds.app_secret
            if creds is not None and self._key_matches(client_key, request)
            else _DUMMY_SECRET
        )

    def get_access_token_secret(self, client_key: str, token: str, request: Request) -> str:
        creds = self._creds(request)
        return creds.access_token_secret if creds is not None else _DUMMY_SECRET


def _text(value: object) -> str:
    # requests' prepared headers may be bytes; HTTP header bytes are latin-1 (as in Starlette).
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


class OAuthVerifier:
    def __init__(
        self,
        lookup: Callable[[str], Credentials | None],
        *,
        nonces: NonceStore | None = None,
        clock: Callable[[], float] = time.time,
        timestamp_window_s: int = 300,
    ) -> None:
        self._validator = _Validator(lookup, clock, timestamp_window_s)
        self._endpoint = ResourceEndpoint(self._validator)
        # The usual request verified directly; anything else by oauthlib (oauth_fast.py).
        self._fast = FastVerifier(
            self._validator,
            self._lookup_once,
            lambda ts: abs(clock() - int(ts)) <= timestamp_window_s,
            _DUMMY_KEY,
            _DUMMY_SECRET,
        )
        self._lookup = lookup
        # `is None`, not `or`: an empty MemoryNonceStore is falsy (it has __len__).
        self._nonces: NonceStore = (
            nonces if nonces is not None else MemoryNonceStore(timestamp_window_s, clock=clock)
        )

    @property
    def in_process(self) -> bool:
        """Nonces are kept in this process's memory: spending one does no I/O."""
        return isinstance(self._nonces, MemoryNonceStore)

    def authenticate(
        self, method: str, uri: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> Credentials:
        """Verify an OAuth 1.0a signed request; return the credentials it was signed with."""
        try:
            return self._authenticate(method, uri, headers, body)
        except (AuthError, StoreError):
            raise  # StoreError: a shared nonce store (Redis) failed, answered 503
        except _LookupFailed as exc:
            raise exc.__cause__ from None  # type: ignore[misc]  # a store fault is not a 401
        except Exception as exc:  # oauthlib raises ValueError/TypeError/... on malformed input
            raise AuthError(
                401,
                "malformed request: could not parse the URL, Authorization "
                "header or form body for OAuth verification",
            ) from exc

    def _authenticate(
        self, method: str, uri: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> Credentials:
        hdrs = {_text(k): _text(v) for k, v in headers.items()}
        raw_auth = next((v for k, v in hdrs.items() if k.lower() == "authorization"), "")
        ctype = next((v for k, v in hdrs.items() if k.lower() == "content-type"), "")
        fast = self._fast.accept(_text(method), _text(uri), raw_auth, _FORM in ctype)
        if fast is not None:
            good, oauth = fast
            return self._spend_nonce(good, oauth["oauth_consumer_key"], oauth["oauth_token"], oauth)
        auth = raw_auth.strip()
        if not auth:
            raise AuthError(
                401,
                "missing OAuth Authorization header: sign the request with "
                "OAuth 1.0a (app key/secret and access token/secret)",
            )
        if not auth.lower().startswith("oauth "):
            raise AuthError(401, "Authorization header must use the OAuth scheme (OAuth 1.0a)")
        # SPEC: OAuth parameters travel in the header. oauthlib would also accept them in the
        # query or form body; requiring oauth_signature here pins the header as the source.
        if "oauth_signature" not in dict(utils.parse_authorization_header(auth)):
            raise AuthError(401, "Authorization header lacks oauth_signature")
        # Same test as oauthlib/requests-oauthlib: only form bodies are signed (RFC 5849
        # 3.4.1.3.1). JSON/NDJSON bodies are not passed at all, so oauthlib never parses them.
        form: str | None = None
        if _FORM in ctype:
            form = body.decode("utf-8") if isinstance(body, bytes) else (body or "")
        valid, req = self._endpoint.validate_protected_resource_request(
            _text(uri), http_method=_text(method).upper(), body=form, headers=hdrs
        )
        if req is None:
            raise AuthError(
                401,
                "malformed OAuth parameters (missing, duplicated or sent "
                "outside the Authorization header)",
            )
        if not valid:
            raise AuthError(401, self._diagnose(req))
        creds: Credentials = req.aa_creds
        return self._spend_nonce(
            creds,
            req.client_key,
            req.resource_owner_key,
            {"oauth_nonce": req.nonce, "oauth_timestamp": req.timestamp},
        )

    def _spend_nonce(
        self, creds: Credentials, client_key: str, token: str, oauth: Mapping[str, str]
    ) -> Credentials:
        """Record the nonce of a request whose signature is good; refuse a replay."""
        key = f"{client_key}&{token}&{oauth['oauth_nonce']}"
        if not self._nonces.check_and_add(key, int(oauth["oauth_timestamp"])):
            raise AuthError(401, "nonce already used: every request needs a fresh oauth_nonce")
        return creds

    def _lookup_once(self, token: str) -> Credentials | None:
        try:
            return self._lookup(token)
        except Exception as exc:
            raise _LookupFailed() from exc

    def _diagnose(self, req: Request) -> str:
        """Why oauthlib refused; checks mirror the order of ResourceEndpoint's own."""
        v = self._validator
        missing = [
            name
            for name, val in (
                ("oauth_consumer_key", req.client_key),
                ("oauth_signature", req.signature),
                ("oauth_signature_method", req.signature_method),
                ("oauth_nonce", req.nonce),
                ("oauth_timestamp", req.timestamp),
                ("oauth_token", req.resource_owner_key),
            )
            if not val
        ]
        if missing:
            return "missing OAuth parameter(s): " + ", ".join(missing)
        if req.signature_method not in v.allowed_signature_methods:
            return (
                f"unsupported oauth_signature_method {req.signature_method[:20]!r}: "
                "use HMAC-SHA1 or HMAC-SHA256"
            )
        if req.oauth_params.get("oauth_version", "1.0") != "1.0":
            return "oauth_version must be 1.0"
        ts = req.timestamp
        if len(ts) != 10 or not (ts.isascii() and ts.isdigit()):
            now = int(v._clock())
            return f"timestamp outside ±{v._window} s of server time (server time: {now})"
        if not v.check_client_key(req.client_key):
            return "malformed oauth_consumer_key"
        if not v.check_nonce(req.nonce):
            return "malformed oauth_nonce (use 8-64 letters and digits)"
        if not v.check_access_token(req.resource_owner_key):
            return "unknown access token"
        reason = getattr(req, "aa_reason", None)
        if reason:
            return str(reason)
        log = req.validator_log
        if not log.get("resource_owner", True):
            return "unknown access token"
        if not log.get("client", True):
            return "oauth_consumer_key is not the app key these access credentials belong to"
        return "invalid signature: check the app secret, token secret, method and URL signed"


def authorize(credentials: Credentials, account_id: str, scope: str | tuple[str, ...]) -> None:
    """Raise AuthError(403, ...) if the credentials belong to another account or lack the
    scope (a tuple: any one of them)."""
    if credentials.account_id != account_id:
        raise AuthError(
            403,
            f"these credentials are not valid for account {account_id}: "
            "use credentials issued for that account",
        )
    wanted = (scope,) if isinstance(scope, str) else scope
    if not any(name in credentials.scopes for name in wanted):
        names = " or ".join(f"'{name}'" for name in wanted)
        raise AuthError(
            403,
            f"these credentials lack the {names} scope: use credentials issued with scope {names}",
        )
