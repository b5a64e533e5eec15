"""Shared pieces of the OpenAPI document: regexes for numbers sent as text, and the
small builders (references, error responses, parameters) the schemas and operations use."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from agentactivity.accounts import ACCOUNT_ID
from agentactivity.events import MAX_AGENT_ID
from agentactivity.settings import Settings

NDJSON = "application/x-ndjson"

JSONObject = dict[str, Any]

# What Python's str.strip() removes (str.isspace()), spelled out: ECMA-262's `\s` differs
# (it has U+FEFF, lacks U+001C..U+001F and U+0085). The server trims values with strip().
WS = (
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
        "pattern": f"^{WS}*\\+?0*{integer_range_pattern(low, high)}{WS}*$",
    }


BLANK: JSONObject = {"type": "string", "pattern": f"^{WS}*$", "description": "means absent"}
NULL: JSONObject = {"type": "null", "description": "means absent"}
AGENT_ID_ITEM = f"{WS}*0*{integer_range_pattern(1, MAX_AGENT_ID)}{WS}*"
_AGENT_IDS_TEXT = f"^{WS}*(?:[Aa][Ll][Ll]{WS}*|{AGENT_ID_ITEM}(?:,{AGENT_ID_ITEM})*)$"
# A group id as the parser reads one: the root's -1, or digits (leading zeros dropped).
GROUP_ID_ITEM = f"{WS}*(?:-1|0*[0-9]{{1,19}}){WS}*"
_GROUP_IDS_TEXT = f"^{GROUP_ID_ITEM}(?:,{GROUP_ID_ITEM})*$"
_BOOLEAN_TEXT = f"^{WS}*(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[01]){WS}*$"


# --- building blocks --------------------------------------------------------------------------


def ref(name: str) -> JSONObject:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: JSONObject) -> JSONObject:
    return {"application/json": {"schema": schema}}


def closed_object(
    required: list[str], properties: JSONObject, description: str | None = None
) -> JSONObject:
    """An object of these properties and no others (answers are described exactly, so
    that a field added by mistake fails the schema tests)."""
    head: JSONObject = {"type": "object"}
    if description is not None:
        head["description"] = description
    return {**head, "required": required, "additionalProperties": False, "properties": properties}


def json_error(status: int, description: str, schema: str = "Error") -> JSONObject:
    """A response carrying the JSON error body, with its status and reason phrase pinned."""
    return {
        "description": description,
        "content": json_content(
            {
                "allOf": [
                    ref(schema),
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


def retry_after(response: JSONObject) -> JSONObject:
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


def store_unavailable() -> JSONObject:
    return retry_after(json_error(503, "The store is unavailable (say, locked); retry."))


def body_timeout(settings: Settings) -> JSONObject:
    return json_error(408, f"The body did not arrive within {settings.body_timeout_seconds:g} s.")


def parameter(
    location: str, name: str, description: str, schema: JSONObject, required: bool = True
) -> JSONObject:
    """An operation's parameter; `location`: path, query or header."""
    return {
        "name": name,
        "in": location,
        "required": required,
        "description": description,
        "schema": schema,
    }


def account_id_parameter() -> JSONObject:
    return parameter(
        "path",
        "accountId",
        "The account: 1 to 64 letters, digits, `-` or `_` (anything else is 404).",
        {"type": "string", "pattern": f"^{ACCOUNT_ID.pattern}$"},
    )


SECURITY: list[dict[str, list[str]]] = [{"OAuth1": []}]
# Read operations also take a dashboard link's token (dashboard_token.py, checked by
# api/dashboard_auth.py).
READ_SECURITY: list[dict[str, list[str]]] = [
    {"OAuth1": []},
    {"DashboardToken": []},
    {"DashboardTokenQuery": []},
]


def read_auth_errors() -> JSONObject:
    return {
        "401": json_error(
            401,
            "Missing or bad OAuth 1.0a signature, or a dashboard token that is malformed, "
            "altered, expired or revoked (the message says which).",
        ),
        "403": json_error(
            403,
            "Credentials of another account or without `read` scope, or a dashboard token "
            "of another account.",
        ),
    }


def query_values(settings: Settings) -> dict[str, list[JSONObject]]:
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
            BLANK,
        ],
        "to": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "pattern": f"^{WS}*\\+?[0-9]+{WS}*$"},
            BLANK,
        ],
        "totals": [{"type": "boolean"}, {"type": "string", "pattern": _BOOLEAN_TEXT}, BLANK],
        "agentGroupIds": [{"type": "string", "pattern": _GROUP_IDS_TEXT}, BLANK],
        "groupTotals": [{"type": "boolean"}, {"type": "string", "pattern": _BOOLEAN_TEXT}, BLANK],
    }
