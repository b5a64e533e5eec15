"""The live stream of agent state (SPEC section 7): `GET .../agents/state/stream`."""

from __future__ import annotations

from agentactivity.api.openapi.common import (
    BLANK,
    READ_SECURITY,
    WS,
    JSONObject,
    account_id_parameter,
    json_error,
    parameter,
    query_values,
    read_auth_errors,
    retry_after,
)
from agentactivity.api.openapi.operations import agent_group_ids
from agentactivity.events import MAX_AGENT_ID
from agentactivity.settings import Settings

_SEQUENCE_TEXT = {"type": "string", "pattern": f"^{WS}*[0-9]{{1,19}}{WS}*$"}


def stream_path_item(settings: Settings) -> JSONObject:
    values = query_values(settings)
    return {
        "get": {
            "operationId": "streamAgentState",
            "summary": "Live stream of each agent's state (Server-Sent Events)",
            "description": "`retry:`, then `event: snapshot` (data: the same object as "
            "`getAgentState` at now; id: the account's last event sequence) unless the "
            "stream resumes, then one `event: agent` per change of an agent's object "
            "(data: the object plus `agentId`; id: the sequence of the event that caused "
            "it), and `: keep-alive` comments after "
            f"{settings.stream_heartbeat_seconds:g} s of silence. A resume after an id "
            "older than the changes kept, or from another process, starts with a snapshot "
            "instead. The stream does not end by itself; it ends when the server shuts "
            "down. See docs/api.md, Live stream.",
            "security": READ_SECURITY,
            "parameters": [
                account_id_parameter(),
                parameter(
                    "query",
                    "agentIds",
                    "`all` (default; any case) or a comma-separated list of "
                    f"agent ids (1 to {MAX_AGENT_ID}; at most {settings.max_agent_ids} "
                    "distinct ids, else 400): only these agents' changes are sent.",
                    {"anyOf": [*values["agentIds"], BLANK]},
                    required=False,
                ),
                parameter(
                    "query",
                    "agentGroupIds",
                    agent_group_ids(settings, "the changes")
                    + " Membership is read again when the directory changes: the stream "
                    "then sends a new snapshot if its agents are no longer the same "
                    "(docs/api.md, Live stream). Blank means absent.",
                    {"anyOf": values["agentGroupIds"]},
                    required=False,
                ),
                parameter(
                    "query",
                    "lastEventId",
                    "Resume after this event sequence, for clients that "
                    "cannot set `Last-Event-ID` (the header wins when both are given). "
                    "At most 2^63-1, else 400. Older than the changes kept, or ahead of "
                    "the account's last sequence: the stream starts with a snapshot.",
                    {"anyOf": [_SEQUENCE_TEXT, BLANK]},
                    required=False,
                ),
                parameter(
                    "header",
                    "Last-Event-ID",
                    "The id of the last event received: the stream resumes "
                    "with every change after it (what EventSource sends on reconnecting). "
                    "At most 2^63-1, else 400.",
                    _SEQUENCE_TEXT,
                    required=False,
                ),
            ],
            "responses": {
                "200": {
                    "description": "An endless stream of Server-Sent Events.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "400": json_error(400, "A parameter or `Last-Event-ID` breaks a rule."),
                **read_auth_errors(),
                "404": json_error(404, "Malformed account id."),
                "429": retry_after(
                    json_error(
                        429,
                        f"The account has {settings.max_streams_per_account} streams open "
                        "on this server already.",
                    )
                ),
                "503": retry_after(
                    json_error(503, "The store is unavailable, or the server is shutting down.")
                ),
            },
        }
    }
