"""Activity reports (SPEC section 9): what a report asks for, checked once for the command
line and the HTTP API alike, and the rows it is made of, as CSV.

A report covers the local days [from, to) of a time zone, in intervals of 15, 30 or 60
minutes or whole days (local_days.py), and has one row per agent, interval and figure
line with time in it (docs/api.md, Reports).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agentactivity.local_days import (
    LocalDay,
    find_zone,
    local_date,
    local_days,
    midnight,
    zone_spelled,
)

INTERVALS = (15, 30, 60, 1440)
COLUMNS = (
    "agentId",
    "agentName",
    "employeeId",
    "agentGroupId",
    "intervalStart",
    "state",
    "reasonId",
    "reasonName",
    "totalSeconds",
    "chattingSeconds",
    "notChattingSeconds",
    "atMaxSeconds",
)
# One row, in the order of COLUMNS: agentId, agentName, employeeId, agentGroupId,
# intervalStart (local time with offset), state, reasonId, reasonName, then 4 seconds.
Row = tuple[int, str | None, str | None, str, str, str, str | None, str | None, int, int, int, int]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ReportError(ValueError):
    """Parameters a report cannot be made with: (parameter, problem) pairs, the parameter
    named as the API names it (`from`, `to`, `tz`, `interval`)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems))


@dataclass(frozen=True, slots=True)
class ReportRange:
    """The local days a report covers, checked: `first` to `last` (both included) in
    `zone`, in intervals of `interval` minutes, as of `now` (epoch ms)."""

    first: date
    last: date
    zone: ZoneInfo
    interval: int
    now: int

    @property
    def zone_name(self) -> str:
        return self.zone.key

    def days(self) -> Iterator[LocalDay]:
        """Each day with its intervals, up to now: an interval that has not begun yet is
        left out, the one in progress ends at now."""
        today = local_date(self.now, self.zone)
        for day in local_days(self.first, min(self.last, today), self.zone, self.interval):
            intervals = [(a, min(b, self.now)) for a, b in day.intervals if a < self.now]
            if intervals:
                yield replace(day, intervals=intervals)


def _date(raw: Any, name: str, problems: list[tuple[str, str]]) -> date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append((name, "is required: a local date, YYYY-MM-DD"))
        return None
    try:
        if isinstance(raw, str) and _DATE.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    problems.append((name, f"must be a date as YYYY-MM-DD (e.g. 2026-10-25), got {raw!r}"))
    return None


def _interval(raw: Any, problems: list[tuple[str, str]]) -> int | None:
    """One of INTERVALS, written exactly (`60`; an int from the command line)."""
    choices = ", ".join(str(choice) for choice in INTERVALS)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append(("interval", f"is required: minutes, one of {choices}"))
        return None
    if not isinstance(raw, bool) and isinstance(raw, (str, int)):
        if str(raw) in {str(choice) for choice in INTERVALS}:
            return int(raw)
    problems.append(("interval", f"must be one of {choices} (minutes), got {raw!r}"))
    return None


def plan_report(
    from_: Any, to: Any, tz: Any, interval: Any, *, now_ms: int, history_ms: int
) -> ReportRange:
    """The report's range, or ReportError listing every problem: unknown zone, dates that
    are not YYYY-MM-DD, `to` not after `from`, `from` after today or before the history
    (the store keeps `history_ms` before now), an interval not in INTERVALS."""
    problems: list[tuple[str, str]] = []
    zone = find_zone(tz) if isinstance(tz, str) else None
    if zone is None:
        if tz is None or not str(tz).strip():
            problem = "is required: an IANA time zone name such as Europe/Berlin, or UTC"
        else:
            spelled = zone_spelled(tz) if isinstance(tz, str) else None
            hint = f"did you mean {spelled!r}?" if spelled else "such as Europe/Berlin, or UTC"
            problem = f"{tz!r} is not a time zone: give an IANA time zone name ({hint})"
        problems.append(("tz", problem))
    first = _date(from_, "from", problems)
    end = _date(to, "to", problems)
    minutes = _interval(interval, problems)
    if first is not None and end is not None and end <= first:
        problems.append(
            (
                "to",
                f"must be after from, got from={first} to={end} (to is exclusive: the day "
                "after the last one, so one day is from=2026-10-25 to=2026-10-26)",
            )
        )
    if zone is not None and first is not None:
        today = local_date(now_ms, zone)
        oldest = oldest_day(now_ms - history_ms, zone)
        if first > today:
            problems.append(("from", f"{first} is after today ({today} in {zone.key})"))
        elif first < oldest:
            problems.append(
                (
                    "from",
                    f"{first} is before the history the service keeps: the oldest day "
                    f"it can report in {zone.key} is {oldest}",
                )
            )
    if problems:
        raise ReportError(problems)
    assert zone is not None and first is not None and end is not None and minutes is not None
    return ReportRange(first, end - _DAY, zone, minutes, now_ms)


_DAY = timedelta(days=1)


def oldest_day(history_start: int, zone: ZoneInfo) -> date:
    """The first local day that begins at or after `history_start` (epoch ms)."""
    day = local_date(history_start, zone)
    return day if midnight(day, zone) >= history_start else day + _DAY


def csv_lines(rows: Iterable[Row | tuple[str, ...]]) -> str:
    """Rows as CSV text (RFC 4180: CRLF line ends, quotes only where needed; None is an
    empty cell)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


CSV_HEADER = csv_lines([COLUMNS])
