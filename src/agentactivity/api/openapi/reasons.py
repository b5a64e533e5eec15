"""The status reasons' path items and schemas (the vendor's Agent Status Reason API)."""

from __future__ import annotations

from agentactivity.api.openapi.collections import CollectionDoc, collection_paths
from agentactivity.api.openapi.common import JSONObject, closed_object, parameter, ref
from agentactivity.api.paths import REASON_PATH, REASONS_PATH
from agentactivity.reasons import MAX_ORDER, MAX_REASON_ID, MAX_TEXT_CHARS, STATES, TEXT_PATTERN
from agentactivity.settings import Settings


def _reason_id() -> JSONObject:
    return parameter(
        "path",
        "statusReasonId",
        "The item's id (anything else is 404).",
        {"type": "integer", "minimum": 1, "maximum": MAX_REASON_ID},
    )


REASONS_DOC = CollectionDoc(
    tag="status reasons",
    noun="status reason",
    one="StatusReason",
    path=REASONS_PATH,
    item_path=REASON_PATH,
    id_parameter=_reason_id(),
    list_description="Items with an `order` first, by order; then the others; ties by id.",
    update_description="The whole item: fields left out take their defaults (`state` Away, "
    "`enabled` true, no `order`), except `deleted`, which stays as it is unless given "
    "(`false` restores a deleted item). A change that changes nothing leaves the revision "
    "as it is.",
    delete_description="The item is hidden from listings without `include_deleted=true`, "
    "and still names its id in agent states. Deleting a deleted item changes nothing.",
    conflict="Another item not deleted has that text (ignoring case).",
    aside=" (Away reasons)",
)


def reason_paths(settings: Settings) -> JSONObject:
    return collection_paths(REASONS_DOC, settings)


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
