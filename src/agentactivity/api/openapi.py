"""The OpenAPI 3.1 description of the HTTP API, served at `GET /openapi.json`.

Built from the running service's settings (limits, state names), so the document tells a
client the bounds this deployment enforces. Schemas are as tight as JSON Schema allows
(the tests run schemathesis against them); what JSON Schema cannot say (an event's time
inside the retention window, `interval` dividing `timeframe`, `to` not in the future,
at most N distinct agent ids) is written in the descriptions and answered with 400.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agentactivity.events import (
    EVENT_TYPES,
    FUTURE_TOLERANCE_MS,
    MAX_AGENT_ID,
    MAX_CHAT_ID_LEN,
    MAX_CHATS_LIMIT,
    MAX_EVENT_ID_LEN,
    MAX_REASON_ID_LEN,
    STATES,
)
from agentactivity.settings import Settings

OPENAPI_PATH = "/openapi.json"
EVENTS_PATH = "/api/account/{accountId}/events"
ACTIVITY_PATH = "/operations/api/account/{accountId}/agentactivity"
DISCOVERY_PATH = "/api/account/{accountId}/service/{serviceName}/baseURI.json"
STATE_PATH = "/api/account/{accountId}/agents/state"
DISCOVERABLE_SERVICES = ("leDataReporting",)
NDJSON = "application/x-ndjson"

JSONObject = dict[str, Any]

# What Python's str.strip() removes (str.isspace()), spelled out: ECMA-262's `\s` differs
# (it has U+FEFF, lacks U+001C..U+001F and U+0085). The server trims values with strip().
_WS = (
    "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)


# --- integer ranges as regular expressions (for numbers sent as JSON strings) ---------------


def _digit_class(low: int, high: int) -> str:
    return str(low) if low == high else f"[{low}-{high}]"


def _same_length(low: str, high: str) -> str:
    """A regex matching the decimal numbers from `low` to `high`, both of the same length."""
    if not low:
        return ""
    if low[0] == high[0]:
        return low[0] + _group(_same_length(low[1:], high[1:]))
    rest = len(low) - 1
    options = []
    first = int(low[0])
    if low[1:] != "0" * rest:
        options.append(low[0] + _group(_same_length(low[1:], "9" * rest)))
        first += 1
    last = int(high[0])
    tail = None
    if high[1:] != "9" * rest:
        tail = high[0] + _group(_same_length("0" * rest, high[1:]))
        last -= 1
    if first <= last:
        options.append(_digit_class(first, last) + (f"[0-9]{{{rest}}}" if rest else ""))
    if tail is not None:
        options.append(tail)
    return "|".join(options)


def _group(pattern: str) -> str:
    return f"(?:{pattern})" if "|" in pattern else pattern


def integer_range_pattern(low: int, high: int) -> str:
    """A regex (no anchors) matching `low`..`high` (0 <= low <= high) without leading zeros."""
    if not 0 <= low <= high:
        raise ValueError(f"bad range {low}..{high}")
    options = []
    for length in range(len(str(low)), len(str(high)) + 1):
        start = max(low, 10 ** (length - 1) if length > 1 else 0)
        end = min(high, 10**length - 1)
        if start <= end:
            options.append(_same_length(str(start), str(end)))
    return "(?:" + "|".join(options) + ")"


def _whole_number_string(low: int, high: int) -> JSONObject:
    """A whole number in a JSON string, as the query parser reads one (`" +060 "`)."""
    return {
        "type": "string",
        "pattern": f"^{_WS}*\\+?0*{integer_range_pattern(low, high)}{_WS}*$",
    }


_BLANK: JSONObject = {"type": "string", "pattern": f"^{_WS}*$", "description": "means absent"}
_NULL: JSONObject = {"type": "null", "description": "means absent"}
_AGENT_ID_ITEM = f"{_WS}*0*{integer_range_pattern(1, MAX_AGENT_ID)}{_WS}*"
_AGENT_IDS_TEXT = f"^{_WS}*(?:[Aa][Ll][Ll]{_WS}*|{_AGENT_ID_ITEM}(?:,{_AGENT_ID_ITEM})*)$"


# --- building blocks --------------------------------------------------------------------------


def _ref(name: str) -> JSONObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: JSONObject) -> JSONObject:
    return {"application/json": {"schema": schema}}


def _error(status: int, description: str, schema: str = "Error") -> JSONObject:
    """A response carrying the JSON error body, with its status and reason phrase pinned."""
    return {
        "description": description,
        "content": _json(
            {
                "allOf": [
                    _ref(schema),
                    {
                        "properties": {
                            "status": {"const": status},
                            "error": {"const": HTTPStatus(status).phrase},
                        }
                    },
                ]
            }
        ),
    }


def _retry_after(response: JSONObject) -> JSONObject:
    return {
        **response,
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    }


def _store_unavailable() -> JSONObject:
    return _retry_after(_error(503, "The store is unavailable (say, locked); retry."))


def _body_timeout(settings: Settings) -> JSONObject:
    return _error(408, f"The body did not arrive within {settings.body_timeout_seconds:g} s.")


def _account_id() -> JSONObject:
    return {
        "name": "accountId",
        "in": "path",
        "required": True,
        "description": "The account: 1 to 64 letters, digits, `-` or `_` (anything else is 404).",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
    }


SECURITY: list[dict[str, list[str]]] = [{"OAuth1": []}]


def _query_values(settings: Settings) -> dict[str, list[JSONObject]]:
    """What each Agent Activity parameter may be, in a query string (so, as text); the
    optional ones may also be blank (= absent)."""
    max_tf = settings.max_timeframe_minutes
    return {
        "timeframe": [
            {"type": "integer", "minimum": 1, "maximum": max_tf},
            _whole_number_string(1, max_tf),
        ],
        "agentIds": [{"type": "string", "pattern": _AGENT_IDS_TEXT}],
        "v": [{"type": "integer", "enum": [1, 2]}, _whole_number_string(1, 2)],
        "interval": [
            {"type": "integer", "minimum": 5, "maximum": max_tf},
            _whole_number_string(5, max_tf),
            _BLANK,
        ],
        "to": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "pattern": f"^{_WS}*\\+?[0-9]+{_WS}*$"},
            _BLANK,
        ],
        "totals": [
            {"type": "boolean"},
            {
                "type": "string",
                "pattern": f"^{_WS}*(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[01]){_WS}*$",
            },
            _BLANK,
        ],
    }


def _schemas(settings: Settings) -> JSONObject:
    names = settings.state_names
    figures = {
        "type": "object",
        "description": "Whole seconds, each rounded down on its own.",
        "required": ["total", "chatting", "notChatting", "chattingInMaxConcurrency"],
        "additionalProperties": False,
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "chatting": {"type": "integer", "minimum": 0},
            "notChatting": {"type": "integer", "minimum": 0},
            "chattingInMaxConcurrency": {"type": "integer", "minimum": 0},
        },
    }

    def entry(state_id: int, name: str, reasons: bool = False) -> JSONObject:
        properties: JSONObject = {
            "id": {"const": state_id},
            "name": {"const": name},
            "value": _ref("Figures"),
        }
        required = ["id", "name", "value"]
        if reasons:
            properties["reasons"] = {
                "type": "array",
                "description": "Per Away reason: by total descending, then by id.",
                "items": _ref("ReasonFigures"),
            }
            required.insert(0, "reasons")
        return {
            "type": "object",
            "required": required,
            "additionalProperties": False,
            "properties": properties,
        }

    agent_id_number = {"type": "integer", "minimum": 1, "maximum": MAX_AGENT_ID}
    common = {
        "agentId": {
            "description": f"1 to {MAX_AGENT_ID}, as a number or a string of digits.",
            "oneOf": [
                agent_id_number,
                {
                    "type": "string",
                    "pattern": f"^(?=[0-9]{{1,19}}$)0*{integer_range_pattern(1, MAX_AGENT_ID)}$",
                },
            ],
        },
        "time": {
            "type": "integer",
            "description": (
                "Epoch milliseconds, UTC. Must lie inside the retention window "
                f"({settings.retention_days:g} days back) and at most "
                f"{FUTURE_TOLERANCE_MS // 1000} s ahead of the server clock, else 400."
            ),
        },
        "eventId": {
            "description": "The idempotency key within the account; derived from the "
            "content when absent.",
            "oneOf": [{"type": "string", "minLength": 1, "maxLength": MAX_EVENT_ID_LEN}, _NULL],
        },
    }
    absent = {"type": "null", "description": "Belongs to another event type: absent or null."}

    def event(
        title: str, types: list[str], own: JSONObject, foreign: list[str], required: list[str]
    ) -> JSONObject:
        properties: JSONObject = {
            "type": {"enum": types} if len(types) > 1 else {"const": types[0]},
            **common,
            **own,
        }
        for name in foreign:
            properties[name] = absent
        return {
            "title": title,
            "type": "object",
            "required": ["type", "agentId", "time", *required],
            "properties": properties,
            "description": "Unknown extra fields are ignored.",
        }

    reason_id = {"type": "string", "minLength": 1, "maxLength": MAX_REASON_ID_LEN}
    chat_id = {"type": "string", "minLength": 1, "maxLength": MAX_CHAT_ID_LEN}
    not_away = [s for s in STATES if s != "AWAY"]

    agents_metrics = {
        "type": "object",
        "required": ["metricsPerAgent", "metricsTotals"],
        "additionalProperties": False,
        "properties": {
            "metricsPerAgent": {
                "type": "object",
                "description": "Agents logged in during the scope, by id in ascending order.",
                "propertyNames": {"pattern": f"^{integer_range_pattern(1, MAX_AGENT_ID)}$"},
                "additionalProperties": _ref("StateEntries"),
            },
            "metricsTotals": {
                "description": "Empty unless `totals=true`; then the sum over the agents listed.",
                "oneOf": [{"type": "array", "maxItems": 0}, _ref("StateEntries")],
            },
        },
    }
    activity = {
        "type": "object",
        "required": ["agentsMetrics"],
        "additionalProperties": False,
        "properties": {
            "metricsByIntervals": {
                "type": "array",
                "description": "Only with `interval`: newest first; `timestamp` is the "
                "unclipped end of the interval (epoch ms, a whole minute).",
                "items": {
                    "type": "object",
                    "required": ["timestamp", "metricsData"],
                    "additionalProperties": False,
                    "properties": {
                        "timestamp": {"type": "integer", "multipleOf": 60_000},
                        "metricsData": {
                            "type": "object",
                            "required": ["agentsMetrics"],
                            "additionalProperties": False,
                            "properties": {"agentsMetrics": _ref("AgentsMetrics")},
                        },
                    },
                },
            },
            "agentsMetrics": _ref("AgentsMetrics"),
        },
    }

    values = _query_values(settings)
    optional = {"interval", "to", "totals"}
    query_body = {
        "type": "object",
        "description": "The parameters of the GET form, as strings or numbers; "
        "`null` or a blank string means absent; unknown fields are ignored.",
        "required": sorted(set(values) - optional),
        "properties": {
            **{
                name: {"anyOf": [*options, *([_NULL] if name in optional else [])]}
                for name, options in values.items()
            },
            "agentIds": {
                "anyOf": [
                    *values["agentIds"],
                    agent_id_number,
                    {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "anyOf": [
                                agent_id_number,
                                {"type": "string", "pattern": f"^{_AGENT_ID_ITEM}$"},
                            ]
                        },
                    },
                ],
            },
            "totals": {
                "anyOf": [{"type": "boolean"}, {"enum": [0, 1]}, *values["totals"][1:], _NULL]
            },
        },
    }

    return {
        "Error": {
            "type": "object",
            "required": ["status", "error", "message"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "error": {"type": "string", "description": "The HTTP reason phrase."},
                "message": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The (first) problem; names the parameter or field at fault.",
                },
                "details": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"oneOf": [{"type": "string"}, _ref("EventProblem")]},
                },
            },
        },
        "QueryError": {
            "description": "A refused query: `details` lists every problem when there are several.",
            "allOf": [
                _ref("Error"),
                {
                    "properties": {
                        "details": {"type": "array", "minItems": 2, "items": {"type": "string"}}
                    }
                },
            ],
        },
        "IngestError": {
            "description": "A refused batch (nothing stored). When events are invalid, "
            "`details` lists each with its index in the batch and the first rule it breaks.",
            "allOf": [
                _ref("Error"),
                {"properties": {"details": {"type": "array", "items": _ref("EventProblem")}}},
            ],
        },
        "EventProblem": {
            "type": "object",
            "required": ["index", "message"],
            "additionalProperties": False,
            "properties": {
                "index": {"type": "integer", "minimum": 0},
                "message": {"type": "string", "minLength": 1},
            },
        },
        "Event": {
            "description": "One timestamped fact about one agent.",
            "oneOf": [
                event(
                    "StateEvent",
                    ["state"],
                    {"state": {"enum": not_away}, "reasonId": absent},
                    ["chatId", "maxChats"],
                    ["state"],
                ),
                event(
                    "AwayEvent",
                    ["state"],
                    {"state": {"const": "AWAY"}, "reasonId": {"oneOf": [reason_id, _NULL]}},
                    ["chatId", "maxChats"],
                    ["state"],
                ),
                event(
                    "ChatEvent",
                    [t for t in EVENT_TYPES if t.startswith("chat_")],
                    {"chatId": chat_id},
                    ["state", "reasonId", "maxChats"],
                    ["chatId"],
                ),
                event(
                    "MaxChatsEvent",
                    ["max_chats"],
                    {
                        "maxChats": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": MAX_CHATS_LIMIT,
                            "description": "0 means no limit.",
                        }
                    },
                    ["state", "reasonId", "chatId"],
                    ["maxChats"],
                ),
            ],
        },
        "EventList": {
            "type": "array",
            "maxItems": settings.max_batch_events,
            "description": f"At most {settings.max_batch_events} events (more is 413).",
            "items": _ref("Event"),
        },
        "IngestResult": {
            "type": "object",
            "required": ["accepted", "duplicates"],
            "additionalProperties": False,
            "properties": {
                "accepted": {"type": "integer", "minimum": 0},
                "duplicates": {"type": "integer", "minimum": 0},
            },
        },
        "Figures": figures,
        "ReasonFigures": {
            "type": "object",
            "required": ["id", "value"],
            "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "value": _ref("Figures")},
        },
        "StateEntries": {
            "type": "array",
            "description": "Online, Back soon, Away (with reasons) and Logged in, in this "
            "order; the ids are the stable keys, the names are configurable.",
            "prefixItems": [
                entry(2, names.online),
                entry(3, names.back_soon),
                entry(4, names.away, reasons=True),
                entry(-1, names.logged_in),
            ],
            "minItems": 4,
            "items": False,
        },
        "AgentsMetrics": agents_metrics,
        "Activity": activity,
        "ActivityV2": {
            "type": "object",
            "description": "The `v=2` envelope.",
            "required": ["meta", "body"],
            "additionalProperties": False,
            "properties": {
                "meta": {
                    "type": "object",
                    "required": ["responseCode"],
                    "additionalProperties": False,
                    "properties": {"responseCode": {"const": 200}},
                },
                "body": _ref("Activity"),
            },
        },
        "ActivityQuery": query_body,
        "Discovery": {
            "type": "object",
            "required": ["service", "account", "baseURI"],
            "additionalProperties": False,
            "properties": {
                "service": {"enum": list(DISCOVERABLE_SERVICES)},
                "account": {"type": "string"},
                "baseURI": {"type": "string", "description": "host[:port]"},
            },
        },
    }


def _ingest(settings: Settings) -> JSONObject:
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
            "parameters": [_account_id()],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                _ref("EventList"),
                                {
                                    "type": "object",
                                    "required": ["events"],
                                    "properties": {"events": _ref("EventList")},
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
                    "content": _json(_ref("IngestResult")),
                },
                "400": _error(400, "Not JSON, or invalid events; nothing stored.", "IngestError"),
                "401": _error(401, "Missing or bad OAuth 1.0a signature."),
                "403": _error(403, "Credentials of another account, or without `ingest` scope."),
                "404": _error(404, "Malformed account id."),
                "408": _body_timeout(settings),
                "413": _error(
                    413,
                    f"More than {settings.max_batch_events} events, or a body over "
                    f"{settings.max_body_bytes} bytes; nothing stored.",
                ),
                "503": _store_unavailable(),
            },
        }
    }


def _activity(settings: Settings) -> JSONObject:
    max_tf = settings.max_timeframe_minutes
    retention_min = settings.retention_ms // 60_000
    descriptions = {
        "timeframe": f"Window length in whole minutes, 1 to {max_tf}.",
        "agentIds": (
            "`all` (any case), or a comma-separated list of agent ids "
            f"(1 to {MAX_AGENT_ID}; spaces around items allowed; duplicates ignored; at "
            f"most {settings.max_agent_ids} distinct ids, else 400)."
        ),
        "v": "1: the payload; 2: the payload in `{meta, body}`.",
        "interval": (
            "Per-interval figures: whole minutes, at least 5, at most `timeframe` and a "
            "divisor of it (else 400)."
        ),
        "to": (
            "End of the window, epoch ms (default: now). Not in the future, and "
            f"`to - timeframe` at most {retention_min} minutes (the retention) back, else 400."
        ),
        "totals": (
            "Fill `metricsTotals` with the sum over the agents listed "
            "(`true`/`false` in any case, `1`/`0`)."
        ),
    }
    values = _query_values(settings)
    parameters = [_account_id()]
    for name, options in values.items():
        required = _BLANK not in options
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": required,
                "description": descriptions[name]
                + " Spaces around the value are ignored"
                + ("." if required else "; blank means absent."),
                "schema": options[0] if len(options) == 1 else {"anyOf": options},
            }
        )
    responses = {
        "200": {
            "description": "Figures of the window (and of each interval with `interval`); "
            "with `v=2` wrapped in `{meta, body}`.",
            "content": _json({"oneOf": [_ref("Activity"), _ref("ActivityV2")]}),
        },
        "400": _error(400, "A parameter breaks a rule; all problems are listed.", "QueryError"),
        "401": _error(401, "Missing or bad OAuth 1.0a signature."),
        "403": _error(403, "Credentials of another account, or without `read` scope."),
        "404": _error(404, "Malformed account id."),
        "429": _retry_after(
            _error(
                429,
                f"More than {settings.max_concurrent_queries} queries of the account in "
                f"progress, or more than {settings.query_rate_per_second} a second.",
            )
        ),
        "503": _store_unavailable(),
    }
    description = (
        "How each agent's logged-in time in the window [to - timeframe, to) splits between "
        "states, chatting and not chatting, and at full chat capacity."
    )
    post_responses = {
        **responses,
        "408": _body_timeout(settings),
        "413": _error(413, f"A body over {settings.max_body_bytes} bytes."),
    }
    return {
        "get": {
            "operationId": "getAgentActivity",
            "summary": "Agent state distribution",
            "description": description,
            "security": SECURITY,
            "parameters": parameters,
            "responses": responses,
        },
        "post": {
            "operationId": "postAgentActivity",
            "summary": "Agent state distribution (parameters in a JSON body)",
            "description": description
            + " Parameters may also be given in the query string; the body wins.",
            "security": SECURITY,
            "parameters": [_account_id()],
            "requestBody": {"required": True, "content": _json(_ref("ActivityQuery"))},
            "responses": post_responses,
        },
    }


def _state_schemas() -> JSONObject:
    ms = {"type": "integer", "description": "Epoch milliseconds."}
    nullable_ms = {"type": ["integer", "null"], "description": "Epoch milliseconds, or null."}
    return {
        "AgentState": {
            "type": "object",
            "description": "An agent's situation after every event with `time <= asOf`.",
            "required": [
                "state",
                "reasonId",
                "reasonName",
                "since",
                "loggedInSince",
                "activeChats",
                "maxChats",
                "atMaxConcurrency",
            ],
            "additionalProperties": False,
            "properties": {
                "state": {"enum": list(STATES)},
                "reasonId": {
                    "type": ["string", "null"],
                    "description": "Only while `AWAY` with a reason, else null.",
                },
                "reasonName": {
                    "type": ["string", "null"],
                    "description": "The reason's name; always null for now.",
                },
                "since": {
                    **nullable_ms,
                    "description": "When the current (state, reason) began; null if no "
                    "`state` event has changed them yet.",
                },
                "loggedInSince": {
                    **nullable_ms,
                    "description": "When the current login began; null while `OFFLINE`.",
                },
                "activeChats": {"type": "integer", "minimum": 0},
                "maxChats": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_CHATS_LIMIT,
                    "description": "0 = no limit.",
                },
                "atMaxConcurrency": {"type": "boolean"},
            },
        },
        "AgentStates": {
            "type": "object",
            "required": ["asOf", "agents"],
            "additionalProperties": False,
            "properties": {
                "asOf": ms,
                "agents": {
                    "type": "object",
                    "description": "By agent id, in ascending numeric order.",
                    "propertyNames": {"pattern": "^[1-9][0-9]{0,18}$"},
                    "additionalProperties": _ref("AgentState"),
                },
            },
        },
    }


def _agent_state(settings: Settings) -> JSONObject:
    retention_min = settings.retention_ms // 60_000
    values = _query_values(settings)
    return {
        "get": {
            "operationId": "getAgentState",
            "summary": "Current state of each agent",
            "description": "Each agent with an event in the retention window ending at "
            "`asOf` (with an id list: those among them), as every event with `time <= asOf` "
            "leaves it.",
            "security": SECURITY,
            "parameters": [
                _account_id(),
                {
                    "name": "agentIds",
                    "in": "query",
                    "required": True,
                    "description": "`all` (any case), or a comma-separated list of agent ids "
                    f"(1 to {MAX_AGENT_ID}; spaces around items allowed; duplicates ignored; "
                    f"at most {settings.max_agent_ids} distinct ids, else 400).",
                    "schema": values["agentIds"][0],
                },
                {
                    "name": "to",
                    "in": "query",
                    "required": False,
                    "description": "The instant `asOf`, epoch ms (default: now). Not in the "
                    f"future and at most {retention_min} minutes (the retention) back, else "
                    "400; blank means absent.",
                    "schema": {"anyOf": values["to"]},
                },
            ],
            "responses": {
                "200": {
                    "description": "The agents' state at `asOf`.",
                    "content": _json(_ref("AgentStates")),
                },
                "400": _error(
                    400, "A parameter breaks a rule; all problems are listed.", "QueryError"
                ),
                "401": _error(401, "Missing or bad OAuth 1.0a signature."),
                "403": _error(403, "Credentials of another account, or without `read` scope."),
                "404": _error(404, "Malformed account id."),
                "429": _retry_after(
                    _error(
                        429,
                        f"More than {settings.max_concurrent_queries} queries of the account "
                        f"in progress, or more than {settings.query_rate_per_second} a second.",
                    )
                ),
                "503": _store_unavailable(),
            },
        }
    }


def _discovery() -> JSONObject:
    return {
        "get": {
            "operationId": "discoverBaseUri",
            "summary": "Domain discovery: where this service is reached",
            "description": "No authentication. `baseURI` is the configured public base URI, "
            "else the request's `Host`.",
            "security": [],
            "parameters": [
                _account_id(),
                {
                    "name": "serviceName",
                    "in": "path",
                    "required": True,
                    "description": "Only `leDataReporting` is served; other names are 404.",
                    "schema": {"type": "string", "enum": list(DISCOVERABLE_SERVICES)},
                },
                {
                    "name": "version",
                    "in": "query",
                    "required": False,
                    "description": "Accepted and ignored (clients send `1.0`).",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "The service's base URI.",
                    "content": _json(_ref("Discovery")),
                },
                "404": _error(404, "Malformed account id or unknown service name."),
            },
        }
    }


def _openapi_document() -> JSONObject:
    return {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1 document.",
                    "content": _json({"type": "object", "required": ["openapi", "info", "paths"]}),
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
                "content": _json(
                    {
                        "type": "object",
                        "required": ["status"],
                        "additionalProperties": False,
                        "properties": {"status": {"const": "ok"}},
                    }
                ),
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
                "content": _json(
                    {
                        "type": "object",
                        "required": ["status", "engineLagEvents"],
                        "additionalProperties": False,
                        "properties": {
                            "status": {"const": "ready"},
                            "engineLagEvents": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "Events committed by other processes while "
                                "this one caught up, not applied yet.",
                            },
                        },
                    }
                ),
            },
            "503": {
                "description": "Not ready: the store is unreachable.",
                "content": _json(
                    {
                        "type": "object",
                        "required": ["status", "reason"],
                        "additionalProperties": False,
                        "properties": {
                            "status": {"const": "not ready"},
                            "reason": {"type": "string"},
                        },
                    }
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
        EVENTS_PATH: _ingest(settings),
        ACTIVITY_PATH: _activity(settings),
        STATE_PATH: _agent_state(settings),
        DISCOVERY_PATH: _discovery(),
    }
    optional = {
        "/healthz": _healthz,
        "/readyz": _readyz,
        "/metrics": _metrics,
        OPENAPI_PATH: _openapi_document,
    }
    for path, build in optional.items():
        if served is None or path in served:
            path_items[path] = build()
    # Refused before any route is chosen, whatever the path (RequestLimits).
    for item in path_items.values():
        for operation in item.values():
            operation["responses"]["414"] = _error(
                414, f"The URL (path and query) is over {settings.max_url_bytes} bytes."
            )
            operation["responses"]["431"] = _error(
                431, f"The request headers are over {settings.max_header_bytes} bytes."
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
            "schemas": {**_schemas(settings), **_state_schemas()},
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
                }
            },
        },
    }


async def openapi_endpoint(request: Request) -> Response:
    """`GET /openapi.json`: the document for this app's settings and routes (no auth)."""
    app = request.app
    paths = {route.path for route in app.routes if isinstance(route, Route)}
    document = build_openapi(app.state.service.settings, paths)
    return Response(orjson.dumps(document), media_type="application/json")
