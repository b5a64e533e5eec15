"""The status reasons' path items and schemas (the vendor's Agent Status Reason API)."""

from __future__ import annotations

from agentactivity.api.openapi.common import (
    SECURITY,
    JSONObject,
    account_id_parameter,
    body_timeout,
    closed_object,
    json_content,
    json_error,
    parameter,
    ref,
    store_unavailable,
)
from agentactivity.api.paths import REASON_PATH, REASONS_PATH
from agentactivity.api.reasons import (
    IF_MATCH_PATTERN,
    MAX_ITEMS_PER_REQUEST,
    OVERRIDE_HEADER,
    REVISION_HEADER,
)
from agentactivity.reasons import MAX_ORDER, MAX_REASON_ID, MAX_TEXT_CHARS, STATES, TEXT_PATTERN
from agentactivity.settings import Settings

_REVISION_HEADER: JSONObject = {
    REVISION_HEADER: {
        "description": "The revision of the account's status reasons after this request.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}


def _if_match(required: bool) -> JSONObject:
    return parameter(
        "header",
        "If-Match",
        f"The revision the change is based on (the `{REVISION_HEADER}` the "
        'client last read), as a number or an entity tag (`"7"`, `W/"7"`). Another '
        "revision is refused with 412"
        + ("; without the header, 428." if required else "; without it, no check."),
        {"type": "string", "pattern": IF_MATCH_PATTERN},
        required=required,
    )


def _reason_id() -> JSONObject:
    return parameter(
        "path",
        "statusReasonId",
        "The item's id (anything else is 404).",
        {"type": "integer", "minimum": 1, "maximum": MAX_REASON_ID},
    )


def _ok(description: str, schema: JSONObject) -> JSONObject:
    return {
        "description": description,
        "content": json_content(schema),
        "headers": _REVISION_HEADER,
    }


def _refusals(settings: Settings, *statuses: int) -> JSONObject:
    known = {
        400: json_error(
            400, "Not JSON, or a field breaks a rule (named; all in `details`).", "FieldError"
        ),
        401: json_error(401, "Missing or bad OAuth 1.0a signature."),
        403: json_error(403, "Credentials of another account, or without `admin` scope."),
        404: json_error(404, "Malformed account id, or no status reason of that id."),
        408: body_timeout(settings),
        409: json_error(409, "Another item not deleted has that text (ignoring case)."),
        412: json_error(412, "If-Match is not the current revision (given in the message)."),
        413: json_error(
            413,
            f"More than {MAX_ITEMS_PER_REQUEST} items, or a body over "
            f"{settings.max_body_bytes} bytes.",
        ),
        428: json_error(428, "No If-Match header."),
    }
    responses = {str(status): known[status] for status in statuses}
    responses["503"] = store_unavailable()
    return responses


def _collection(settings: Settings) -> JSONObject:
    return {
        "get": {
            "operationId": "listStatusReasons",
            "summary": "The account's status reasons (Away reasons)",
            "description": "Scope `read` or `admin`. Items with an `order` first, by order; "
            "then the others; ties by id.",
            "security": SECURITY,
            "tags": ["status reasons"],
            "parameters": [
                account_id_parameter(),
                parameter(
                    "query",
                    "include_deleted",
                    "List deleted items too (default false).",
                    {
                        "type": "string",
                        "pattern": "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[01]|)$",
                    },
                    required=False,
                ),
                parameter(
                    "query",
                    "v",
                    "Accepted and ignored (clients send `2.0`).",
                    {"type": "string"},
                    required=False,
                ),
            ],
            "responses": {
                "200": _ok("The items.", {"type": "array", "items": ref("StatusReason")}),
                **_refusals(settings, 400, 401, 404),
                "403": json_error(403, "Credentials of another account, or without `read` scope."),
            },
        },
        "post": {
            "operationId": "createStatusReasons",
            "summary": "Create one status reason, or an array of them (all or none)",
            "description": "Scope `admin`. Answers in the shape it was given: an object "
            "for an object, an array for an array, with the new ids.",
            "security": SECURITY,
            "tags": ["status reasons"],
            "parameters": [account_id_parameter(), _if_match(required=False)],
            "requestBody": {
                "required": True,
                "content": json_content(
                    {
                        "oneOf": [
                            ref("NewStatusReason"),
                            {
                                "type": "array",
                                "maxItems": MAX_ITEMS_PER_REQUEST,
                                "items": ref("NewStatusReason"),
                            },
                        ]
                    }
                ),
            },
            "responses": {
                "200": _ok(
                    "The created item(s).",
                    {
                        "oneOf": [
                            ref("StatusReason"),
                            {"type": "array", "items": ref("StatusReason")},
                        ]
                    },
                ),
                **_refusals(settings, 400, 401, 403, 404, 408, 409, 412, 413),
            },
        },
    }


def _update(settings: Settings, operation_id: str, summary: str, override: bool) -> JSONObject:
    parameters = [account_id_parameter(), _reason_id(), _if_match(required=True)]
    if override:
        parameters.append(
            parameter(
                "header",
                OVERRIDE_HEADER,
                "`PUT` (any case): this POST is a PUT (for clients that "
                "cannot send PUT). Missing or another value is 400.",
                {"type": "string", "pattern": "^[Pp][Uu][Tt]$"},
            )
        )
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": "Scope `admin`. The whole item: fields left out take their "
        "defaults (`state` Away, `enabled` true, no `order`), except `deleted`, which "
        "stays as it is unless given (`false` restores a deleted item). A change that "
        "changes nothing leaves the revision as it is.",
        "security": SECURITY,
        "tags": ["status reasons"],
        "parameters": parameters,
        "requestBody": {"required": True, "content": json_content(ref("StatusReasonUpdate"))},
        "responses": {
            "200": _ok("The item as it now is.", ref("StatusReason")),
            **_refusals(settings, 400, 401, 403, 404, 408, 409, 412, 413, 428),
        },
    }


def _item(settings: Settings) -> JSONObject:
    return {
        "put": _update(settings, "updateStatusReason", "Replace a status reason", False),
        "post": _update(
            settings,
            "updateStatusReasonByOverride",
            f"Replace a status reason (POST with {OVERRIDE_HEADER}: PUT)",
            True,
        ),
        "delete": {
            "operationId": "deleteStatusReason",
            "summary": "Delete a status reason (it stays, marked `deleted`)",
            "description": "Scope `admin`. The item is hidden from listings without "
            "`include_deleted=true`, and still names its id in agent states. Deleting a "
            "deleted item changes nothing.",
            "security": SECURITY,
            "tags": ["status reasons"],
            "parameters": [account_id_parameter(), _reason_id(), _if_match(required=True)],
            "responses": {
                "200": _ok("The item, deleted.", ref("StatusReason")),
                **_refusals(settings, 400, 401, 403, 404, 412, 428),
            },
        },
    }


def reason_paths(settings: Settings) -> JSONObject:
    return {REASONS_PATH: _collection(settings), REASON_PATH: _item(settings)}


def reason_schemas() -> JSONObject:
    text = {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_TEXT_CHARS,
        "pattern": TEXT_PATTERN,
        "description": "Unique among the account's items not deleted (ignoring case and "
        "surrounding blanks); not blank; no control characters.",
    }
    order = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_ORDER}
    writable: JSONObject = {
        "text": text,
        "state": {"enum": [*STATES, None], "description": "Default (and only) `Away`."},
        "enabled": {"type": ["boolean", "null"], "description": "Default true."},
        "order": {**order, "description": "Display order; null or absent: none."},
    }
    return {
        "FieldProblem": closed_object(
            ["field", "message"],
            {
                "field": {"type": "string", "description": "Such as `items[2].text`."},
                "message": {"type": "string", "minLength": 1},
            },
        ),
        "FieldError": {
            "description": "A refused request: `details`, when present, lists each field at fault.",
            "allOf": [
                ref("Error"),
                {"properties": {"details": {"type": "array", "items": ref("FieldProblem")}}},
            ],
        },
        "StatusReason": closed_object(
            ["id", "text", "state", "enabled", "deleted"],
            {
                "id": {"type": "integer", "minimum": 1, "maximum": MAX_REASON_ID},
                "text": {"type": "string"},
                "state": {"const": "Away"},
                "enabled": {"type": "boolean"},
                "deleted": {"type": "boolean"},
                "order": {"type": "integer", "minimum": 0, "maximum": MAX_ORDER},
            },
        ),
        "NewStatusReason": {
            "type": "object",
            "description": "Unknown fields are ignored.",
            "required": ["text"],
            "properties": {
                **writable,
                "id": {"type": "null", "description": "Ids are assigned by the server."},
                "deleted": {"enum": [False, None]},
            },
        },
        "StatusReasonUpdate": {
            "type": "object",
            "description": "Unknown fields are ignored.",
            "required": ["text"],
            "properties": {
                **writable,
                "id": {
                    "type": ["integer", "null"],
                    "description": "If given, the id of the path.",
                },
                "deleted": {"type": ["boolean", "null"]},
            },
        },
    }
