"""HTTP handlers of the Agent Activity API: ingest, the Agent Activity query, agent state
and domain discovery. Each authenticates (common.py), parses, calls the service and
encodes; no figures here."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.api.body import decode_events, decode_json_object
from agentactivity.api.common import (
    Authenticator,
    Handlers,
    account_in_path,
    encoded_json_response,
    json_response,
)
from agentactivity.api.errors import ApiError, batch_refusal
from agentactivity.api.params import (
    KNOWN,
    STATE_KNOWN,
    known_groups,
    parse_activity_query,
    parse_state_query,
    single_values,
)
from agentactivity.api.paths import DISCOVERABLE_SERVICES
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.credentials import Credentials
from agentactivity.events import BatchRefused
from agentactivity.no_wait import WouldWait, waiting_forbidden
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService

# The most agent x scope figures a query may ask to be tried on the event loop (a
# one-agent day is 1; 50 agents by the hour over 10 hours, 550): ~2 ms rendered at most.
ON_LOOP_FIGURES = 600


class ActivityHandlers(Handlers):
    def __init__(
        self,
        service: ActivityService,
        auth: Authenticator,
        limiter: RateLimiter,
        on_loop: bool = False,
    ) -> None:
        super().__init__(service, auth)
        # Per-account query limits (SPEC section 4), one per app (see create_app).
        self.limiter = limiter
        # Small queries tried on the event loop (no_wait.py): only where the store, the
        # nonces and the limiter need no network and no other process (see create_app).
        self.on_loop = on_loop

    async def ingest(self, request: Request) -> Response:
        account_id = account_in_path(request)
        body = await self.body(request)

        def work() -> dict[str, int]:
            self.auth.authenticate(request, body, account_id, "ingest")
            items = decode_events(request, body)
            try:
                result = self.service.ingest_items(account_id, items)
            except BatchRefused as refused:
                raise batch_refusal(refused) from None
            return {"accepted": result.accepted, "duplicates": result.duplicates}

        return json_response(await run_in_threadpool(work))

    async def agent_activity(self, request: Request) -> Response:
        account_id = account_in_path(request)
        settings = self.service.settings
        body = b""
        if request.method == "POST":
            body = await self.body(request)

        def authenticate() -> Credentials:
            return self.auth.authenticate(request, body, account_id, "read")

        def answer(credentials: Credentials) -> bytes:
            raw: dict[str, Any] = dict(single_values(request.query_params, KNOWN))
            if request.method == "POST":
                raw.update(decode_json_object(body))
            now = self.service.clock()
            query = parse_activity_query(
                raw,
                now_ms=now,
                max_timeframe=settings.max_timeframe_minutes,
                history_ms=settings.history_ms,
                max_agent_ids=settings.max_agent_ids,
            )
            if waiting_forbidden() and (credentials.team is not None or not small(query)):
                raise WouldWait("a team's directory or a big answer")
            groups = self.within_team(
                credentials, account_id, query.agent_ids, query.agent_group_ids
            )
            query = replace(query, agent_group_ids=groups)
            with known_groups():
                return self.service.agent_activity_json(account_id, query, now)

        # Limited once the caller is known to be the account: others spend none of its
        # budget. The slot is held until the answer is encoded, whatever happens.
        if self.on_loop and request.method == "GET":
            credentials = await self.at_once_or_in_thread(authenticate, True)
            with self.limiter.query_slot(account_id):  # the window in memory: no I/O
                text = await self.at_once_or_in_thread(lambda: answer(credentials), True)
            return encoded_json_response(text)

        def work() -> bytes:
            credentials = authenticate()
            with self.limiter.query_slot(account_id):
                return answer(credentials)

        return encoded_json_response(await run_in_threadpool(work))

    async def agent_state(self, request: Request) -> Response:
        """SPEC section 7: every listed agent's state at now (or at `to`)."""
        account_id = account_in_path(request)
        settings = self.service.settings

        def work() -> bytes:
            credentials = self.auth.authenticate(request, b"", account_id, "read")
            with self.limiter.query_slot(account_id):
                query = parse_state_query(
                    single_values(request.query_params, STATE_KNOWN),
                    now_ms=self.service.clock(),
                    retention_ms=settings.retention_ms,
                    max_agent_ids=settings.max_agent_ids,
                )
                groups = self.within_team(credentials, account_id, query.agent_ids, query.group_ids)
                with known_groups():
                    answer = self.service.live.current_state(
                        account_id, query.agent_ids, query.as_of, groups
                    )
                return orjson.dumps(answer)

        return encoded_json_response(await run_in_threadpool(work))

    async def discovery(self, request: Request) -> Response:
        account_id = account_in_path(request)
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
        return json_response({"service": service_name, "account": account_id, "baseURI": base})


def small(query: ActivityQuery) -> bool:
    """Few enough figures to be rendered on the event loop (ON_LOOP_FIGURES)."""
    if query.agent_ids is None or query.agent_group_ids is not None or query.group_totals:
        return False
    scopes = 1 + (-(-query.timeframe // query.interval) + 1 if query.interval else 0)
    return len(query.agent_ids) * scopes <= ON_LOOP_FIGURES
