"""Status Changes request parameters (SPEC section 9), checked all at once: a bad
request is a 400 `{"message", "causes": [...]}` with one cause per bad parameter, each
starting with the parameter's name (the vendor's shape, not the rest of the API's).
Parameters not listed here are ignored (a dashboard link's token, for one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentactivity.api.errors import ApiError
from agentactivity.api.params import MultiValued
from agentactivity.clock import DAY_MS, parse_rfc3339, rfc3339_ms
from agentactivity.directory import ROOT_GROUP_ID
from agentactivity.events import MAX_AGENT_ID
from agentactivity.status_changes import DEFAULT_LIMIT, MAX_LIMITS, MAX_RANGE_DAYS, StatusQuery

KNOWN = ("source", "v", "from", "to", "agentId", "empId", "groupId", "limit", "offset")
MAX_SOURCE_CHARS = 20
MAX_EMPLOYEE_ID_CHARS = 100
MAX_OFFSET = 2**63 - 1
_GROUP_ID = re.compile(r"-1|[0-9]{1,19}")


class StatusParamsError(ApiError):
    """A 400 whose body is the vendor's `{"message", "causes"}` (api/status_changes.py
    answers it so)."""

    def __init__(self, causes: list[str]) -> None:
        message = causes[0] if len(causes) == 1 else f"{len(causes)} bad parameters: {causes[0]}"
        super().__init__(400, message, causes)
        self.causes = causes


_INTEGER = re.compile(r"([+-]?)([0-9]+)")


def _whole(raw: str, name: str, low: int, high: int, causes: list[str]) -> int | None:
    """A whole number written with digits (a sign and blanks around allowed)."""
    found = _INTEGER.fullmatch(raw.strip())
    if not found:
        causes.append(f"{name}: must be a whole number, got {raw!r}")
        return None
    digits = found.group(2).lstrip("0") or "0"
    if len(digits) > 19:
        causes.append(f"{name}: must be at most {high}, got a number of {len(digits)} digits")
        return None
    value = -int(digits) if found.group(1) == "-" else int(digits)
    if value < low:
        causes.append(f"{name}: must be at least {low}, got {value}")
    elif value > high:
        causes.append(f"{name}: must be at most {high}, got {value}")
    else:
        return value
    return None


def _instant(raw: str, name: str, causes: list[str]) -> int | None:
    try:
        return parse_rfc3339(raw)
    except ValueError as exc:
        causes.append(f"{name}: {exc}")
        return None


def _single(params: MultiValued, causes: list[str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for name in KNOWN:
        values = params.getlist(name)
        if len(values) > 1:
            causes.append(f"{name}: given {len(values)} times; give it once")
        elif values and values[0].strip():
            raw[name] = values[0]
    return raw


def parse_status_query(params: MultiValued, *, now_ms: int, history_ms: int) -> StatusQuery:
    """The request's StatusQuery; StatusParamsError naming every bad parameter."""
    causes: list[str] = []
    raw = _single(params, causes)
    source = _source(raw, causes)
    version = 1
    if "v" in raw:
        version = _whole(raw["v"], "v", 1, 2, causes) or 0
    start, end = _range(raw, now_ms, history_ms, causes)
    agent_id, employee_id, group_id = _agents(raw, causes)
    limit = DEFAULT_LIMIT
    if "limit" in raw:
        high = MAX_LIMITS.get(version, max(MAX_LIMITS.values()))
        limit = _whole(raw["limit"], "limit", 1, high, causes) or DEFAULT_LIMIT
    offset = 0
    if "offset" in raw:
        offset = _whole(raw["offset"], "offset", 0, MAX_OFFSET, causes) or 0
    if causes:
        raise StatusParamsError(causes)
    return StatusQuery(source, version, start, end, limit, offset, agent_id, employee_id, group_id)


def _source(raw: Mapping[str, str], causes: list[str]) -> str:
    source = raw.get("source", "")
    if not source:
        causes.append(f"source: required, 1 to {MAX_SOURCE_CHARS} characters naming the caller")
    elif len(source) > MAX_SOURCE_CHARS:
        causes.append(
            f"source: must be 1 to {MAX_SOURCE_CHARS} characters, got {len(source)} characters"
        )
    return source


def _range(
    raw: Mapping[str, str], now_ms: int, history_ms: int, causes: list[str]
) -> tuple[int, int]:
    """[from, to): both given, or the 24 hours before now."""
    if "from" not in raw and "to" not in raw:
        return now_ms - DAY_MS, now_ms
    for name, other in (("from", "to"), ("to", "from")):
        if name not in raw:
            causes.append(f"{name}: required when {other} is given (give both or neither)")
    start = _instant(raw["from"], "from", causes) if "from" in raw else None
    end = _instant(raw["to"], "to", causes) if "to" in raw else None
    oldest = now_ms - history_ms
    if start is not None:
        if start < oldest:
            causes.append(f"from: must not be before the history's start ({rfc3339_ms(oldest)})")
        elif start > now_ms:
            causes.append(f"from: must not be in the future (server time: {rfc3339_ms(now_ms)})")
    if start is not None and end is not None:
        if end <= start:
            causes.append("to: must be after from")
        elif end - start > MAX_RANGE_DAYS * DAY_MS:
            causes.append(f"to: must be at most {MAX_RANGE_DAYS} days after from")
    return start or 0, end or 0


def _agents(raw: Mapping[str, str], causes: list[str]) -> tuple[int | None, str | None, str | None]:
    given = [name for name in ("agentId", "empId", "groupId") if name in raw]
    if len(given) > 1:
        causes.append(f"{', '.join(given)}: give at most one of agentId, empId and groupId")
        return None, None, None
    agent_id = employee_id = group_id = None
    if "agentId" in raw:
        agent_id = _whole(raw["agentId"], "agentId", 1, MAX_AGENT_ID, causes)
    if "empId" in raw:
        employee_id = raw["empId"]
        if len(employee_id) > MAX_EMPLOYEE_ID_CHARS:
            causes.append(f"empId: must be at most {MAX_EMPLOYEE_ID_CHARS} characters")
    if "groupId" in raw:
        text = raw["groupId"].strip()
        if not _GROUP_ID.fullmatch(text):
            causes.append(f"groupId: must be an agent group id (digits, or -1), got {text!r}")
        else:
            group_id = text if text == ROOT_GROUP_ID else str(int(text))
    return agent_id, employee_id, group_id
