"""Request ids, Prometheus metrics and the access log, as one pure ASGI middleware.

`instrument(app, metrics)` puts the middleware around the whole Starlette stack, outside
Starlette's own error middleware, so that every answer (a 500 included) is counted,
logged and carries `X-Request-Id`, whatever other middleware the app adds.

Metric labels stay bounded: `route` is the route template (`unmatched` when no route
matched), `method` one of the usual HTTP methods (`other` for anything else), `status`
the status code. Accounts are never a label of request metrics (there can be any number
of them); the access log names the account of each request instead. The per-account
live-state gauges (api/state_metrics.py) count accounts, which operators create.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentactivity.api.paths import HEALTHZ_PATH, METRICS_PATH, READYZ_PATH
from agentactivity.logs import REQUEST_ID
from agentactivity.service import ActivityService

log = logging.getLogger("agentactivity.metrics")
access_log = logging.getLogger("agentactivity.access")

REQUEST_ID_HEADER = "X-Request-Id"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Successful answers on these routes are logged at DEBUG: probes and scrapes every few
# seconds would drown the access log.
QUIET_ROUTES = frozenset({HEALTHZ_PATH, READYZ_PATH, METRICS_PATH})


class ServiceCollector(Collector):
    """Figures read from the service at scrape time: ingest counters, the partition, what
    the engine holds and its lag."""

    def __init__(self, service: ActivityService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        accepted, duplicates = self.service.ingest_counts()
        yield CounterMetricFamily(
            "agentactivity_events_ingested",
            "Events stored by this process (accepted, not seen before).",
            value=accepted,
        )
        yield CounterMetricFamily(
            "agentactivity_events_duplicates",
            "Events received by this process that were already stored (by eventId).",
            value=duplicates,
        )
        partition = self.service.settings.partition
        info = GaugeMetricFamily(
            "agentactivity_partition",
            "The accounts this server answers (serve --partition I/N; 0/1 is every "
            "account): always 1, the partition in the labels.",
            labels=["index", "count"],
        )
        info.add_metric([str(partition.index), str(partition.count)], 1)
        yield info
        holdings = self.service.engine.holdings()
        accounts = GaugeMetricFamily(
            "agentactivity_engine_accounts",
            "Accounts whose timelines this process holds in memory.",
            value=len(holdings),
        )
        yield accounts
        agents = GaugeMetricFamily(
            "agentactivity_engine_agents",
            "Agents whose timelines this process holds in memory, by account.",
            labels=["account"],
        )
        for account_id, count in sorted(holdings.items()):
            agents.add_metric([account_id], count)
        yield agents
        try:
            lag = self.service.lag()
        except Exception as exc:  # the store is unreachable: leave the gauge out
            log.warning("engine lag not exported: the store is not reachable: %r", exc)
            return
        yield GaugeMetricFamily(
            "agentactivity_engine_lag_events",
            "Events in the store that the in-memory engine has not applied yet.",
            value=lag,
        )


class Metrics:
    """The app's metrics, in a registry of its own (several apps may share a process)."""

    def __init__(self, service: ActivityService) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "agentactivity_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "agentactivity_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["route", "method"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "agentactivity_rate_limited",
            "HTTP requests answered 429 Too Many Requests.",
            registry=self.registry,
        )
        self.registry.register(ServiceCollector(service))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.duration.labels(route, method).observe(seconds)
        if status == 429:
            self.rate_limited.inc()


def route_template(scope: Scope) -> str:
    """The matched route's path template, or `unmatched`."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def request_id_from(scope: Scope) -> str:
    """The caller's X-Request-Id when it is a sane token, else a new one."""
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope)
        token = REQUEST_ID.set(request_id)
        status = 500  # if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            try:
                self._record(scope, status, seconds)
            finally:
                REQUEST_ID.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        method = scope["method"] if scope["method"] in METHODS else "other"
        self.metrics.observe(route, method, status, seconds)
        fields: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
        }
        account = (scope.get("path_params") or {}).get("accountId")
        if account is not None:
            fields["account"] = account
        client = scope.get("client")
        if client:
            fields["client"] = client[0]
        quiet = route in QUIET_ROUTES and status < 400
        access_log.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %d %.1fms",
            scope["method"],
            scope["path"],
            status,
            seconds * 1000,
            extra=fields,
        )


def instrument(app: Starlette, metrics: Metrics) -> None:
    """Wrap the app's whole middleware stack (built at the first request) in the
    observability middleware, outside Starlette's ServerErrorMiddleware."""
    build = app.build_middleware_stack

    def build_instrumented() -> ASGIApp:
        return ObservabilityMiddleware(build(), metrics)

    app.build_middleware_stack = build_instrumented  # type: ignore[method-assign]
