"""One agent's timeline: its events in order, turned into segments of constant situation.

A segment starts at an event time and lasts until the next segment starts (the last one
lasts forever, i.e. until "now"). Within a segment the agent's logged-in state, Away
reason, "chatting" and "at max concurrency" do not change, so every figure of SPEC
section 3 is a sum of segment durations. Events are applied in order of (time, seq):
seq is the store's arrival order, which breaks same-millisecond ties.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from agentactivity.events import Event, Record, to_record
from agentactivity.retention import events_to_keep

# State codes, also the column groups of the figure matrix (see FIGURE_COLUMNS).
OFFLINE, ONLINE, BACK_SOON, AWAY = 0, 1, 2, 3
STATE_CODES = {"OFFLINE": OFFLINE, "ONLINE": ONLINE, "BACK_SOON": BACK_SOON, "AWAY": AWAY}
STATE_NAMES_BY_CODE = {code: name for name, code in STATE_CODES.items()}

# Per state three figures: total, chatting, chatting in max concurrency.
FIGURES_PER_STATE = 3
FIGURE_COLUMNS = 3 * FIGURES_PER_STATE  # Online, Back soon, Away

# A segment's category: (state code, reason id or None, chatting, at max concurrency).
Category = tuple[int, str | None, bool, bool]
LOGGED_OUT: Category = (OFFLINE, None, False, False)


@dataclass(slots=True)
class Situation:
    """Everything the events say about an agent at one instant."""

    state: int = OFFLINE
    reason: str | None = None
    chats: set[str] = field(default_factory=set)
    max_chats: int = 0
    # For the current-state view: when (state, reason) and the login last changed.
    since: int | None = None
    logged_in_since: int | None = None

    def apply(self, record: Record) -> None:
        time, _seq, type_, state_name, reason_id, chat_id, max_chats = record
        if type_ == "state":
            state = STATE_CODES[state_name or ""]
            reason = reason_id if state == AWAY else None
            if (state, reason) != (self.state, self.reason):
                self.since = time
            if state != OFFLINE and self.state == OFFLINE:
                self.logged_in_since = time
            elif state == OFFLINE:
                self.logged_in_since = None
            self.state, self.reason = state, reason
            if state == OFFLINE:
                self.chats.clear()  # every OFFLINE ends all chats (SPEC section 2)
        elif type_ == "chat_start":
            self.chats.add(chat_id or "")
        elif type_ == "chat_end":
            self.chats.discard(chat_id or "")
        else:
            self.max_chats = max_chats or 0

    def category(self) -> Category:
        if self.state == OFFLINE:
            return LOGGED_OUT
        chats = len(self.chats)
        at_max = self.max_chats > 0 and chats >= self.max_chats
        return (self.state, self.reason, chats > 0, at_max)


@dataclass(slots=True)
class SegmentArrays:
    """A timeline in array form, ready for cumulative-sum evaluation.

    `activity[j, c]` is 1 when figure column c accrues time during segment j, and
    `cumulative[j, c]` is the ms column c accrued before segment j starts.
    """

    starts: np.ndarray  # int64, ascending
    activity: np.ndarray  # int64 (n, columns)
    cumulative: np.ndarray  # int64 (n, columns)


class ColumnBuffer:
    """Activity and cumulative rows of some figure columns, grown in place.

    Segments are almost always appended at the end, so rows are kept in buffers with
    spare capacity and only the rows from the first changed segment on are recomputed.
    """

    __slots__ = ("activity", "cumulative")

    def __init__(self, columns: int, capacity: int) -> None:
        self.activity = np.zeros((capacity, columns), dtype=np.int64)
        self.cumulative = np.zeros((capacity, columns), dtype=np.int64)

    def grow(self, capacity: int) -> None:
        if capacity > len(self.activity):
            for name in ("activity", "cumulative"):
                old = getattr(self, name)
                new = np.zeros((capacity, old.shape[1]), dtype=np.int64)
                new[: len(old)] = old
                setattr(self, name, new)

    def accumulate(self, starts: np.ndarray, first: int, end: int) -> None:
        """Recompute cumulative rows [first, end) from the rows before them."""
        if first == 0 and end > 0:
            self.cumulative[0] = 0
        first = max(first, 1)
        if end > first:
            durations = np.diff(starts[first - 1 : end])[:, None]
            steps = np.cumsum(self.activity[first - 1 : end - 1] * durations, axis=0)
            self.cumulative[first:end] = self.cumulative[first - 1] + steps

    def view(self, starts: np.ndarray, end: int) -> SegmentArrays:
        return SegmentArrays(starts[:end], self.activity[:end], self.cumulative[:end])


class AgentTimeline:
    """Events and segments of one agent, kept current as events arrive."""

    __slots__ = (
        "_categories",
        "_records",
        "_reasons",
        "_situation",
        "_start_buffer",
        "_starts",
        "_states",
        "_valid",
        "agent_id",
    )

    def __init__(self, agent_id: int) -> None:
        self.agent_id = agent_id
        self._records: list[Record] = []  # ascending by (time, seq)
        self._situation = Situation()
        self._starts: list[int] = []
        self._categories: list[Category] = []
        # Array form of the segments; rows before `_valid` are current.
        self._valid = 0
        self._start_buffer = np.zeros(0, dtype=np.int64)
        self._states = ColumnBuffer(FIGURE_COLUMNS, 0)
        self._reasons: dict[str, ColumnBuffer] = {}

    @property
    def situation(self) -> Situation:
        """The agent's situation after every event applied so far."""
        return self._situation

    @property
    def last_time(self) -> int | None:
        return self._records[-1][0] if self._records else None

    def add(self, seq: int, event: Event) -> None:
        record = to_record(seq, event)
        if not self._records or record > self._records[-1]:
            self._records.append(record)
            self._advance(record)
            return
        # A late event: insert it in order and rebuild the segments from scratch.
        bisect.insort(self._records, record)
        self._rebuild()

    def prune(self, before_ms: int) -> bool:
        """Forget events before `before_ms` that no longer matter; True if any went."""
        end = bisect.bisect_left(self._records, (before_ms,))
        keep = events_to_keep(self._records[:end], has_later=end < len(self._records))
        if len(keep) == end:
            return False
        self._records = [self._records[i] for i in sorted(keep)] + self._records[end:]
        self._rebuild()
        return True

    @property
    def is_empty(self) -> bool:
        return not self._records

    def situation_at(self, time: int) -> Situation:
        """The situation reflecting every event with time <= `time`."""
        situation = Situation()
        end = bisect.bisect(self._records, (time, float("inf")))
        for record in self._records[:end]:
            situation.apply(record)
        return situation

    def current_at(self, time: int) -> Situation:
        """Like `situation_at`, without replaying when no event comes after `time`.

        The answer may be the timeline's own live object: read it, don't change it."""
        last = self.last_time
        if last is not None and last <= time:
            return self._situation
        return self.situation_at(time)

    def has_event_between(self, lo: int, hi: int) -> bool:
        """Whether some kept event has lo <= time <= hi."""
        index = bisect.bisect_left(self._records, (lo,))
        return index < len(self._records) and self._records[index][0] <= hi

    def _rebuild(self) -> None:
        self._situation = Situation()
        self._starts.clear()
        self._categories.clear()
        self._valid = 0
        self._reasons.clear()
        for record in self._records:
            self._advance(record)

    def _advance(self, record: Record) -> None:
        """Apply an event that comes after every event applied so far."""
        self._situation.apply(record)
        category = self._situation.category()
        time = record[0]
        starts, categories = self._starts, self._categories
        if starts and starts[-1] == time:
            # Same millisecond as the last segment's start: that segment never lasted,
            # so its category is replaced, merging with the one before if now equal.
            before = categories[-2] if len(categories) > 1 else LOGGED_OUT
            if before == category:
                starts.pop()
                categories.pop()
            else:
                categories[-1] = category
            self._valid = min(self._valid, len(starts) - 1 if before != category else len(starts))
        elif (categories[-1] if categories else LOGGED_OUT) != category:
            starts.append(time)
            categories.append(category)
            self._valid = min(self._valid, len(starts) - 1)

    def arrays(self) -> SegmentArrays:
        """State figure columns: (Online, Back soon, Away) x (total, chatting, at max)."""
        self._refresh()
        return self._states.view(self._start_buffer, len(self._starts))

    def reason_arrays(self) -> dict[str, SegmentArrays]:
        """Per Away reason: columns (total, chatting, at max) while Away under it."""
        self._refresh()
        end = len(self._starts)
        return {
            reason: self._reasons[reason].view(self._start_buffer, end)
            for reason in sorted(self._reasons)
        }

    def _refresh(self) -> None:
        """Bring the array rows from the first changed segment on up to date."""
        first, end = self._valid, len(self._starts)
        if first >= end:
            self._valid = end
            return
        if end > len(self._start_buffer):
            capacity = max(16, 2 * end)
            grown = np.zeros(capacity, dtype=np.int64)
            grown[: len(self._start_buffer)] = self._start_buffer
            self._start_buffer = grown
            self._states.grow(capacity)
            for buffer in self._reasons.values():
                buffer.grow(capacity)
        capacity = len(self._start_buffer)
        self._start_buffer[first:end] = self._starts[first:end]
        states = self._states.activity
        states[first:end] = 0
        for buffer in self._reasons.values():
            buffer.activity[first:end] = 0
        for j in range(first, end):
            state, reason, chatting, at_max = self._categories[j]
            if state == OFFLINE:
                continue
            base = (state - 1) * FIGURES_PER_STATE
            states[j, base : base + 3] = (1, chatting, at_max)
            if reason is not None:
                if reason not in self._reasons:
                    self._reasons[reason] = ColumnBuffer(FIGURES_PER_STATE, capacity)
                self._reasons[reason].activity[j] = (1, chatting, at_max)
        self._states.accumulate(self._start_buffer, first, end)
        for buffer in self._reasons.values():
            buffer.accumulate(self._start_buffer, first, end)
        self._valid = end
