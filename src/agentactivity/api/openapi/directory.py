"""People and teams in the OpenAPI document: the users' and agent groups' path items
(built by openapi/collections.py) and their schemas, from the rules of
directory_items.py."""

from __future__ import annotations

from agentactivity.api.openapi.collections import CollectionDoc, collection_paths
from agentactivity.api.openapi.common import (
    JSONObject,
    closed_object,
    integer_range_pattern,
    parameter,
)
from agentactivity.api.paths import AGENT_GROUP_PATH, AGENT_GROUPS_PATH, USER_PATH, USERS_PATH
from agentactivity.configuration import PLAIN_PATTERN, TEXT_PATTERN
from agentactivity.directory_items import (
    MAX_CHATS,
    MAX_DESCRIPTION_CHARS,
    MAX_EXTERNAL_ID_CHARS,
    MAX_EXTERNAL_IDS,
    MAX_GROUP_ID,
    MAX_NAME_CHARS,
    MAX_SKILL_ID,
    MAX_SKILLS,
    MAX_USER_ID,
    SOURCE_PATTERN,
)
from agentactivity.settings import Settings

NULL: JSONObject = {"type": "null", "description": "means absent"}
USER_ID_TEXT = f"^{integer_range_pattern(1, MAX_USER_ID)}$"
GROUP_ID_TEXT = f"^(?:-1|{integer_range_pattern(1, MAX_GROUP_ID)})$"
_TRUE_FALSE = "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"


def _number(low: int, high: int, description: str) -> JSONObject:
    """A whole number, or (as the vendor's examples write them) a string of its digits."""
    return {
        "description": description,
        "anyOf": [
            {"type": "integer", "minimum": low, "maximum": high},
            {"type": "string", "pattern": f"^0*{integer_range_pattern(low, high)}$"},
        ],
    }


def _group_id(description: str, nullable: bool = True) -> JSONObject:
    options: list[JSONObject] = [
        {"type": "integer", "minimum": 1, "maximum": MAX_GROUP_ID},
        {"const": -1},
        {"type": "string", "pattern": f"^(?:-1|0*{integer_range_pattern(1, MAX_GROUP_ID)})$"},
    ]
    return {"description": description, "anyOf": options + ([NULL] if nullable else [])}


def _flag(description: str) -> JSONObject:
    pattern = {"type": "string", "pattern": _TRUE_FALSE}
    return {"description": description, "anyOf": [{"type": "boolean"}, pattern, NULL]}


def _optional_text(most: int, description: str) -> JSONObject:
    text = {"type": "string", "maxLength": most, "pattern": PLAIN_PATTERN}
    return {"description": description, "anyOf": [text, NULL]}


def _text(most: int, description: str) -> JSONObject:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": most,
        "pattern": TEXT_PATTERN,
        "description": description,
    }


def _deleted(creating: bool) -> JSONObject:
    if creating:
        no = {"type": "string", "pattern": "^[Ff][Aa][Ll][Ss][Ee]$"}
        return {"description": "Only false (or absent).", "anyOf": [{"const": False}, no, NULL]}
    return _flag("Absent: as it is; false restores a deleted item, true deletes it.")


def _user_fields(creating: bool) -> JSONObject:
    membership = {
        "type": "object",
        "properties": {
            "agentGroupId": _group_id("A group not deleted; absent or null: the root -1."),
            "assignmentDate": {"description": "Set by the server: ignored."},
        },
    }
    return {
        "id": _number(1, MAX_USER_ID, "The agent id of the events.")
        if creating
        else {
            "description": "If given, the id of the path.",
            "anyOf": [_number(1, MAX_USER_ID, "the path's id"), NULL],
        },
        "loginName": _text(
            MAX_NAME_CHARS,
            "Unique among the users not deleted (ignoring case and surrounding blanks).",
        ),
        "fullName": _optional_text(MAX_NAME_CHARS, "Empty or blank: none."),
        "nickname": _optional_text(MAX_NAME_CHARS, "What agents are called; empty: none."),
        "employeeId": _optional_text(MAX_NAME_CHARS, "The key WFM systems join on."),
        "isEnabled": _flag("Default true."),
        "maxChats": {
            "anyOf": [_number(0, MAX_CHATS, "Informational."), NULL],
        },
        "skillIds": {
            "anyOf": [
                {
                    "type": "array",
                    "maxItems": MAX_SKILLS,
                    "items": {"type": "integer", "minimum": 1, "maximum": MAX_SKILL_ID},
                },
                NULL,
            ]
        },
        "memberOf": {
            "description": "One group (the vendor's array of one is taken too).",
            "anyOf": [membership, {"type": "array", "maxItems": 1, "items": membership}, NULL],
        },
        "externalIds": {
            "description": "Source -> that source's id for this agent; unique in the account.",
            "anyOf": [
                {
                    "type": "object",
                    "maxProperties": MAX_EXTERNAL_IDS,
                    "propertyNames": {"pattern": SOURCE_PATTERN},
                    "additionalProperties": _text(MAX_EXTERNAL_ID_CHARS, "The source's id."),
                },
                NULL,
            ],
        },
        "deleted": _deleted(creating),
    }


def _group_fields(creating: bool) -> JSONObject:
    return {
        "id": NULL
        if creating
        else {"description": "If given, the id of the path.", **_group_id("")},
        "name": _text(
            MAX_NAME_CHARS,
            "Unique among the groups of one parent not deleted (ignoring case and "
            "surrounding blanks).",
        ),
        "parentGroupId": _group_id(
            "A group not deleted, not this one nor below it; absent or null: the root -1 "
            "(which itself has none)."
        ),
        "isEnabled": _flag("Default true."),
        "description": _optional_text(MAX_DESCRIPTION_CHARS, "Empty or blank: none."),
        "deleted": _deleted(creating),
    }


def directory_schemas() -> JSONObject:
    text_or_null = {"type": ["string", "null"]}
    open_object = {"type": "object", "description": "Unknown fields are ignored."}
    return {
        "User": closed_object(
            [
                *("id", "loginName", "fullName", "nickname", "employeeId", "isEnabled"),
                *("maxChats", "skillIds", "memberOf", "externalIds", "deleted"),
            ],
            {
                "id": {"type": "string", "pattern": USER_ID_TEXT},
                "loginName": {"type": "string"},
                "fullName": text_or_null,
                "nickname": text_or_null,
                "employeeId": text_or_null,
                "isEnabled": {"type": "boolean"},
                "maxChats": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_CHATS},
                "skillIds": {"type": "array", "items": {"type": "integer"}},
                "memberOf": closed_object(
                    ["agentGroupId", "assignmentDate"],
                    {
                        "agentGroupId": {"type": "string", "pattern": GROUP_ID_TEXT},
                        "assignmentDate": {
                            "type": "string",
                            "description": "When the user entered the group (RFC 3339, UTC).",
                        },
                    },
                ),
                "externalIds": {"type": "object", "additionalProperties": {"type": "string"}},
                "deleted": {"type": "boolean"},
            },
        ),
        "NewUser": {
            **open_object,
            "required": ["id", "loginName"],
            "properties": _user_fields(True),
        },
        "UserUpdate": {**open_object, "required": ["loginName"], "properties": _user_fields(False)},
        "AgentGroup": closed_object(
            ["id", "name", "parentGroupId", "isEnabled", "description", "deleted"],
            {
                "id": {"type": "string", "pattern": GROUP_ID_TEXT},
                "name": {"type": "string"},
                "parentGroupId": {"type": ["string", "null"], "pattern": GROUP_ID_TEXT},
                "isEnabled": {"type": "boolean"},
                "description": text_or_null,
                "deleted": {"type": "boolean"},
            },
        ),
        "NewAgentGroup": {**open_object, "required": ["name"], "properties": _group_fields(True)},
        "AgentGroupUpdate": {
            **open_object,
            "required": ["name"],
            "properties": _group_fields(False),
        },
    }


USERS_DOC = CollectionDoc(
    tag="users",
    noun="user",
    one="User",
    path=USERS_PATH,
    item_path=USER_PATH,
    id_parameter=parameter(
        "path",
        "userId",
        "The user's id, the agent id of the events (anything else is 404).",
        {"type": "string", "pattern": USER_ID_TEXT},
    ),
    list_description="By id; every field (`select` is not needed).",
    update_description="The whole user: fields left out are gone (take their defaults), "
    "except `deleted`, which stays as it is unless given (`false` restores a deleted "
    "user). Moving to another group sets a new `assignmentDate`. A change that changes "
    "nothing leaves the revision as it is.",
    delete_description="The user is hidden from listings without `include_deleted=true`; "
    "its id and external ids stay taken, its login name is free. Deleting a deleted user "
    "changes nothing.",
    conflict="The id exists (deleted users included), or the login name (ignoring case) "
    "or an external id is another user's.",
    invalid=", or `memberOf.agentGroupId` names a group unknown or deleted",
    directory=True,
)

GROUPS_DOC = CollectionDoc(
    tag="agent groups",
    noun="agent group",
    one="AgentGroup",
    path=AGENT_GROUPS_PATH,
    item_path=AGENT_GROUP_PATH,
    id_parameter=parameter(
        "path",
        "agentGroupId",
        "The group's id: -1 (the root) or a positive whole number (anything else is 404).",
        {"type": "string", "pattern": GROUP_ID_TEXT},
    ),
    list_description="By id, the root group -1 first (it always exists).",
    links=True,
    update_description="The whole group (fields left out take their defaults), except "
    "`deleted`, which stays as it is unless given. The root keeps no parent.",
    delete_description="Refused (409) for the root, and for a group with members or "
    "subgroups not deleted (subgroups deleted in the same request do not count).",
    conflict="A sibling not deleted has that name (ignoring case), or the group still has "
    "members or subgroups, or it is the root.",
    invalid=", or `parentGroupId` names a group unknown, deleted, or the group itself or "
    "one below it",
    directory=True,
)


def directory_paths(settings: Settings) -> JSONObject:
    return {**collection_paths(USERS_DOC, settings), **collection_paths(GROUPS_DOC, settings)}
