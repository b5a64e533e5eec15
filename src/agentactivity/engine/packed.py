"""Many timelines packed into one set of arrays, evaluated for all of them at once.

Each series (an agent's state figures, or one agent's figures under one Away reason)
is a run of segments. Concatenated in series order, a segment's sort key is
`series << TIME_BITS | start`, so one `np.searchsorted` finds, for every (series, time)
pair of a query, the segment that contains the time. The accrued ms of a column up to
time t is then `cumulative[j] + activity[j] * (t - start[j])`: the query costs
O(series x edges x log segments), whatever the length of the history.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agentactivity.engine.timeline import SegmentArrays

# Epoch ms fit in 42 bits until the year 2109; that leaves 21 bits for series numbers.
TIME_BITS = 42
MAX_SERIES = 2 ** (63 - TIME_BITS)


class PackedSeries:
    """Read-only concatenation of series, built once and evaluated many times."""

    __slots__ = ("_activity", "_cumulative", "_keys", "_series_of", "_starts", "columns")

    def __init__(self, series: Sequence[SegmentArrays], columns: int) -> None:
        if len(series) >= MAX_SERIES:
            raise OverflowError(f"at most {MAX_SERIES - 1} series can be packed")
        self.columns = columns
        lengths = np.fromiter((len(s.starts) for s in series), dtype=np.int64, count=len(series))
        self._series_of = np.repeat(np.arange(len(series), dtype=np.int64), lengths)
        if len(self._series_of):
            self._starts = np.concatenate([s.starts for s in series])
            self._activity = np.concatenate([s.activity for s in series])
            self._cumulative = np.concatenate([s.cumulative for s in series])
        else:
            self._starts = np.zeros(0, dtype=np.int64)
            self._activity = np.zeros((0, columns), dtype=np.int64)
            self._cumulative = np.zeros((0, columns), dtype=np.int64)
        self._keys = (self._series_of << TIME_BITS) | self._starts

    def accrued(self, series: np.ndarray, times: np.ndarray) -> np.ndarray:
        """ms accrued by each column of each series before each time: (series, times, columns)."""
        shape = (len(series), len(times), self.columns)
        if not len(self._keys) or not len(series) or not len(times):
            return np.zeros(shape, dtype=np.int64)
        wanted = ((series.astype(np.int64) << TIME_BITS)[:, None] | times[None, :]).ravel()
        found = np.searchsorted(self._keys, wanted, side="right") - 1
        safe = np.maximum(found, 0)
        valid = (found >= 0) & (self._series_of[safe] == np.repeat(series, len(times)))
        since_start = np.tile(times, len(series)) - self._starts[safe]
        result = self._cumulative[safe] + self._activity[safe] * since_start[:, None]
        result[~valid] = 0
        return result.reshape(shape)


def accrued_one(arrays: SegmentArrays, times: np.ndarray) -> np.ndarray:
    """The same as `PackedSeries.accrued` for one series: (times, columns)."""
    columns = arrays.activity.shape[1]
    if not len(arrays.starts):
        return np.zeros((len(times), columns), dtype=np.int64)
    found = np.searchsorted(arrays.starts, times, side="right") - 1
    safe = np.maximum(found, 0)
    result = (
        arrays.cumulative[safe] + arrays.activity[safe] * (times - arrays.starts[safe])[:, None]
    )
    result[found < 0] = 0
    return result
