"""The Status Changes API's path item and schemas (SPEC section 9; api/status_changes.py,
api/status_params.py). The parameters are described as the parser reads them; the
rules between parameters and the server clock (from and to both or neither, at most 31
days apart, inside the history; at most one of agentId, empId and groupId; limit at most
100 in v1) are in the descriptions."""

from __future__ import annotations

from agentactivity.api.openapi.common import (
    BLANK,
    GROUP_ID_ITEM,
    READ_SECURITY,
    WS,
    JSONObject,
    _whole_number_string,
    account_id_parameter,
    closed_object,
    json_content,
    json_error,
    parameter,
    read_auth_errors,
    ref,
    retry_after,
    store_unavailable,
)
from agentactivity.api.status_params import MAX_EMPLOYEE_ID_CHARS, MAX_OFFSET, MAX_SOURCE_CHARS
from agentactivity.clock import RFC3339_PATTERN
from agentactivity.events import MAX_AGENT_ID
from agentactivity.settings import Settings
from agentactivity.status_changes import MAX_LIMITS, MAX_RANGE_DAYS

NOT_BLANK = f"^{WS}*[^{WS[1:]}"  # at least one character that is not a blank
INSTANT = {"type": "string", "pattern": f"^{WS}*(?:{RFC3339_PATTERN}){WS}*$"}
RFC3339_MS = {"type": "string", "description": "RFC 3339, UTC, with milliseconds."}


def status_changes_path_item(settings: Settings) -> JSONObject:
    history_days = settings.history_ms // 86_400_000
    optional = {"required": False}
    return {
        "get": {
            "operationId": "getStatusChanges",
            "summary": "The agents' state changes (the vendor's Status Changes API)",
            "description": "Records derived from `state` events with from <= time < to: "
            "logins (3/0), changes of state or Away reason (1/2, 1/3, 1/4), logouts (1/1 then "
            "4/0). v2: records by time, agent, then the order events were applied, `limit` "
            "records a page; v1: agents ascending with their records, `limit` agents a page. "
            "A bad request is a 400 `{message, causes}` naming each bad parameter.",
            "security": READ_SECURITY,
            "parameters": [
                account_id_parameter(),
                parameter(
                    "query",
                    "source",
                    f"Who is calling: 1 to {MAX_SOURCE_CHARS} characters of free text.",
                    {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_SOURCE_CHARS,
                        "pattern": NOT_BLANK,
                    },
                ),
                parameter(
                    "query",
                    "v",
                    "1 (default): by agent; 2: flat.",
                    {"anyOf": [_whole_number_string(1, 2), BLANK]},
                    **optional,
                ),
                parameter(
                    "query",
                    "from",
                    "RFC 3339 start (inclusive); with `to`, or neither (the 24 hours before "
                    f"now). Not in the future nor before the history ({history_days} days).",
                    {"anyOf": [INSTANT, BLANK]},
                    **optional,
                ),
                parameter(
                    "query",
                    "to",
                    f"RFC 3339 end (exclusive); after `from`, at most {MAX_RANGE_DAYS} days "
                    "after it.",
                    {"anyOf": [INSTANT, BLANK]},
                    **optional,
                ),
                parameter(
                    "query",
                    "agentId",
                    "One agent (at most one of agentId, empId, groupId).",
                    {"anyOf": [_whole_number_string(1, MAX_AGENT_ID), BLANK]},
                    **optional,
                ),
                parameter(
                    "query",
                    "empId",
                    "The agents whose directory `employeeId` is exactly this.",
                    {
                        "anyOf": [
                            {
                                "type": "string",
                                "maxLength": MAX_EMPLOYEE_ID_CHARS,
                                "pattern": NOT_BLANK,
                            },
                            BLANK,
                        ]
                    },
                    **optional,
                ),
                parameter(
                    "query",
                    "groupId",
                    "The members of an agent group and of its descendants (unknown or "
                    "deleted: 400).",
                    {"anyOf": [{"type": "string", "pattern": f"^{GROUP_ID_ITEM}$"}, BLANK]},
                    **optional,
                ),
                parameter(
                    "query",
                    "limit",
                    f"Page size, default 50: agents in v1 (at most {MAX_LIMITS[1]}), records "
                    f"in v2 (at most {MAX_LIMITS[2]}).",
                    {"anyOf": [_whole_number_string(1, MAX_LIMITS[2]), BLANK]},
                    **optional,
                ),
                parameter(
                    "query",
                    "offset",
                    "Items to skip, default 0; past the end, an empty page.",
                    {"anyOf": [_whole_number_string(0, MAX_OFFSET), BLANK]},
                    **optional,
                ),
            ],
            "responses": {
                "200": {
                    "description": "A page of status changes (v1 or v2).",
                    "content": json_content(
                        {"anyOf": [ref("StatusChangesV2"), ref("StatusChangesV1")]}
                    ),
                },
                "400": {
                    "description": "Bad parameters, each named in `causes`.",
                    "content": json_content(ref("StatusChangesError")),
                },
                **read_auth_errors(),
                "404": json_error(404, "Malformed account id."),
                "429": retry_after(
                    json_error(429, "Too many queries of the account in progress or a second.")
                ),
                "503": store_unavailable(),
            },
        }
    }


def status_change_schemas() -> JSONObject:
    nullable_text = {"type": ["string", "null"]}
    agent = {
        "agentId": {"type": "integer"},
        "employeeId": nullable_text,
        "agentLoginName": nullable_text,
        "agentUserName": nullable_text,
        "agentGroupId": {"type": "integer", "description": "-1: not in the directory."},
    }
    record = {
        "time": RFC3339_MS,
        "sessionId": {"type": "integer"},
        "sequenceNumber": {"type": "integer"},
        "statusType": {"enum": [1, 3, 4]},
        "statusSubType": {"enum": [0, 1, 2, 3, 4]},
        "statusReasonId": {"type": ["integer", "string"], "description": "-1: none."},
        "statusReasonText": nullable_text,
        "prevStatusChangeTime": {"anyOf": [RFC3339_MS, {"type": "null"}]},
    }
    head = {
        "_metadata": closed_object(
            ["references"],
            {
                "references": {
                    "type": "array",
                    "items": closed_object(
                        ["rel", "href"],
                        {
                            "rel": {"enum": ["self", "first", "next", "previous", "last"]},
                            "href": {"type": "string"},
                        },
                    ),
                }
            },
        ),
        "timeframe": closed_object(
            ["startTime", "endTime", "startTimeL", "endTimeL"],
            {
                "startTime": RFC3339_MS,
                "endTime": RFC3339_MS,
                "startTimeL": {"type": "string", "pattern": "^-?[0-9]+$"},
                "endTimeL": {"type": "string", "pattern": "^-?[0-9]+$"},
            },
        ),
    }
    history = {
        **agent,
        "statusChangeHistory": {"type": "array", "items": closed_object(list(record), record)},
    }
    return {
        "StatusChange": closed_object([*agent, *record], {**agent, **record}),
        "StatusChangesV2": closed_object(
            ["_metadata", "timeframe", "stateChanges"],
            {**head, "stateChanges": {"type": "array", "items": ref("StatusChange")}},
        ),
        "StatusChangesV1": closed_object(
            ["_metadata", "timeframe", "agentsInfo"],
            {
                **head,
                "agentsInfo": {"type": "array", "items": closed_object(list(history), history)},
            },
        ),
        "StatusChangesError": closed_object(
            ["message", "causes"],
            {
                "message": {"type": "string"},
                "causes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
        ),
    }
