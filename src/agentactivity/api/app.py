"""The Starlette application: routes, and errors always answered as JSON."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agentactivity.api.activity import ActivityHandlers
from agentactivity.api.amazon_connect import AmazonConnectHandler
from agentactivity.api.auth import MemoryNonceStore, NonceStore, OAuthVerifier
from agentactivity.api.common import Authenticator, error_response
from agentactivity.api.dashboard_auth import DashboardTokenVerifier
from agentactivity.api.directory import GroupHandlers, UserHandlers
from agentactivity.api.errors import ApiError
from agentactivity.api.health import OperationsHandlers
from agentactivity.api.nonces import RedisNonceStore
from agentactivity.api.observability import Metrics, instrument
from agentactivity.api.openapi import openapi_endpoint
from agentactivity.api.partition import PartitionGuard
from agentactivity.api.paths import (
    ACTIVITY_PATH,
    AGENT_GROUP_PATH,
    AGENT_GROUPS_PATH,
    AMAZON_CONNECT_PATH,
    DISCOVERY_PATH,
    EVENTS_PATH,
    HEALTHZ_PATH,
    METRICS_PATH,
    OPENAPI_PATH,
    READYZ_PATH,
    REASON_PATH,
    REASONS_PATH,
    REPORT_PATH,
    STATE_PATH,
    STATUS_CHANGES_PATH,
    STREAM_PATH,
    TWILIO_PATH,
    USER_PATH,
    USERS_PATH,
)
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.api.reasons import ReasonHandlers
from agentactivity.api.reports import ReportHandlers
from agentactivity.api.request_limits import RequestLimits
from agentactivity.api.state_metrics import LiveStateCollector
from agentactivity.api.status_changes import StatusChangeHandlers
from agentactivity.api.stream import StreamHandler, StreamHub
from agentactivity.api.twilio import TwilioHandler
from agentactivity.dashboard.page import dashboard_routes
from agentactivity.service import ActivityService
from agentactivity.service.connectors import ConnectorIngest
from agentactivity.store import StoreError

log = logging.getLogger("agentactivity")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: f"no such resource: {request.url.path}",
        405: f"method {request.method} is not allowed on {request.url.path}",
    }
    message = messages.get(exc.status_code, str(exc.detail))
    headers = dict(exc.headers) if exc.headers else None
    return error_response(ApiError(exc.status_code, message, headers=headers))


async def _store_error(request: Request, exc: Exception) -> Response:
    # The store is the truth: without it nothing can be answered or acknowledged.
    log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
    return error_response(ApiError(503, str(exc), headers={"Retry-After": "1"}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Should never happen; answer in the same JSON shape and keep the trace in the log.
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(ApiError(500, "internal error; the request was logged"))


def create_app(
    service: ActivityService,
    verifier: OAuthVerifier | None = None,
    limiter: RateLimiter | None = None,
    nonces: NonceStore | None = None,
) -> Starlette:
    redis_url = service.settings.redis_url
    shared_state: RedisNonceStore | None = None
    if verifier is None:
        # With Redis, nonces are shared by every server on it (a replay to another
        # server is refused too); else in the store given (the file the workers of
        # `serve --workers N` share), else in this process's memory.
        shared_state = RedisNonceStore(redis_url) if redis_url else None
        if shared_state is not None:
            nonces = shared_state
        elif nonces is None:
            nonces = MemoryNonceStore()
        verifier = OAuthVerifier(service.store.credentials_for_token, nonces=nonces)
    # Per-account query limits (SPEC section 4): the rate in Redis if set (shared by all
    # servers), else in this process's memory; requests in progress are counted per process.
    limiter = limiter or RateLimiter.from_settings(service.settings)
    # One authenticator for every handler: OAuth 1.0a, or a dashboard link's token.
    auth = Authenticator(verifier, DashboardTokenVerifier(service.store, service.clock))
    # Small queries on the event loop where nothing on their path needs the network or
    # another process: the embedded store, nonces and the rate window in this process.
    on_loop = service.store.local_reads and verifier.in_process and limiter.in_process
    handlers = ActivityHandlers(service, auth, limiter, on_loop)
    # Live state streams: bounded per account, all ended at shutdown (app.state.streams).
    streams = StreamHub(service.settings.max_streams_per_account)
    routes = [
        Route(EVENTS_PATH, handlers.ingest, methods=["POST"]),
        Route(ACTIVITY_PATH, handlers.agent_activity, methods=["GET", "POST"]),
        Route(STATE_PATH, handlers.agent_state, methods=["GET"]),
        Route(STREAM_PATH, StreamHandler(service, auth, streams).handle, methods=["GET"]),
        Route(DISCOVERY_PATH, handlers.discovery, methods=["GET"]),
        Route(REPORT_PATH, ReportHandlers(service, auth, limiter).activity_csv, methods=["GET"]),
        Route(
            STATUS_CHANGES_PATH,
            StatusChangeHandlers(service, auth, limiter).status_changes,
            methods=["GET"],
        ),
        Route(OPENAPI_PATH, openapi_endpoint, methods=["GET"]),
    ]
    reasons = ReasonHandlers(service, auth)
    routes += [
        Route(REASONS_PATH, reasons.items, methods=["GET", "POST"]),
        Route(REASON_PATH, reasons.item, methods=["PUT", "POST", "DELETE"]),
    ]
    # People and teams: get one by id, and delete an array of ids on the collection.
    directory = (
        (USERS_PATH, USER_PATH, UserHandlers(service, auth)),
        (AGENT_GROUPS_PATH, AGENT_GROUP_PATH, GroupHandlers(service, auth)),
    )
    for path, item_path, collection in directory:
        routes += [
            Route(path, collection.items, methods=["GET", "POST", "DELETE"]),
            Route(item_path, collection.item, methods=["GET", "PUT", "POST", "DELETE"]),
        ]
    # Operations (no authentication): liveness, readiness, Prometheus metrics.
    metrics = Metrics(service)
    metrics.registry.register(LiveStateCollector(service, streams))
    operations = OperationsHandlers(
        service, metrics, ping_shared_state=shared_state.ping if shared_state else None
    )
    routes += [
        Route(HEALTHZ_PATH, operations.healthz, methods=["GET"]),
        Route(READYZ_PATH, operations.readyz, methods=["GET"]),
        Route(METRICS_PATH, operations.metrics, methods=["GET"]),
    ]
    # Connectors (SPEC section 10): the platforms' webhooks, limited per account apart
    # from the queries (a flood of callbacks spends none of the query budget).
    connectors = ConnectorIngest(service)
    connector_limiter = RateLimiter.for_connectors(service.settings)
    amazon_connect = AmazonConnectHandler(service, connectors, connector_limiter)
    routes.append(Route(AMAZON_CONNECT_PATH, amazon_connect.deliver, methods=["POST"]))
    twilio = TwilioHandler(service, connectors, connector_limiter)
    routes += [Route(TWILIO_PATH, twilio.callback, methods=["POST"])]
    routes += dashboard_routes()  # the browser page and its files (no data, no auth)
    settings = service.settings
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                RequestLimits,
                max_url_bytes=settings.max_url_bytes,
                max_header_bytes=settings.max_header_bytes,
            ),
            # Other partitions' accounts: 421 before authentication and the body.
            Middleware(PartitionGuard, partition=settings.partition),
        ],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            StoreError: _store_error,
            Exception: _unexpected,
        },
    )
    app.state.service = service
    app.state.metrics = metrics
    app.state.streams = streams
    app.state.connectors = connectors
    app.state.connector_limiter = connector_limiter
    # Request ids, metrics and access log around everything, 500 answers included.
    instrument(app, metrics)
    return app
