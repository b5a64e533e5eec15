"""Operational endpoints, without authentication: /healthz, /readyz and /metrics.

- /healthz: the process is up and answering (liveness). It touches nothing else.
- /readyz: the store answers and the in-memory engine has caught up with every stored
  event (readiness; the probe itself catches up); 503 with a reason otherwise.
- /metrics: Prometheus text exposition of the app's own registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prometheus_client.exposition import choose_encoder
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.api.common import json_response
from agentactivity.api.observability import Metrics
from agentactivity.service import ActivityService

log = logging.getLogger("agentactivity.health")


# Probes and scrapes want now, never a cached answer.
NO_STORE = {"Cache-Control": "no-store"}


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return json_response(payload, status, NO_STORE)


class OperationsHandlers:
    def __init__(
        self,
        service: ActivityService,
        metrics: Metrics,
        ping_shared_state: Callable[[], None] | None = None,
    ) -> None:
        self.service = service
        self.registry = metrics.registry
        # Redis, when several servers share nonces and rate limits through it.
        self.ping_shared_state = ping_shared_state

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        if self.ping_shared_state is not None:
            try:
                await run_in_threadpool(self.ping_shared_state)
            except Exception as exc:
                log.warning("not ready: the shared state is not reachable: %s", exc)
                return _json({"status": "not ready", "reason": "Redis unreachable"}, 503)

        def check() -> int:
            # Catch up first: a process that others write to (several servers on one
            # store) must not stay "not ready" just because nobody queried it yet.
            self.service.catch_up_all()
            return self.service.lag()

        try:
            lag = await run_in_threadpool(check)
        except Exception as exc:
            log.warning("not ready: the store is not reachable: %r", exc)
            return _json(
                {"status": "not ready", "reason": f"store unreachable ({type(exc).__name__})"},
                503,
            )
        # Events committed by others while catching up may remain: reported, not fatal.
        return _json({"status": "ready", "engineLagEvents": lag})

    async def metrics(self, request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        # Collecting reads the store (engine lag): off the event loop.
        data = await run_in_threadpool(encoder, self.registry)
        return Response(data, media_type=content_type, headers=NO_STORE)
