"""Time as the service counts it: epoch milliseconds, read from one replaceable clock.

Everything that needs "now" takes a `Clock` (tests pass a fake one) or calls `now_ms`;
durations are written with the constants below instead of bare 60_000 literals.
"""

from __future__ import annotations

import functools
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
