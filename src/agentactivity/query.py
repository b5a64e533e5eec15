"""The validated form of an Agent Activity request (SPEC section 3), its scopes, and the
names its answer gives the states."""

from __future__ import annotations

from dataclasses import dataclass

from agentactivity.clock import MINUTE_MS

BUCKET_MS = 5 * MINUTE_MS


@dataclass(frozen=True, slots=True)
class StateNames:
    """Display names of the four entries; the ids are the stable keys."""

    online: str = "Online"
    back_soon: str = "Back in 5"
    away: str = "Away"
    logged_in: str = "Logged in"


@dataclass(frozen=True, slots=True)
class ActivityQuery:
    """What a client asked for, already checked against every rule of SPEC section 3.

    `agent_ids` is None for `agentIds=all`, else the ascending distinct ids asked for.
    `to` is the window's end in epoch ms, or None for "now".
    `agent_group_ids` (SPEC section 8) is None when not asked, else the distinct group ids
    asked for, as given: the service checks them against the directory and narrows
    `agent_ids` to their members before the engine sees the query. `group_totals` asks
    for `metricsPerGroup` in every scope.
    """

    timeframe: int
    agent_ids: tuple[int, ...] | None
    version: int
    interval: int | None = None
    to: int | None = None
    totals: bool = False
    agent_group_ids: tuple[str, ...] | None = None
    group_totals: bool = False

    def window(self, now_ms: int) -> tuple[int, int]:
        """The window [S, E) in epoch ms."""
        end = self.to if self.to is not None else now_ms
        return end - self.timeframe * MINUTE_MS, end


def interval_scopes(start: int, end: int, interval_min: int) -> list[tuple[int, int, int]]:
    """The intervals of a window, newest first, as (timestamp, scope_start, scope_end).

    R is the window end rounded up to 5 minutes; interval k is [R-(k+1)I, R-kI) clipped to
    [start, end); `timestamp` is its unclipped end. Empty intervals are left out.
    """
    step = interval_min * MINUTE_MS
    rounded = -(-end // BUCKET_MS) * BUCKET_MS
    scopes = []
    k = 0
    while True:
        hi = rounded - k * step
        lo = hi - step
        if hi <= start:
            break
        a, b = max(lo, start), min(hi, end)
        if a < b:
            scopes.append((hi, a, b))
        k += 1
    return scopes
