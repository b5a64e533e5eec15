"""The per-account moving window of the rate limit, in this process's memory.

The `limits` library's memory storage starts a timer thread to expire its entries
whenever the last one has ended (every 10 ms under steady traffic): a thread start per
few queries, a good part of a small query's time. This keeps the same rule (a request
passes when fewer than `limit` passed in the second before it, wherever that second
starts) with a deque of pass times per key, expired as the key is hit, and idle keys
swept now and then; a shared storage (Redis) still goes through `limits`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

SWEEP_EVERY = 1024  # hits between two sweeps of idle keys


class MovingWindow:
    def __init__(
        self, limit: int, window_s: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._passed: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._hits = 0

    def hit(self, key: str) -> bool:
        """True (and counted) when fewer than `limit` hits of `key` passed in the window
        before now; False (not counted) otherwise."""
        now = self._clock()
        since = now - self.window_s
        with self._lock:
            self._hits += 1
            if self._hits % SWEEP_EVERY == 0:
                self._sweep(since)
            passed = self._passed.get(key)
            if passed is None:
                passed = self._passed[key] = deque()
            while passed and passed[0] <= since:
                passed.popleft()
            if len(passed) >= self.limit:
                return False
            passed.append(now)
            return True

    def keys(self) -> int:
        """Keys holding passes (idle ones go at the next sweep)."""
        with self._lock:
            return len(self._passed)

    def _sweep(self, since: float) -> None:
        for key in [key for key, passed in self._passed.items() if passed[-1] <= since]:
            del self._passed[key]
