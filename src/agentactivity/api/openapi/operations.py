"""The API's path items: ingest, Agent Activity, agent state and service discovery."""

from __future__ import annotations

from agentactivity.api.openapi.common import (
    BLANK,
    NDJSON,
    READ_SECURITY,
    SECURITY,
    JSONObject,
    account_id_parameter,
    body_timeout,
    json_content,
    json_error,
    parameter,
    query_values,
    read_auth_errors,
    ref,
    retry_after,
    store_unavailable,
)
from agentactivity.api.paths import DISCOVERABLE_SERVICES
from agentactivity.clock import MINUTE_MS
from agentactivity.events import MAX_AGENT_ID
from agentactivity.settings import Settings


def ingest_path_item(settings: Settings) -> JSONObject:
    return {
        "post": {
            "operationId": "ingestEvents",
            "summary": "Ingest a batch of agent events",
            "description": (
                'A JSON array of events, `{"events": [...]}`, or NDJSON (one event a line; '
                "`application/ndjson` and `application/jsonlines` are read as NDJSON too). "
                "The batch is atomic and idempotent (by `eventId`)."
            ),
            "security": SECURITY,
            "parameters": [account_id_parameter()],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                ref("EventList"),
                                {
                                    "type": "object",
                                    "required": ["events"],
                                    "properties": {"events": ref("EventList")},
                                },
                            ]
                        }
                    },
                    NDJSON: {
                        "schema": {
                            "type": "string",
                            "description": "One JSON event per line; blank lines are skipped.",
                        }
                    },
                },
            },
            "responses": {
                "200": {
                    "description": "Every accepted event is durable and visible to queries.",
                    "content": json_content(ref("IngestResult")),
                },
                "400": json_error(
                    400, "Not JSON, or invalid events; nothing stored.", "IngestError"
                ),
                "401": json_error(401, "Missing or bad OAuth 1.0a signature."),
                "403": json_error(
                    403, "Credentials of another account, or without `ingest` scope."
                ),
                "404": json_error(404, "Malformed account id."),
                "408": body_timeout(settings),
                "413": json_error(
                    413,
                    f"More than {settings.max_batch_events} events, or a body over "
                    f"{settings.max_body_bytes} bytes; nothing stored.",
                ),
                "503": store_unavailable(),
            },
        }
    }


def _agent_ids(settings: Settings) -> str:
    """What `agentIds` of a query (Agent Activity, agent state) may be."""
    return (
        "`all` (any case), or a comma-separated list of agent ids "
        f"(1 to {MAX_AGENT_ID}; spaces around items allowed; duplicates ignored; at "
        f"most {settings.max_agent_ids} distinct ids, else 400)."
    )


def agent_group_ids(settings: Settings, narrows: str) -> str:
    """What `agentGroupIds` of a query (Agent Activity, agent state, stream) does."""
    return (
        f"Only {narrows} of the members of these agent groups and of all their descendant "
        "groups, within `agentIds`: a comma-separated list of group ids (`-1`, the root, "
        f"holds every agent; at most {settings.max_agent_ids} distinct ids). An unknown or "
        "deleted group id is a 400 naming `agentGroupIds`."
    )


def _query_refusals(settings: Settings) -> JSONObject:
    """The refusals of a query (Agent Activity, agent state), 400 to 503."""
    return {
        "400": json_error(400, "A parameter breaks a rule; all problems are listed.", "QueryError"),
        **read_auth_errors(),
        "404": json_error(404, "Malformed account id."),
        "429": retry_after(
            json_error(
                429,
                f"More than {settings.max_concurrent_queries} queries of the account in "
                f"progress, or more than {settings.query_rate_per_second} a second.",
            )
        ),
        "503": store_unavailable(),
    }


def activity_path_item(settings: Settings) -> JSONObject:
    max_tf = settings.max_timeframe_minutes
    history_min = settings.history_ms // MINUTE_MS
    descriptions = {
        "timeframe": f"Window length in whole minutes, 1 to {max_tf}.",
        "agentIds": _agent_ids(settings),
        "v": "1: the payload; 2: the payload in `{meta, body}`.",
        "interval": (
            "Per-interval figures: whole minutes, at least 5, at most `timeframe` and a "
            "divisor of it (else 400)."
        ),
        "to": (
            "End of the window, epoch ms (default: now). Not in the future, and "
            f"`to - timeframe` at most {history_min} minutes (the history) back, else 400. "
            "Windows older than the live window are read from the store."
        ),
        "totals": (
            "Fill `metricsTotals` with the sum over the agents listed "
            "(`true`/`false` in any case, `1`/`0`)."
        ),
        "agentGroupIds": agent_group_ids(settings, "the figures"),
        "groupTotals": (
            "Add `metricsPerGroup` to every scope: per agent group with an agent listed "
            "in the scope (its own members or its descendants'), the sum over those agents, "
            "as `metricsTotals` sums (`true`/`false` in any case, `1`/`0`)."
        ),
    }
    values = query_values(settings)
    parameters = [account_id_parameter()]
    for name, options in values.items():
        required = BLANK not in options
        parameters.append(
            parameter(
                "query",
                name,
                descriptions[name]
                + " Spaces around the value are ignored"
                + ("." if required else "; blank means absent."),
                options[0] if len(options) == 1 else {"anyOf": options},
                required=required,
            )
        )
    responses = {
        "200": {
            "description": "Figures of the window (and of each interval with `interval`); "
            "with `v=2` wrapped in `{meta, body}`.",
            "content": json_content({"oneOf": [ref("Activity"), ref("ActivityV2")]}),
        },
        **_query_refusals(settings),
    }
    description = (
        "How each agent's logged-in time in the window [to - timeframe, to) splits between "
        "states, chatting and not chatting, and at full chat capacity."
    )
    post_responses = {
        **responses,
        "408": body_timeout(settings),
        "413": json_error(413, f"A body over {settings.max_body_bytes} bytes."),
    }
    return {
        "get": {
            "operationId": "getAgentActivity",
            "summary": "Agent state distribution",
            "description": description,
            "security": READ_SECURITY,
            "parameters": parameters,
            "responses": responses,
        },
        "post": {
            "operationId": "postAgentActivity",
            "summary": "Agent state distribution (parameters in a JSON body)",
            "description": description
            + " Parameters may also be given in the query string; the body wins.",
            "security": READ_SECURITY,
            "parameters": [account_id_parameter()],
            "requestBody": {"required": True, "content": json_content(ref("ActivityQuery"))},
            "responses": post_responses,
        },
    }


def agent_state_path_item(settings: Settings) -> JSONObject:
    retention_min = settings.retention_ms // MINUTE_MS
    values = query_values(settings)
    return {
        "get": {
            "operationId": "getAgentState",
            "summary": "Current state of each agent",
            "description": "Each agent with an event in the retention window ending at "
            "`asOf` (with an id list: those among them), as every event with `time <= asOf` "
            "leaves it.",
            "security": READ_SECURITY,
            "parameters": [
                account_id_parameter(),
                parameter(
                    "query",
                    "agentIds",
                    _agent_ids(settings),
                    values["agentIds"][0],
                ),
                parameter(
                    "query",
                    "to",
                    "The instant `asOf`, epoch ms (default: now). Not in the "
                    f"future and at most {retention_min} minutes (the retention) back, else "
                    "400; blank means absent.",
                    {"anyOf": values["to"]},
                    required=False,
                ),
                parameter(
                    "query",
                    "agentGroupIds",
                    agent_group_ids(settings, "the state") + " Blank means absent.",
                    {"anyOf": values["agentGroupIds"]},
                    required=False,
                ),
            ],
            "responses": {
                "200": {
                    "description": "The agents' state at `asOf`.",
                    "content": json_content(ref("AgentStates")),
                },
                **_query_refusals(settings),
            },
        }
    }


def discovery_path_item() -> JSONObject:
    return {
        "get": {
            "operationId": "discoverBaseUri",
            "summary": "Domain discovery: where this service is reached",
            "description": "No authentication. `baseURI` is the configured public base URI, "
            "else the request's `Host`.",
            "security": [],
            "parameters": [
                account_id_parameter(),
                parameter(
                    "path",
                    "serviceName",
                    "`leDataReporting` (Agent Activity), "
                    "`accountConfigReadOnly` and `accountConfigReadWrite` (status reasons, "
                    "users, agent groups), `agentActivityDomain` (status changes) are served; "
                    "other names are 404.",
                    {"type": "string", "enum": list(DISCOVERABLE_SERVICES)},
                ),
                parameter(
                    "query",
                    "version",
                    "Accepted and ignored (clients send `1.0`).",
                    {"type": "string"},
                    required=False,
                ),
            ],
            "responses": {
                "200": {
                    "description": "The service's base URI.",
                    "content": json_content(ref("Discovery")),
                },
                "404": json_error(404, "Malformed account id or unknown service name."),
            },
        }
    }
