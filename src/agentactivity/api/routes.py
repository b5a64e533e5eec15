"""HTTP handlers: authenticate, parse, call the service, encode. No figures here."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.accounts import ACCOUNT_ID
from agentactivity.api.auth import AuthError, OAuthVerifier, authorize
from agentactivity.api.body import decode_events, decode_json_object, read_body
from agentactivity.api.dashboard_auth import DashboardTokenVerifier, token_in_request
from agentactivity.api.errors import ApiError
from agentactivity.api.params import (
    KNOWN,
    STATE_KNOWN,
    parse_activity_query,
    parse_state_query,
    single_values,
)
from agentactivity.api.paths import DISCOVERABLE_SERVICES
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.credentials import Credentials
from agentactivity.events import TimeBounds, parse_batch
from agentactivity.service import ActivityService
from agentactivity.store import StoreError


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _account_id(request: Request) -> str:
    account_id = request.path_params["accountId"]
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ApiError(404, f"no account {account_id!r}: account ids are 1 to 64 letters or digits")
    return account_id


class Handlers:
    def __init__(
        self,
        service: ActivityService,
        verifier: OAuthVerifier,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.service = service
        self.verifier = verifier
        self.limiter = limiter or RateLimiter.from_settings(service.settings)
        self.dashboard_tokens = DashboardTokenVerifier(service.store, service.clock)

    def _authenticate(
        self, request: Request, body: bytes, account_id: str, scope: str | tuple[str, ...]
    ) -> Credentials:
        try:
            # A browser's dashboard token (read-only, one account), else OAuth 1.0a.
            token = token_in_request(request.headers, request.query_params.multi_items())
            if token is not None:
                return self.dashboard_tokens.authenticate(token, account_id, scope)
            credentials = self.verifier.authenticate(
                request.method, str(request.url), request.headers, body or None
            )
            authorize(credentials, account_id, scope)
        except AuthError as exc:
            raise ApiError(exc.status, exc.message) from exc
        return credentials

    def still_authorized(self, request: Request, account_id: str) -> bool:
        """For a long request (a stream) authenticated at its start: is its dashboard
        token still good (not revoked, not expired)? OAuth 1.0a requests stay good."""
        try:
            token = token_in_request(request.headers, request.query_params.multi_items())
            if token is not None:
                self.dashboard_tokens.authenticate(token, account_id, "read")
        except AuthError:
            return False
        except StoreError:
            return True  # cannot tell now: the next check decides (a blip must not cut)
        return True

    async def ingest(self, request: Request) -> Response:
        account_id = _account_id(request)
        settings = self.service.settings
        body = await read_body(request, settings.max_body_bytes, settings.body_timeout_seconds)

        def work() -> dict[str, int]:
            self._authenticate(request, body, account_id, "ingest")
            items = decode_events(request, body)
            if len(items) > settings.max_batch_events:
                raise ApiError(
                    413,
                    f"events: the batch has {len(items)} events; the limit is "
                    f"{settings.max_batch_events} per request, split it",
                )
            bounds = TimeBounds.around(self.service.clock(), settings.retention_ms)
            events, problems = parse_batch(items, bounds)
            if problems:
                raise ApiError(
                    400,
                    f"events[{problems[0].index}]: {problems[0].message} "
                    f"({len(problems)} invalid event(s); nothing was stored)",
                    [{"index": p.index, "message": p.message} for p in problems],
                )
            result = self.service.ingest(account_id, events)
            return {"accepted": result.accepted, "duplicates": result.duplicates}

        return _json(await run_in_threadpool(work))

    async def agent_activity(self, request: Request) -> Response:
        account_id = _account_id(request)
        settings = self.service.settings
        body = b""
        if request.method == "POST":
            body = await read_body(request, settings.max_body_bytes, settings.body_timeout_seconds)

        def work() -> bytes:
            self._authenticate(request, body, account_id, "read")
            # Limited once the caller is known to be the account: others spend none of its
            # budget. The slot is held until the answer is encoded, whatever happens.
            with self.limiter.query_slot(account_id):
                return answer()

        def answer() -> bytes:
            raw: dict[str, Any] = dict(single_values(request.query_params, KNOWN))
            if request.method == "POST":
                raw.update(decode_json_object(body))
            now = self.service.clock()
            query = parse_activity_query(
                raw,
                now_ms=now,
                max_timeframe=settings.max_timeframe_minutes,
                retention_ms=settings.retention_ms,
                max_agent_ids=settings.max_agent_ids,
            )
            return self.service.agent_activity_json(account_id, query, now)

        data = await run_in_threadpool(work)
        return Response(data, media_type="application/json")

    async def agent_state(self, request: Request) -> Response:
        """SPEC section 7: every listed agent's state at now (or at `to`)."""
        account_id = _account_id(request)
        settings = self.service.settings

        def work() -> bytes:
            self._authenticate(request, b"", account_id, "read")
            with self.limiter.query_slot(account_id):
                agent_ids, as_of = parse_state_query(
                    single_values(request.query_params, STATE_KNOWN),
                    now_ms=self.service.clock(),
                    retention_ms=settings.retention_ms,
                    max_agent_ids=settings.max_agent_ids,
                )
                return orjson.dumps(self.service.current_state(account_id, agent_ids, as_of))

        data = await run_in_threadpool(work)
        return Response(data, media_type="application/json")

    async def discovery(self, request: Request) -> Response:
        account_id = _account_id(request)
        service_name = request.path_params["serviceName"]
        if service_name not in DISCOVERABLE_SERVICES:
            raise ApiError(
                404,
                f"serviceName {service_name!r} is not served here; "
                f"known: {', '.join(DISCOVERABLE_SERVICES)}",
            )
        base = (
            self.service.settings.public_base_uri
            or request.headers.get("host")
            or (f"{request.url.hostname}:{request.url.port}")
        )
        return _json({"service": service_name, "account": account_id, "baseURI": base})
