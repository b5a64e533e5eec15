"""Dashboard links: the token model, its text form and issuing a new one (verifying a
request's token is the API's: api/dashboard_auth.py).

A token as text: `dt1.<accountId>.<tokenId>.<expiresAt>.<signature>`.

`expiresAt` is epoch seconds; the signature is HMAC-SHA256, keyed with the account's
secret (kept in the store), over everything before it, in unpadded base64url. The token
names its account and expiry in the clear (the page shows them), and the signature makes
them unforgeable; the token id lets one link be revoked (the store keeps a row per link).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from agentactivity.clock import DAY_MS, HOUR_MS, MINUTE_MS

PREFIX = "dt1"
TOKEN_ID = re.compile(r"[0-9a-f]{16}")
_TOKEN = re.compile(
    r"dt1\.(?P<account>[A-Za-z0-9_-]{1,64})\.(?P<token_id>[0-9a-f]{16})"
    r"\.(?P<expires>[0-9]{1,12})\.(?P<signature>[A-Za-z0-9_-]{43})"
)
_TTL = re.compile(r"([0-9]{1,6})([mhd])")
_UNIT_MS = {"m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS}
MAX_TTL_MS = 90 * DAY_MS
NEW_LINK = "ask for a new link (agentactivity dashboard-link --account {account})"


@dataclass(frozen=True, slots=True)
class DashboardToken:
    """A link as stored: the token itself is not kept, only what names and limits it."""

    account_id: str
    token_id: str
    label: str
    created_at: int  # epoch ms
    expires_at: int  # epoch ms (a whole second)
    revoked_at: int | None = None  # epoch ms
    # The agent group the link may read (its members and its descendants' members);
    # None: the whole account.
    group_id: str | None = None

    def row(self) -> tuple[str, str, str, int, int, int | None, str | None]:
        return (
            self.account_id,
            self.token_id,
            self.label,
            self.created_at,
            self.expires_at,
            self.revoked_at,
            self.group_id,
        )

    def status(self, now_ms: int) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now_ms >= self.expires_at else "active"


@dataclass(frozen=True, slots=True)
class ParsedToken:
    account_id: str
    token_id: str
    expires_at: int  # epoch ms
    signed_part: str
    signature: str


def new_token_id() -> str:
    return secrets.token_hex(8)


def parse_ttl(text: str) -> int:
    """`30m`, `8h`, `2d` as milliseconds; ValueError with a message otherwise."""
    match = _TTL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration: write minutes, hours or days (30m, 8h, 2d)")
    ttl = int(match[1]) * _UNIT_MS[match[2]]
    if not 0 < ttl <= MAX_TTL_MS:
        raise ValueError(f"{text!r} is out of range: from 1m to 90d")
    return ttl


def _signature(secret: str, signed_part: str) -> str:
    digest = hmac.new(secret.encode(), signed_part.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def encode_token(secret: str, account_id: str, token_id: str, expires_at_ms: int) -> str:
    signed_part = f"{PREFIX}.{account_id}.{token_id}.{expires_at_ms // 1000}"
    return f"{signed_part}.{_signature(secret, signed_part)}"


def parse_token(text: str) -> ParsedToken | None:
    """The token's parts, or None if it is not a token at all (the signature unchecked)."""
    match = _TOKEN.fullmatch(text)
    if match is None:
        return None
    signed_part = text[: text.rindex(".")]
    return ParsedToken(
        match["account"],
        match["token_id"],
        int(match["expires"]) * 1000,
        signed_part,
        match["signature"],
    )


def signature_matches(secret: str, token: ParsedToken) -> bool:
    """In constant time."""
    return hmac.compare_digest(_signature(secret, token.signed_part), token.signature)


class TokenStore(Protocol):
    def dashboard_secret(self, account_id: str, create: bool = False) -> str | None: ...

    def add_dashboard_token(self, token: DashboardToken) -> None: ...

    def dashboard_token(self, account_id: str, token_id: str) -> DashboardToken | None: ...

    def ensure_account(self, account_id: str) -> None: ...


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue(
    store: TokenStore,
    account_id: str,
    ttl_ms: int,
    now_ms: int,
    label: str = "",
    group_id: str | None = None,
) -> tuple[str, DashboardToken]:
    """A new link's token (text) and its stored record; creates the account if needed.
    `group_id`: a team link, limited to that group (the caller checks it exists)."""
    store.ensure_account(account_id)
    secret = store.dashboard_secret(account_id, create=True)
    assert secret is not None
    expires_at = (now_ms + ttl_ms) // 1000 * 1000
    record = DashboardToken(account_id, new_token_id(), label, now_ms, expires_at, None, group_id)
    store.add_dashboard_token(record)
    return encode_token(secret, account_id, record.token_id, expires_at), record
