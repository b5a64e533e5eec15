"""The activity report (SPEC section 9): `GET .../reports/activity.csv`."""

from __future__ import annotations

from agentactivity.api.openapi.common import (
    BLANK,
    READ_SECURITY,
    JSONObject,
    account_id_parameter,
    json_error,
    parameter,
    query_values,
    read_auth_errors,
    retry_after,
    store_unavailable,
)
from agentactivity.api.openapi.operations import agent_group_ids
from agentactivity.events import MAX_AGENT_ID
from agentactivity.local_days import zone_names
from agentactivity.reports import COLUMNS, INTERVALS
from agentactivity.settings import Settings

_DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def report_path_item(settings: Settings) -> JSONObject:
    values = query_values(settings)
    history_days = settings.history_ms // 86_400_000
    return {
        "get": {
            "operationId": "getActivityReport",
            "summary": "Activity report: each agent's time per interval and state, as CSV",
            "description": "One CSV row per agent, interval and figure line with time in it "
            f"(total more than 0 ms), with the columns {', '.join(COLUMNS)}. `intervalStart` "
            "is local time with its offset; `state` is the entry's name (Online, Back in 5, "
            "Away, Logged in); `reasonId` and `reasonName` are filled on the Away rows of "
            "each status reason; the seconds are the figures Agent Activity gives for the "
            "same interval. Intervals start at local midnight; a day with a clock change "
            "has 23 or 25 hours; today's intervals end at now. Streamed one interval at a "
            "time: a fault after the first byte ends the answer early (no closing line "
            "marks a complete file beyond the last day's rows). See docs/api.md, Reports.",
            "security": READ_SECURITY,
            "parameters": [
                account_id_parameter(),
                parameter(
                    "query",
                    "from",
                    "The first local day, YYYY-MM-DD. Not after today in `tz`, and not before "
                    f"the history the service keeps ({history_days} days), else 400.",
                    _DATE,
                ),
                parameter(
                    "query",
                    "to",
                    "The local day after the last one (exclusive), YYYY-MM-DD; after `from`, "
                    "else 400. Days after today add nothing.",
                    _DATE,
                ),
                parameter(
                    "query",
                    "tz",
                    "The IANA time zone the days are in, spelled exactly (e.g. "
                    "`Europe/Berlin`, `UTC`).",
                    {"type": "string", "enum": sorted(zone_names())},
                ),
                parameter(
                    "query",
                    "interval",
                    "Minutes per interval; 1440 is one interval per local day.",
                    {
                        "anyOf": [
                            {"type": "integer", "enum": list(INTERVALS)},
                            {"type": "string", "enum": [str(i) for i in INTERVALS]},
                        ]
                    },
                ),
                parameter(
                    "query",
                    "agentIds",
                    "`all` (default; any case) or a comma-separated list of agent ids "
                    f"(1 to {MAX_AGENT_ID}; at most {settings.max_agent_ids} distinct ids, "
                    "else 400). Blank means all.",
                    {"anyOf": [*values["agentIds"], BLANK]},
                    required=False,
                ),
                parameter(
                    "query",
                    "agentGroupIds",
                    agent_group_ids(settings, "the rows")
                    + " Membership as it is when the report starts. Blank means absent.",
                    {"anyOf": values["agentGroupIds"]},
                    required=False,
                ),
            ],
            "responses": {
                "200": {
                    "description": "The report, streamed; `Content-Disposition: attachment`.",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                "400": json_error(
                    400, "A parameter breaks a rule; all problems are listed.", "QueryError"
                ),
                **read_auth_errors(),
                "404": json_error(404, "Malformed account id."),
                "429": retry_after(
                    json_error(
                        429,
                        f"More than {settings.max_concurrent_queries} queries (reports "
                        "included) of the account in progress, or more than "
                        f"{settings.query_rate_per_second} a second.",
                    )
                ),
                "503": store_unavailable(),
            },
        }
    }
