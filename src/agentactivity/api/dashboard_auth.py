"""Browser access without OAuth 1.0a: verifying and authorising dashboard tokens.

A token is accepted for scope "read" only, on its own account only. Each request checks
the store for the link's row, so a revocation holds from the next request on; an open
stream asks again every few seconds (common.Authenticator.still_authorized). The per-account secrets
never change, so they are cached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

from agentactivity.api.auth import AuthError
from agentactivity.credentials import Credentials
from agentactivity.dashboard_token import NEW_LINK, TokenStore, iso, parse_token, signature_matches

TOKEN_QUERY_PARAMETER = "access_token"
_NO_SECRET = "no secret: never matches a signature made with a real one"


def token_in_request(headers: Mapping[str, str], query: Sequence[tuple[str, str]]) -> str | None:
    """The dashboard token a request carries: `Authorization: Bearer <token>`, or, on a
    request without an Authorization header (EventSource cannot set one), the
    `access_token` query parameter. None: the request is for OAuth 1.0a."""
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        return value.strip() if scheme.lower() == "bearer" else None
    values = [value for name, value in query if name == TOKEN_QUERY_PARAMETER]
    if len(values) > 1:
        raise AuthError(401, f"{TOKEN_QUERY_PARAMETER} is given {len(values)} times; give it once")
    return values[0] if values else None


class DashboardTokenVerifier:
    def __init__(self, store: TokenStore, clock: Callable[[], int]) -> None:
        self._store = store
        self._clock = clock
        self._secrets: dict[str, str] = {}
        self._lock = threading.Lock()

    def _secret(self, account_id: str) -> str | None:
        with self._lock:
            cached = self._secrets.get(account_id)
        if cached is not None:
            return cached
        secret = self._store.dashboard_secret(account_id)
        if secret is not None:
            with self._lock:
                self._secrets[account_id] = secret
        return secret

    def authenticate(self, text: str, account_id: str, scope: str | tuple[str, ...]) -> Credentials:
        """The token's read-only credentials; AuthError 401 (not a valid token now) or
        403 (another account, or a scope other than read)."""
        token = parse_token(text)
        if token is None:
            raise AuthError(
                401,
                "the dashboard token is malformed: open the whole link as "
                f"`agentactivity dashboard-link` printed it, or {NEW_LINK}".format(
                    account=account_id
                ),
            )
        again = NEW_LINK.format(account=token.account_id)
        secret = self._secret(token.account_id)
        # An account without links is checked against a dummy secret: the same work, so
        # the answer's timing does not tell which accounts have links.
        genuine = signature_matches(secret or _NO_SECRET, token)
        if secret is None or not genuine:
            raise AuthError(
                401,
                "the dashboard token's signature is not valid (the link was altered or "
                f"comes from another server): {again}",
            )
        if self._clock() >= token.expires_at:
            raise AuthError(401, f"the dashboard link expired at {iso(token.expires_at)}: {again}")
        record = self._store.dashboard_token(token.account_id, token.token_id)
        if record is None or record.revoked_at is not None:
            when = f" at {iso(record.revoked_at)}" if record and record.revoked_at else ""
            raise AuthError(401, f"the dashboard link {token.token_id} was revoked{when}: {again}")
        if token.account_id != account_id:
            raise AuthError(
                403,
                f"this dashboard link is for account {token.account_id}, not {account_id}: "
                f"ask for a link for account {account_id}",
            )
        if scope != "read":
            # Only the operations of scope "read" alone: the dashboard's data (agent state,
            # its stream, Agent Activity queries), not what other scopes also open.
            names = " or ".join(
                f"'{name}'" for name in ((scope,) if isinstance(scope, str) else scope)
            )
            raise AuthError(
                403,
                "dashboard links are read-only and reach only the dashboard's data: this "
                f"needs OAuth 1.0a credentials issued with scope {names}",
            )
        return Credentials(
            account_id=token.account_id,
            app_key="",
            app_secret="",
            access_token=f"dashboard:{token.token_id}",
            access_token_secret="",
            scopes=("read",),
            team=record.group_id,
        )
