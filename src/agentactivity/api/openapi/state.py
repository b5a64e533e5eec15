"""The component schemas of the agent-state answers (SPEC sections 7 and 8): one agent's
object, as the listing and the stream send it, and the listing."""

from __future__ import annotations

from agentactivity.api.openapi.common import JSONObject, closed_object, ref
from agentactivity.events import MAX_CHATS_LIMIT, STATES


def state_schemas() -> JSONObject:
    ms = {"type": "integer", "description": "Epoch milliseconds."}
    nullable_ms = {"type": ["integer", "null"], "description": "Epoch milliseconds, or null."}
    return {
        "AgentState": closed_object(
            [
                "state",
                "reasonId",
                "reasonName",
                "since",
                "loggedInSince",
                "activeChats",
                "maxChats",
                "atMaxConcurrency",
                "agentName",
                "employeeId",
                "agentGroupId",
            ],
            {
                "state": {"enum": list(STATES)},
                "reasonId": {
                    "type": ["string", "null"],
                    "description": "Only while `AWAY` with a reason, else null.",
                },
                "reasonName": {
                    "type": ["string", "null"],
                    "description": "The text of the status reason whose id is `reasonId` "
                    "(deleted ones too), else null.",
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
                "agentName": {
                    "type": ["string", "null"],
                    "description": "The user's nickname, else full name, else null (also "
                    "when the agent has no user in the directory).",
                },
                "employeeId": {"type": ["string", "null"], "description": "Or null."},
                "agentGroupId": {
                    "type": "string",
                    "pattern": "^(?:-1|[0-9]{1,19})$",
                    "description": "The user's agent group; `-1` (the root) when the agent "
                    "has no user in the directory.",
                },
            },
            description="An agent's situation after every event with `time <= asOf`.",
        ),
        "AgentStates": closed_object(
            ["asOf", "agents"],
            {
                "asOf": ms,
                "agents": {
                    "type": "object",
                    "description": "By agent id, in ascending numeric order.",
                    "propertyNames": {"pattern": "^[1-9][0-9]{0,18}$"},
                    "additionalProperties": ref("AgentState"),
                },
            },
        ),
    }
