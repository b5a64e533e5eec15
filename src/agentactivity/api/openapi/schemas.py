"""The component schemas: events, errors, Agent Activity entries and metrics (agent state:
state.py)."""

from __future__ import annotations

from agentactivity.api.openapi.common import (
    AGENT_ID_ITEM,
    GROUP_ID_ITEM,
    NULL,
    JSONObject,
    closed_object,
    integer_range_pattern,
    query_values,
    ref,
)
from agentactivity.api.paths import DISCOVERABLE_SERVICES
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


def activity_schemas(settings: Settings) -> JSONObject:
    names = settings.state_names
    figures = closed_object(
        ["total", "chatting", "notChatting", "chattingInMaxConcurrency"],
        {
            "total": {"type": "integer", "minimum": 0},
            "chatting": {"type": "integer", "minimum": 0},
            "notChatting": {"type": "integer", "minimum": 0},
            "chattingInMaxConcurrency": {"type": "integer", "minimum": 0},
        },
        description="Whole seconds, each rounded down on its own.",
    )

    def entry(state_id: int, name: str, reasons: bool = False) -> JSONObject:
        properties: JSONObject = {
            "id": {"const": state_id},
            "name": {"const": name},
            "value": ref("Figures"),
        }
        required = ["id", "name", "value"]
        if reasons:
            properties["reasons"] = {
                "type": "array",
                "description": "Per Away reason: by total descending, then by id.",
                "items": ref("ReasonFigures"),
            }
            required.insert(0, "reasons")
        return closed_object(required, properties)

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
            "oneOf": [{"type": "string", "minLength": 1, "maxLength": MAX_EVENT_ID_LEN}, NULL],
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

    agents_metrics = closed_object(
        ["metricsPerAgent", "metricsTotals"],
        {
            "metricsPerAgent": {
                "type": "object",
                "description": "Agents logged in during the scope, by id in ascending order.",
                "propertyNames": {"pattern": f"^{integer_range_pattern(1, MAX_AGENT_ID)}$"},
                "additionalProperties": ref("StateEntries"),
            },
            "metricsPerGroup": {
                "type": "object",
                "description": "Only with `groupTotals=true`: per agent group with an agent "
                "listed in the scope (its own members and its descendants'), the sum over "
                "those agents; the root `-1` whenever anyone is listed. By group id in "
                "ascending numeric order.",
                "propertyNames": {"pattern": "^(?:-1|[0-9]{1,19})$"},
                "additionalProperties": ref("StateEntries"),
            },
            "metricsTotals": {
                "description": "Empty unless `totals=true`; then the sum over the agents listed.",
                "oneOf": [{"type": "array", "maxItems": 0}, ref("StateEntries")],
            },
        },
    )
    activity = closed_object(
        ["agentsMetrics"],
        {
            "metricsByIntervals": {
                "type": "array",
                "description": "Only with `interval`: newest first; `timestamp` is the "
                "unclipped end of the interval (epoch ms, a whole minute).",
                "items": closed_object(
                    ["timestamp", "metricsData"],
                    {
                        "timestamp": {"type": "integer", "multipleOf": 60_000},
                        "metricsData": closed_object(
                            ["agentsMetrics"], {"agentsMetrics": ref("AgentsMetrics")}
                        ),
                    },
                ),
            },
            "agentsMetrics": ref("AgentsMetrics"),
        },
    )

    values = query_values(settings)
    optional = {"interval", "to", "totals", "agentGroupIds", "groupTotals"}
    group_id_number = {"type": "integer", "minimum": -1, "maximum": 2**63 - 1}
    query_body = {
        "type": "object",
        "description": "The parameters of the GET form, as strings or numbers; "
        "`null` or a blank string means absent; unknown fields are ignored.",
        "required": sorted(set(values) - optional),
        "properties": {
            **{
                name: {"anyOf": [*options, *([NULL] if name in optional else [])]}
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
                                {"type": "string", "pattern": f"^{AGENT_ID_ITEM}$"},
                            ]
                        },
                    },
                ],
            },
            "totals": {
                "anyOf": [{"type": "boolean"}, {"enum": [0, 1]}, *values["totals"][1:], NULL]
            },
            "agentGroupIds": {
                "anyOf": [
                    *values["agentGroupIds"],
                    group_id_number,
                    {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "anyOf": [
                                group_id_number,
                                {"type": "string", "pattern": f"^{GROUP_ID_ITEM}$"},
                            ]
                        },
                    },
                    NULL,
                ],
            },
            "groupTotals": {
                "anyOf": [
                    {"type": "boolean"},
                    {"enum": [0, 1]},
                    *values["groupTotals"][1:],
                    NULL,
                ]
            },
        },
    }

    return {
        "Error": closed_object(
            ["status", "error", "message"],
            {
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
                    "items": {
                        "oneOf": [{"type": "string"}, ref("EventProblem"), ref("FieldProblem")]
                    },
                },
            },
        ),
        "QueryError": {
            "description": "A refused query: `details` lists every problem when there are several.",
            "allOf": [
                ref("Error"),
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
                ref("Error"),
                {"properties": {"details": {"type": "array", "items": ref("EventProblem")}}},
            ],
        },
        "EventProblem": closed_object(
            ["index", "message"],
            {
                "index": {"type": "integer", "minimum": 0},
                "message": {"type": "string", "minLength": 1},
            },
        ),
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
                    {"state": {"const": "AWAY"}, "reasonId": {"oneOf": [reason_id, NULL]}},
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
            "items": ref("Event"),
        },
        "IngestResult": closed_object(
            ["accepted", "duplicates"],
            {
                "accepted": {"type": "integer", "minimum": 0},
                "duplicates": {"type": "integer", "minimum": 0},
            },
        ),
        "Figures": figures,
        "ReasonFigures": closed_object(
            ["id", "value"], {"id": {"type": "string"}, "value": ref("Figures")}
        ),
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
        "ActivityV2": closed_object(
            ["meta", "body"],
            {
                "meta": closed_object(["responseCode"], {"responseCode": {"const": 200}}),
                "body": ref("Activity"),
            },
            description="The `v=2` envelope.",
        ),
        "ActivityQuery": query_body,
        "Discovery": closed_object(
            ["service", "account", "baseURI"],
            {
                "service": {"enum": list(DISCOVERABLE_SERVICES)},
                "account": {"type": "string"},
                "baseURI": {"type": "string", "description": "host[:port]"},
            },
        ),
    }
