"""Time as the service counts it: epoch milliseconds, read from one replaceable clock.

Everything that needs "now" takes a `Clock` (tests pass a fake one) or calls `now_ms`;
durations are written with the constants below instead of bare 60_000 literals.
"""

from __future__ import annotations

import calendar
import functools
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

# A source of "now" in epoch ms.
Clock = Callable[[], int]


def now_ms() -> int:
    """The wall clock, in epoch ms."""
    return time.time_ns() // 1_000_000


@functools.lru_cache(maxsize=4096)
def rfc3339(ms: int) -> str:
    """Epoch ms as RFC 3339 text in UTC, to the second (`2024-05-01T12:00:00Z`). Cached:
    the users of one batch share their instant, and a directory is read back whole."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=8192)
def _minute(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:")


def rfc3339_ms(ms: int) -> str:
    """Epoch ms as RFC 3339 text in UTC with milliseconds (`2024-05-01T12:00:00.125Z`):
    the minute from a cache (a page of thousands of records spans a few hundred), the
    rest by arithmetic."""
    minute, rest = divmod(ms, MINUTE_MS)
    return f"{_minute(minute)}{rest // SECOND_MS:02d}.{rest % SECOND_MS:03d}Z"


# RFC 3339's date-time (section 5.6): "T" or "t" (or a blank, as its note allows)
# between date and time, a fraction of up to 18 digits, "Z", "z" or a numeric offset. A "+"
# sent unencoded in a query string arrives as a blank: " 02:00" is read as "+02:00".
RFC3339_PATTERN = (
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,18}))?"
    r"(?:([Zz])|([+\- ])([0-9]{2}):([0-9]{2}))"
)
_RFC3339 = re.compile(RFC3339_PATTERN)


def parse_rfc3339(text: str) -> int:
    """RFC 3339 date-time text as epoch ms, rounded up to a whole ms (so that "at or
    after" and "before" it mean the same for the ms times of events); ValueError
    naming what is wrong otherwise."""
    found = _RFC3339.fullmatch(text.strip())
    if not found:
        raise ValueError(
            f"{text!r} is not an RFC 3339 date-time (e.g. 2024-05-01T12:00:00Z or "
            "2024-05-01T14:00:00.250+02:00)"
        )
    year, month, day, hour, minute, second = (int(found.group(n)) for n in range(1, 7))
    fraction, zulu, sign, offset_h, offset_m = found.group(7, 8, 9, 10, 11)
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise ValueError(f"{text!r} is not a date of the calendar")
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} is not a time of day (leap seconds are not taken)")
    offset = 0
    if not zulu:
        if int(offset_h) > 23 or int(offset_m) > 59:
            raise ValueError(f"{text!r} has an offset out of range")
        offset = (int(offset_h) * 60 + int(offset_m)) * MINUTE_MS
        offset = -offset if sign == "-" else offset
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    fraction = fraction or "0"
    millis = -(-int(fraction) * SECOND_MS // 10 ** len(fraction))  # rounded up
    return seconds * SECOND_MS + millis - offset
