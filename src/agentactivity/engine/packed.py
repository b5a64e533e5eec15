"""Many timelines packed into one set of arrays, evaluated for all of them at once.

A *series* is a run of segments: an agent's state figures, or one agent's figures under
one Away reason. Concatenated in series order, a segment's sort key is
`series << TIME_BITS | start`, so one `np.searchsorted` finds, for every (series, time)
pair of a query, the segment that contains the time. The accrued ms of a column up to
time t is then `cumulative[j] + activity[code[j], column] * (t - start[j])`, where
`activity` is a small table indexed by the segment's code: the query costs
O(series x edges x log segments), whatever the length of the history.

Per segment a series keeps its key (int64), a one-byte code and its cumulative row
(int32 while no series spans 2^31 ms, about 24 days; int64 beyond). Start and series
number come back from the key. Reason series are sparse: only the segments where the
agent was Away under that reason, each run followed by one closing row (code 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agentactivity.clock import DAY_MS
from agentactivity.engine.records import ReasonIdInterner
from agentactivity.engine.timeline import (
    CODE_BITS,
    FIGURE_COLUMNS,
    FIGURES_PER_STATE,
    AgentTimeline,
)

# Epoch ms fit in 42 bits until the year 2109; that leaves 21 bits for series numbers.
TIME_BITS = 42
TIME_MASK = (1 << TIME_BITS) - 1
MAX_SERIES = 2 ** (63 - TIME_BITS)
INT32_LIMIT = 2**31
# Queries over the last two days (the default maximum timeframe is one) search only the
# rows of that period.
RECENT_MS = 2 * DAY_MS


def _state_activity() -> np.ndarray:
    """Row `code` (state << 2 | chatting << 1 | at_max): which of the 9 columns accrue."""
    table = np.zeros((16, FIGURE_COLUMNS), dtype=np.int64)
    for code in range(16):
        state = code >> 2
        if state:  # OFFLINE accrues nothing
            base = (state - 1) * FIGURES_PER_STATE
            table[code, base : base + 3] = (1, code >> 1 & 1, code & 1)
    return table


STATE_ACTIVITY = _state_activity()
# Reason series: code 4 | chatting << 1 | at_max while Away under the reason, 0 after.
REASON_ACTIVE = 4
REASON_ACTIVITY = np.array(
    [(0, 0, 0)] * 4 + [(1, chatting, at_max) for chatting in (0, 1) for at_max in (0, 1)],
    dtype=np.int64,
)


class PackedSeries:
    """Read-only concatenation of series, built once and evaluated many times.

    Besides every key, it keeps the keys of the *recent* rows, those of segments that
    end after `RECENT_MS` before the newest start: a query whose times are all recent
    searches only them, so its cost does not grow with the history kept.
    """

    __slots__ = ("_activity", "_codes", "_cumulative", "_keys", "_recent", "_shift", "_since")

    def __init__(
        self, series: np.ndarray, starts: np.ndarray, codes: np.ndarray, activity: np.ndarray
    ) -> None:
        """Rows sorted by (series, start); `codes` index the rows of `activity`."""
        if len(series) and int(series[-1]) >= MAX_SERIES:
            raise OverflowError(f"at most {MAX_SERIES - 1} series can be packed")
        n = len(starts)
        self._activity = activity
        self._keys = (series << TIME_BITS) | starts
        self._codes = codes.astype(np.uint8)
        last = np.ones(n, dtype=bool)  # the last row of its series
        last[:-1] = series[1:] != series[:-1]
        ends = np.nonzero(last)[0]
        firsts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
        durations = np.zeros(n, dtype=np.int64)
        if n > 1:
            durations[:-1] = np.diff(starts)
        durations[ends] = 0  # a series' last row ends nowhere
        span = int((starts[ends] - starts[firsts]).max()) if n else 0
        dtype = np.int32 if span < INT32_LIMIT else np.int64
        columns = activity.shape[1]
        self._cumulative = np.empty((n, columns), dtype=dtype)
        if n:
            steps = durations.astype(dtype)
            for column in range(columns):
                accrued = np.take(activity[:, column].astype(dtype), codes) * steps
                # The last row of a series takes back the series' sum, so that one
                # running sum restarts from 0 at every series (and stays within `span`).
                accrued[ends] = -np.add.reduceat(accrued, firsts)
                np.subtract(
                    np.cumsum(accrued, dtype=dtype), accrued, out=self._cumulative[:, column]
                )
        self._index_recent(series, starts, starts + durations, last)

    def _index_recent(
        self, series: np.ndarray, starts: np.ndarray, ends: np.ndarray, last: np.ndarray
    ) -> None:
        self._since = int(starts.max()) - RECENT_MS if len(starts) else 0
        recent = last | (ends > self._since)  # a suffix of every series
        if recent.all():
            self._recent, self._shift = self._keys, np.zeros(1, dtype=np.int64)
            return
        rows = np.nonzero(recent)[0]
        self._recent = self._keys[rows]
        # Row in all keys = position in the recent keys + the shift of the series.
        shift = np.zeros(int(series[-1]) + 1, dtype=np.int64)
        shift[series[rows]] = rows - np.arange(len(rows))
        self._shift = shift

    @property
    def nbytes(self) -> int:
        arrays = [self._keys, self._codes, self._cumulative, self._shift]
        if self._recent is not self._keys:
            arrays.append(self._recent)
        return sum(int(a.nbytes) for a in arrays)

    def accrued(self, series: np.ndarray, times: np.ndarray) -> np.ndarray:
        """ms accrued by each column of each series before each time: (series, times, columns).

        `series` are int64 series numbers, `times` ascending int64 epoch ms."""
        columns = self._activity.shape[1]
        shape = (len(series), len(times), columns)
        if not len(self._keys) or not len(series) or not len(times):
            return np.zeros(shape, dtype=np.int64)
        recent = self._recent is not self._keys and int(times[0]) >= self._since
        keys = self._recent if recent else self._keys
        wanted = (series << TIME_BITS)[:, None] | times  # (series, times)
        found = keys.searchsorted(wanted.ravel(), side="right") - 1
        safe = np.maximum(found, 0)
        key = keys[safe]
        owner = key >> TIME_BITS
        valid = (found >= 0) & (owner == wanted.ravel() >> TIME_BITS)
        rows = safe + self._shift[owner] if recent else safe
        since_start = (wanted & TIME_MASK).ravel() - (key & TIME_MASK)
        result = self._cumulative[rows].astype(np.int64)
        result += self._activity[self._codes[rows]] * since_start[:, None]
        result *= valid[:, None]
        return result.reshape(shape)


def _joined(columns: Sequence[object]) -> np.ndarray:
    """int64 arrays (`array('q')`) concatenated into one numpy array (a copy)."""
    return np.frombuffer(b"".join(columns), dtype=np.int64)  # type: ignore[arg-type]


class Packing:
    """A snapshot of timelines in packed form, for evaluating many agents at once.

    Agent i is `agent_ids[i]` (ascending); its state series is number i, its reason
    series are `reason_first[i]` to `reason_first[i + 1]`, `reason_numbers[s]` the
    account's number of the reason of series s.
    """

    __slots__ = (
        "_names",
        "agent_ids",
        "reason_first",
        "reason_from",
        "reason_numbers",
        "reason_until",
        "reasons",
        "states",
    )

    def __init__(self, timelines: Sequence[AgentTimeline], reasons: ReasonIdInterner) -> None:
        agents = len(timelines)
        if agents >= MAX_SERIES:
            raise OverflowError(f"at most {MAX_SERIES - 1} series can be packed")
        self.agent_ids = np.array([t.agent_id for t in timelines], dtype=np.int64)
        lengths = np.fromiter(
            (len(t.segment_starts) for t in timelines), dtype=np.int64, count=agents
        )
        starts = _joined([t.segment_starts for t in timelines])
        categories = _joined([t.segment_categories for t in timelines])
        owner = np.repeat(np.arange(agents, dtype=np.int64), lengths)
        codes = categories & ((1 << CODE_BITS) - 1)
        self.states = PackedSeries(owner, starts, codes, STATE_ACTIVITY)

        # Reason series: segments Away under a reason, and a closing row after each run.
        numbers = categories >> CODE_BITS
        active = np.nonzero(numbers)[0]
        following = np.minimum(active + 1, max(len(numbers) - 1, 0))
        closes = active[
            (active + 1 < len(numbers))
            & (owner[following] == owner[active])
            & (numbers[following] != numbers[active])
        ]
        pair = owner << 31 | numbers  # (agent, reason) of a segment
        rows_pair = np.concatenate([pair[active], pair[closes]])
        rows_start = np.concatenate([starts[active], starts[closes + 1]])
        rows_code = np.concatenate(
            [REASON_ACTIVE | (codes[active] & 3), np.zeros(len(closes), dtype=np.int64)]
        )
        pairs, series = np.unique(rows_pair, return_inverse=True)
        order = np.lexsort((rows_start, series))
        series, rows_start, rows_code = (
            series[order].astype(np.int64),
            rows_start[order],
            rows_code[order],
        )
        self.reasons = PackedSeries(series, rows_start, rows_code, REASON_ACTIVITY)
        # When each series' time under its reason begins and ends (never: int64 max), so
        # that a query skips series without time in its window before evaluating them.
        last = np.ones(len(series), dtype=bool)
        last[:-1] = series[1:] != series[:-1]
        first = np.ones(len(series), dtype=bool)
        first[1:] = last[:-1]
        self.reason_from = rows_start[first]
        self.reason_until = np.where(rows_code[last] == 0, rows_start[last], np.iinfo(np.int64).max)
        self.reason_numbers = pairs & (INT32_LIMIT - 1)
        self._names = reasons.names  # grows only by appending: numbers stay valid
        self.reason_first = np.searchsorted(pairs >> 31, np.arange(agents + 1))

    @property
    def nbytes(self) -> int:
        arrays = (
            self.agent_ids,
            self.reason_first,
            self.reason_numbers,
            self.reason_from,
            self.reason_until,
        )
        return self.states.nbytes + self.reasons.nbytes + sum(int(a.nbytes) for a in arrays)

    def ranks(self, agent_ids: np.ndarray) -> np.ndarray:
        """Positions of `agent_ids` (all packed here) in this packing."""
        return np.searchsorted(self.agent_ids, agent_ids)

    def figures(
        self, ranks: np.ndarray, edges: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        """ms accrued before each edge by the agents at `ranks`: their state columns
        (agent, edge, 9); and for each of their reason series, the position in `ranks`
        of its agent, its reason id and its columns (series, edge, 3)."""
        states = self.states.accrued(ranks, edges)
        lo, hi = self.reason_first[ranks], self.reason_first[ranks + 1]
        counts = hi - lo
        owners = np.repeat(np.arange(len(ranks), dtype=np.int64), counts)
        skip = lo - (np.cumsum(counts) - counts)  # series number minus output position
        series = np.repeat(skip, counts) + np.arange(int(counts.sum()), dtype=np.int64)
        if len(edges):  # only series with time between the first and the last edge matter
            overlap = (self.reason_from[series] < edges[-1]) & (
                self.reason_until[series] > edges[0]
            )
            series, owners = series[overlap], owners[overlap]
        reasons = self.reasons.accrued(series, edges)
        used = np.nonzero(reasons[:, -1, 0] > reasons[:, 0, 0])[0] if len(edges) else series[:0]
        names = self._names
        reason_ids = [names[n] for n in self.reason_numbers[series[used]].tolist()]
        return states, owners[used], reason_ids, reasons[used]
