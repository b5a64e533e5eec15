"""Local days of a time zone and their intervals, in epoch ms (the reports of SPEC
section 9).

A local day runs from its midnight to the next day's midnight, so it has 23 or 25 hours
on the days a zone changes its offset by an hour (23.5 or 24.5 with a 30-minute change).
Its intervals step in absolute time from its midnight, each `interval` minutes long, the
last one clipped at the next midnight: 96 of 15 minutes on a 24-hour day, 100 on a
25-hour one, 92 on a 23-hour one. Where a zone's change is not a multiple of the
interval (30 minutes, with hourly intervals) the intervals after it start at half past
in local time. docs/api.md, Reports, says why.

A midnight that does not exist (a zone whose clocks jump forward at 00:00) is the first
instant of the day, when the clocks show 01:00; a midnight that happens twice (clocks
going back from 00:00 to 23:00 the day before) is the second one, so the day before holds
both of its 23:00s.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from agentactivity.clock import MINUTE_MS, SECOND_MS

WHOLE_DAY = 24 * 60  # minutes: one interval per local day (23, 24 or 25 hours)
# Zone names that are not places: what they mean depends on the machine.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name this machine knows (the system's database, else the tzdata
    package's), without those that name no place."""
    return frozenset(
        name
        for name in available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


@functools.cache
def _by_lower_case() -> dict[str, str]:
    return {name.lower(): name for name in zone_names()}


def find_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone named exactly `name` (e.g. `Europe/Berlin`), else None. Only
    names of the zone database are looked up, never paths."""
    return ZoneInfo(name) if name in zone_names() else None


def zone_spelled(name: str) -> str | None:
    """The zone name that `name` spells in another case or with blanks around
    (`europe/berlin`), for a hint."""
    return _by_lower_case().get(name.strip().lower())


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * SECOND_MS)


def _wall(ms: int, zone: ZoneInfo) -> datetime:
    """The local wall-clock time at `ms`, without its zone."""
    return datetime.fromtimestamp(ms / SECOND_MS, zone).replace(tzinfo=None)


def midnight(day: date, zone: ZoneInfo) -> int:
    """The first instant of the local `day`, in epoch ms (see the module's docstring)."""
    wall = datetime.combine(day, time(0))
    candidates = sorted(_ms(wall.replace(tzinfo=zone, fold=fold)) for fold in (0, 1))
    for instant in candidates:
        if _wall(instant, zone) == wall:
            return instant
    # In a gap: the first instant whose wall clock shows the day (found to the second).
    low, high = (instant // SECOND_MS for instant in candidates)
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(middle * SECOND_MS, zone) >= wall:
            high = middle
        else:
            low = middle
    return high * SECOND_MS


def local_text(ms: int, zone: ZoneInfo) -> str:
    """An instant as local time with its offset: `2026-10-25T02:00:00+01:00`."""
    return datetime.fromtimestamp(ms / SECOND_MS, zone).isoformat()


def local_date(ms: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(ms / SECOND_MS, zone).date()


@dataclass(frozen=True, slots=True)
class LocalDay:
    """One local day: [start, end) in epoch ms and its intervals' [start, end) pairs."""

    day: date
    start: int
    end: int
    intervals: list[tuple[int, int]]


def day_intervals(day: date, zone: ZoneInfo, interval_minutes: int) -> LocalDay:
    """The day's intervals; 1440 minutes means the whole day, whatever its length."""
    start, end = midnight(day, zone), midnight(day + timedelta(days=1), zone)
    if interval_minutes == WHOLE_DAY:
        return LocalDay(day, start, end, [(start, end)])
    step = interval_minutes * MINUTE_MS
    edges = list(range(start, end, step))
    return LocalDay(day, start, end, [(a, min(a + step, end)) for a in edges])


def local_days(
    first: date, last: date, zone: ZoneInfo, interval_minutes: int
) -> Iterator[LocalDay]:
    """The local days from `first` to `last` (both included), each with its intervals."""
    day = first
    while day <= last:
        yield day_intervals(day, zone, interval_minutes)
        day += timedelta(days=1)
