"""Time as the service counts it: epoch milliseconds, read from one replaceable clock.

Everything that needs "now" takes a `Clock` (tests pass a fake one) or calls `now_ms`;
durations are written with the constants below instead of bare 60_000 literals.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

# A source of "now" in epoch ms.
Clock = Callable[[], int]


def now_ms() -> int:
    """The wall clock, in epoch ms."""
    return time.time_ns() // 1_000_000
