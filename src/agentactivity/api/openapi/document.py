"""The whole document (`build_openapi`), the operational endpoints' path items, and the
`GET /openapi.json` endpoint."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agentactivity.api.common import json_response
from agentactivity.api.openapi.amazon_connect import (
    FIREHOSE_SECURITY_SCHEMES,
    amazon_connect_path_item,
)
from agentactivity.api.openapi.common import JSONObject, closed_object, json_content, json_error
from agentactivity.api.openapi.dashboard import DASHBOARD_SECURITY_SCHEMES, dashboard_path_items
from agentactivity.api.openapi.directory import directory_paths, directory_schemas
from agentactivity.api.openapi.operations import (
    activity_path_item,
    agent_state_path_item,
    discovery_path_item,
    ingest_path_item,
)
from agentactivity.api.openapi.reasons import reason_paths, reason_schemas
from agentactivity.api.openapi.reports import report_path_item
from agentactivity.api.openapi.schemas import activity_schemas
from agentactivity.api.openapi.state import state_schemas
from agentactivity.api.openapi.status_changes import (
    status_change_schemas,
    status_changes_path_item,
)
from agentactivity.api.openapi.stream import stream_path_item
from agentactivity.api.openapi.twilio import twilio_path_item
from agentactivity.api.paths import (
    ACTIVITY_PATH,
    AMAZON_CONNECT_PATH,
    DISCOVERY_PATH,
    EVENTS_PATH,
    HEALTHZ_PATH,
    METRICS_PATH,
    OPENAPI_PATH,
    READYZ_PATH,
    REPORT_PATH,
    STATE_PATH,
    STATUS_CHANGES_PATH,
    STREAM_PATH,
    TWILIO_PATH,
)
from agentactivity.settings import Settings


def _openapi_document() -> JSONObject:
    return {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1 document.",
                    "content": json_content(
                        {"type": "object", "required": ["openapi", "info", "paths"]}
                    ),
                }
            },
        }
    }


def _operations_endpoint(operation_id: str, summary: str, responses: JSONObject) -> JSONObject:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["operations"],
            "security": [],
            "responses": responses,
        }
    }


def _healthz() -> JSONObject:
    return _operations_endpoint(
        "healthz",
        "Liveness: the process is up and answering",
        {
            "200": {
                "description": "Alive.",
                "content": json_content(closed_object(["status"], {"status": {"const": "ok"}})),
            }
        },
    )


def _readyz() -> JSONObject:
    return _operations_endpoint(
        "readyz",
        "Readiness: the store answers; the engine catches up with it first",
        {
            "200": {
                "description": "Ready.",
                "content": json_content(
                    closed_object(
                        ["status", "engineLagEvents"],
                        {
                            "status": {"const": "ready"},
                            "engineLagEvents": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "Events committed by other processes while "
                                "this one caught up, not applied yet.",
                            },
                        },
                    )
                ),
            },
            "503": {
                "description": "Not ready: the store is unreachable.",
                "content": json_content(
                    closed_object(
                        ["status", "reason"],
                        {
                            "status": {"const": "not ready"},
                            "reason": {"type": "string"},
                        },
                    )
                ),
            },
        },
    )


def _metrics() -> JSONObject:
    text = {"schema": {"type": "string"}}
    return _operations_endpoint(
        "metrics",
        "Prometheus metrics of this process",
        {
            "200": {
                "description": "Prometheus text exposition (OpenMetrics when the "
                "`Accept` header asks for it).",
                "content": {"text/plain": text, "application/openmetrics-text": text},
            }
        },
    )


def build_openapi(settings: Settings, paths: Iterable[str] | None = None) -> JSONObject:
    """The document for a service with `settings`.

    `paths`: the paths the application serves; the optional ones (this document) are
    described only when present (the operational endpoints may be left out of an app).
    None means all of them.
    """
    served = None if paths is None else set(paths)
    path_items: JSONObject = {
        EVENTS_PATH: ingest_path_item(settings),
        ACTIVITY_PATH: activity_path_item(settings),
        STATE_PATH: agent_state_path_item(settings),
        STREAM_PATH: stream_path_item(settings),
        DISCOVERY_PATH: discovery_path_item(),
        REPORT_PATH: report_path_item(settings),
        STATUS_CHANGES_PATH: status_changes_path_item(settings),
        TWILIO_PATH: twilio_path_item(settings),
        **reason_paths(settings),
        **directory_paths(settings),
        AMAZON_CONNECT_PATH: amazon_connect_path_item(),
    }
    optional = {
        HEALTHZ_PATH: _healthz,
        READYZ_PATH: _readyz,
        METRICS_PATH: _metrics,
        OPENAPI_PATH: _openapi_document,
    }
    for path, build in optional.items():
        if served is None or path in served:
            path_items[path] = build()
    for path, item in dashboard_path_items().items():
        if served is None or path in served:
            path_items[path] = item
    # Refused before any route is chosen, whatever the path (RequestLimits).
    for item in path_items.values():
        for operation in item.values():
            operation["responses"]["414"] = json_error(
                414, f"The URL (path and query) is over {settings.max_url_bytes} bytes."
            )
            operation["responses"]["431"] = json_error(
                431, f"The request headers are over {settings.max_header_bytes} bytes."
            )
    partition = settings.partition
    if not partition.everything:
        # Refused before any route too (PartitionGuard): other partitions' accounts.
        for path, item in path_items.items():
            if "/account/{accountId}" in path and path != DISCOVERY_PATH:
                for operation in item.values():
                    operation["responses"]["421"] = json_error(
                        421,
                        f"The account belongs to another partition than this server's "
                        f"({partition}); send the request through the load balancer.",
                    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Agent Activity",
            "version": "1",
            "description": (
                "Agent state distribution, drop-in compatible with the reference "
                "Agent Activity API; see docs/api.md for the decisions behind each rule. "
                "Errors are JSON `{status, error, message, details?}` and are never wrapped "
                "in the `v=2` envelope."
            ),
        },
        "paths": path_items,
        "components": {
            "schemas": {
                **activity_schemas(settings),
                **state_schemas(),
                **reason_schemas(),
                **directory_schemas(),
                **status_change_schemas(),
            },
            "securitySchemes": {
                "OAuth1": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": (
                        "OAuth 1.0a (RFC 5849), which OpenAPI has no scheme for: an "
                        "`Authorization: OAuth ...` header signed with HMAC-SHA1 or "
                        "HMAC-SHA256 from the app key/secret and access token/secret, as "
                        "requests_oauthlib.OAuth1 sends it. Timestamps within ±300 s; each "
                        "nonce once. JSON and NDJSON bodies are not signed."
                    ),
                },
                **DASHBOARD_SECURITY_SCHEMES,
                **FIREHOSE_SECURITY_SCHEMES,
            },
        },
    }


async def openapi_endpoint(request: Request) -> Response:
    """`GET /openapi.json`: the document for this app's settings and routes (no auth)."""
    app = request.app
    paths = {route.path for route in app.routes if isinstance(route, Route)}
    document = build_openapi(app.state.service.settings, paths)
    return json_response(document)
