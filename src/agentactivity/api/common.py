"""The front door of every API handler: what each request goes through before and after
its own work.

- `account_in_path`: the account id of the path, checked (a malformed one is a 404);
- `Authenticator`: who is asking (OAuth 1.0a, or a dashboard link's token) and whether
  they may (the account, the scope); `still_authorized` for a stream left open;
- `json_response` / `encoded_json_response` / `error_response`: answers as JSON;
- `Handlers`: the base of every handler class: the service, the one Authenticator, and
  the request body read within the settings' limits.

The handler modules (activity.py, reasons.py, stream.py) build on these and on the
service; none of them imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.accounts import ACCOUNT_ID
from agentactivity.api.auth import AuthError, OAuthVerifier, authorize
from agentactivity.api.body import read_body
from agentactivity.api.dashboard_auth import DashboardTokenVerifier, token_in_request
from agentactivity.api.errors import ApiError, error_body
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.credentials import Credentials
from agentactivity.directory import OutsideTeam
from agentactivity.no_wait import WouldWait, never_wait
from agentactivity.service import ActivityService
from agentactivity.service.connectors import ConnectorIngest
from agentactivity.store import StoreError

T = TypeVar("T")
JSON_MEDIA_TYPE = "application/json"
# The scope an operation needs: one name, or a tuple of names any one of which will do.
Scope = str | tuple[str, ...]


def encoded_json_response(
    data: bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """An answer already encoded as JSON (the big ones are encoded in the threadpool,
    off the event loop)."""
    return Response(data, status_code=status, media_type=JSON_MEDIA_TYPE, headers=headers)


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return encoded_json_response(orjson.dumps(payload), status, headers)


def error_response(error: ApiError) -> Response:
    """The JSON error body (errors.py) of an ApiError, with its status and headers."""
    return json_response(
        error_body(error.status, error.message, error.details), error.status, error.headers
    )


def account_in_path(request: Request) -> str:
    """The `{accountId}` of the path; 404 unless it is an account id (accounts.py)."""
    account_id: str = request.path_params["accountId"]
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ApiError(404, f"no account {account_id!r}: account ids are 1 to 64 letters or digits")
    return account_id


class Authenticator:
    """The one check of who is asking, shared by every handler: a browser's dashboard
    token (read-only, one account) if the request carries one, else OAuth 1.0a; then
    whether those credentials may act on the account with the scope. Refusals are
    ApiError 401/403 with a message that says what to do; a store fault propagates
    (answered 503)."""

    def __init__(self, oauth: OAuthVerifier, dashboard_tokens: DashboardTokenVerifier) -> None:
        self.oauth = oauth
        self.dashboard_tokens = dashboard_tokens

    def authenticate(
        self,
        request: Request,
        body: bytes,
        account_id: str,
        scope: Scope,
        links: bool = False,
    ) -> Credentials:
        """The caller's credentials. `body`: the request's, as read (a form body is part
        of the OAuth signature); blocking (the store, the nonces): call it off the loop.
        `links`: dashboard links may read this too, though its scope is not "read" alone
        (the agent groups' listing, which the dashboard's team picker shows)."""
        try:
            token = token_in_request(request.headers, request.query_params.multi_items())
            if token is not None:
                return self.dashboard_tokens.authenticate(
                    token, account_id, "read" if links else scope
                )
            credentials = self.oauth.authenticate(
                request.method, str(request.url), request.headers, body or None
            )
            authorize(credentials, account_id, scope)
        except AuthError as exc:
            raise ApiError(exc.status, exc.message) from exc
        return credentials

    def still_authorized(self, request: Request, account_id: str) -> bool:
        """For a long request (a stream) authenticated at its start: is its dashboard
        token still good (not revoked, not expired)? OAuth 1.0a requests stay good (their
        nonce is spent: they cannot be verified twice)."""
        try:
            token = token_in_request(request.headers, request.query_params.multi_items())
            if token is not None:
                self.dashboard_tokens.authenticate(token, account_id, "read")
        except AuthError:
            return False
        except StoreError:
            return True  # cannot tell now: the next check decides (a blip must not cut)
        return True


class WebhookHandlers:
    """The base of the platforms' webhooks (Twilio, Firehose): each authenticates its
    own way, then spends the connectors' per-account budget and stores through
    ConnectorIngest (create_app makes one of each for all of them)."""

    def __init__(
        self, service: ActivityService, connectors: ConnectorIngest, limiter: RateLimiter
    ) -> None:
        self.service = service
        self.connectors = connectors
        self.limiter = limiter


class Handlers:
    """The base of the handler classes: the service they answer from and the app's one
    Authenticator (create_app makes it), so that every API route checks callers alike."""

    def __init__(self, service: ActivityService, auth: Authenticator) -> None:
        self.service = service
        self.auth = auth

    def within_team(
        self,
        credentials: Credentials,
        account_id: str,
        agent_ids: tuple[int, ...] | None,
        group_ids: tuple[str, ...] | None,
    ) -> tuple[str, ...] | None:
        """The agentGroupIds to read with: as asked, except for a team link, which reads
        only its team (403 for any agent or group asked for outside it)."""
        if credentials.team is None:
            return group_ids
        try:
            return self.service.directory(account_id).within_team(
                credentials.team, agent_ids, group_ids
            )
        except OutsideTeam as exc:
            raise ApiError(403, str(exc)) from exc

    async def at_once_or_in_thread(self, work: Callable[[], T], at_once: bool) -> T:
        """`work()` on the event loop when `at_once` and nothing in it would wait
        (no_wait.py: a lock another thread holds, a read of the history), else in a worker
        thread. `work` must raise WouldWait, if at all, before it changes anything."""
        if at_once:
            try:
                with never_wait():
                    return work()
            except WouldWait:
                pass
        return await run_in_threadpool(work)

    async def body(self, request: Request) -> bytes:
        """The whole body: 413 past `max_body_bytes`, 408 after `body_timeout_seconds`."""
        settings = self.service.settings
        return await read_body(request, settings.max_body_bytes, settings.body_timeout_seconds)
