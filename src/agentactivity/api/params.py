"""Agent Activity request parameters, checked against every rule of SPEC section 3.

GET query strings and POST JSON bodies go through the same parser: values may be
strings or numbers, `null` or an empty string means absent, unknown fields are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from agentactivity.api.errors import ApiError
from agentactivity.clock import MINUTE_MS
from agentactivity.directory import ROOT_GROUP_ID, UnknownGroups
from agentactivity.events import MAX_AGENT_ID
from agentactivity.query import ActivityQuery

_DIGITS = re.compile(r"\+?[0-9]+")
KNOWN = (
    "timeframe",
    "agentIds",
    "v",
    "interval",
    "to",
    "totals",
    "agentGroupIds",
    "groupTotals",
)


class MultiValued(Protocol):
    """A query string's parameters (Starlette's QueryParams has this)."""

    def getlist(self, key: str) -> list[str]: ...


def single_values(params: MultiValued, names: Iterable[str]) -> dict[str, str]:
    """{name: value} of the `names` present in a query string; a name given more than once
    is a 400, since which of its values was meant cannot be told."""
    raw: dict[str, str] = {}
    for name in names:
        values = params.getlist(name)
        if len(values) > 1:
            raise ApiError(400, f"{name} is given {len(values)} times; give it once")
        if values:
            raw[name] = values[0]
    return raw


class _Problems:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            details = self.messages if len(self.messages) > 1 else None
            raise ApiError(400, self.messages[0], details)


def _absent(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _integer(raw: Any, name: str, what: str) -> int:
    """A whole number from a JSON number or a string of digits; ValueError otherwise."""
    if isinstance(raw, bool):
        raise ValueError(f"{name} must be {what}, got {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _DIGITS.fullmatch(raw.strip()):
        digits = raw.strip().lstrip("+").lstrip("0") or "0"
        if len(digits) > 19:  # beyond any 64-bit value (and Python's int() digit limit)
            raise ValueError(f"{name} must be {what}, got a number of {len(digits)} digits")
        return int(digits)
    raise ValueError(f"{name} must be {what}, got {raw!r}")


def _agent_id(raw: Any) -> int:
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw.isascii() or not raw.isdigit():
            raise ValueError(f"agentIds: {raw!r} is not a numeric agent id")
    value = _integer(raw, "agentIds", "a list of numeric agent ids")
    if not 1 <= value <= MAX_AGENT_ID:
        raise ValueError(f"agentIds: {value} is out of range (1 to {MAX_AGENT_ID})")
    return value


def _items(raw: Any, name: str, none_given: str) -> list[Any]:
    """The items of a list parameter: a comma-separated string (an empty item is almost
    always a client bug: 400), a JSON array, or one JSON value."""
    if isinstance(raw, str):
        items: list[Any] = raw.split(",")
        for position, item in enumerate(items, start=1):
            if not item.strip():
                raise ValueError(f"{name} has an empty item at position {position}")
    elif isinstance(raw, list):
        items = raw
    else:
        items = [raw]
    if not items:
        raise ValueError(none_given)
    return items


def parse_agent_ids(raw: Any, max_ids: int) -> tuple[int, ...] | None:
    """`all` (None) or the ascending distinct ids of a comma-separated list."""
    required = "agentIds is required: 'all' or a comma-separated list of agent ids"
    if _absent(raw):
        raise ValueError(required)
    if isinstance(raw, str) and raw.strip().lower() == "all":
        return None
    ids = {_agent_id(item) for item in _items(raw, "agentIds", required)}
    if len(ids) > max_ids:
        raise ValueError(f"agentIds lists {len(ids)} agents; at most {max_ids} are allowed")
    return tuple(sorted(ids))


def _group_id(raw: Any) -> str:
    """A group id as the directory keys them: "-1" (the root) or digits, without leading
    zeros (so `007` asks for group `7`, as agent ids are read)."""
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == ROOT_GROUP_ID:
            return raw
        if not raw.isascii() or not raw.isdigit():
            raise ValueError(f"agentGroupIds: {raw!r} is not an agent group id (digits, or -1)")
    elif isinstance(raw, int) and not isinstance(raw, bool) and raw == -1:
        return ROOT_GROUP_ID
    return str(_integer(raw, "agentGroupIds", "a list of agent group ids"))


def parse_group_ids(raw: Any, max_ids: int) -> tuple[str, ...] | None:
    """`agentGroupIds`: None when absent, else the distinct ids of a comma-separated list
    (or of a JSON list, or one number), in ascending numeric order. Whether the groups
    exist is for the service to say (it has the directory)."""
    if _absent(raw):
        return None
    none_given = "agentGroupIds, when given, lists at least one agent group id"
    ids = {_group_id(item) for item in _items(raw, "agentGroupIds", none_given)}
    if len(ids) > max_ids:
        raise ValueError(f"agentGroupIds lists {len(ids)} groups; at most {max_ids} are allowed")
    return tuple(sorted(ids, key=int))


@contextmanager
def known_groups() -> Iterator[None]:
    """Around a service call: an `agentGroupIds` id the directory does not have (only
    the service can tell) is the parameter's 400."""
    try:
        yield
    except UnknownGroups as exc:
        raise ApiError(400, str(exc)) from exc


def _boolean(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "1"):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("false", "0"):
        return False
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _past_instant(raw: Mapping[str, Any], now_ms: int, problems: _Problems) -> int | None:
    """`to`: epoch ms not in the future, or None when absent or wrong (then a problem is
    recorded). Each caller adds its own bound on how old it may be."""
    if _absent(raw.get("to")):
        return None
    try:
        to = _integer(raw["to"], "to", "epoch milliseconds")
    except ValueError as exc:
        problems.add(str(exc))
        return None
    if to > now_ms:
        problems.add(f"to must not be in the future (server time: {now_ms}), got {to}")
        return None
    return to


def parse_activity_query(
    raw: Mapping[str, Any],
    *,
    now_ms: int,
    max_timeframe: int,
    history_ms: int,
    max_agent_ids: int,
) -> ActivityQuery:
    problems = _Problems()

    timeframe = None
    if _absent(raw.get("timeframe")):
        problems.add(f"timeframe is required: whole minutes from 1 to {max_timeframe}")
    else:
        try:
            timeframe = _integer(raw["timeframe"], "timeframe", "a whole number of minutes")
            if not 1 <= timeframe <= max_timeframe:
                problems.add(
                    f"timeframe must be between 1 and {max_timeframe} minutes, got {timeframe}"
                )
                timeframe = None
        except ValueError as exc:
            problems.add(str(exc))

    agent_ids: tuple[int, ...] | None = None
    try:
        agent_ids = parse_agent_ids(raw.get("agentIds"), max_agent_ids)
    except ValueError as exc:
        problems.add(str(exc))

    version = 1
    if _absent(raw.get("v")):
        problems.add("v is required: 1 or 2")
    else:
        try:
            version = _integer(raw["v"], "v", "1 or 2")
            if version not in (1, 2):
                problems.add(f"v must be 1 or 2, got {version}")
        except ValueError as exc:
            problems.add(str(exc))

    interval = None
    if not _absent(raw.get("interval")):
        try:
            interval = _integer(raw["interval"], "interval", "a whole number of minutes")
            if interval < 5:
                problems.add(f"interval must be at least 5 minutes, got {interval}")
            elif timeframe is not None and interval > timeframe:
                problems.add(
                    "interval must not exceed timeframe "
                    f"(timeframe={timeframe}, interval={interval})"
                )
            elif timeframe is not None and timeframe % interval:
                problems.add(
                    f"interval must divide timeframe (timeframe={timeframe}, interval={interval})"
                )
        except ValueError as exc:
            problems.add(str(exc))

    oldest = now_ms - history_ms
    to = _past_instant(raw, now_ms, problems)
    if to is not None and timeframe is not None and to - timeframe * MINUTE_MS < oldest:
        problems.add(
            f"to minus timeframe must not be older than the history "
            f"(oldest start: {oldest}), got to={to}"
        )

    totals = _optional_boolean(raw, "totals", problems)
    group_ids = _group_ids(raw, max_agent_ids, problems)
    group_totals = _optional_boolean(raw, "groupTotals", problems)

    problems.raise_if_any()
    assert timeframe is not None
    return ActivityQuery(
        timeframe, agent_ids, version, interval, to, totals, group_ids, group_totals
    )


def _optional_boolean(raw: Mapping[str, Any], name: str, problems: _Problems) -> bool:
    if _absent(raw.get(name)):
        return False
    try:
        return _boolean(raw[name], name)
    except ValueError as exc:
        problems.add(str(exc))
        return False


def _group_ids(raw: Mapping[str, Any], max_ids: int, problems: _Problems) -> tuple[str, ...] | None:
    try:
        return parse_group_ids(raw.get("agentGroupIds"), max_ids)
    except ValueError as exc:
        problems.add(str(exc))
        return None


STATE_KNOWN = ("agentIds", "to", "agentGroupIds")


@dataclass(frozen=True, slots=True)
class StateQuery:
    """The current-state parameters of SPEC sections 7 and 8."""

    agent_ids: tuple[int, ...] | None  # None: all
    group_ids: tuple[str, ...] | None  # None: not asked
    as_of: int


def parse_state_query(
    raw: Mapping[str, Any], *, now_ms: int, retention_ms: int, max_agent_ids: int
) -> StateQuery:
    problems = _Problems()
    agent_ids: tuple[int, ...] | None = None
    try:
        agent_ids = parse_agent_ids(raw.get("agentIds"), max_agent_ids)
    except ValueError as exc:
        problems.add(str(exc))
    oldest = now_ms - retention_ms
    to = _past_instant(raw, now_ms, problems)
    if to is not None and to < oldest:
        problems.add(f"to must not be older than the retention window (oldest: {oldest}), got {to}")
    group_ids = _group_ids(raw, max_agent_ids, problems)
    problems.raise_if_any()
    return StateQuery(agent_ids, group_ids, now_ms if to is None else to)
