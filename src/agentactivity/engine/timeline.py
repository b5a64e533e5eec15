"""One agent's timeline: its events in order, turned into segments of constant situation.

A segment starts at an event time and lasts until the next segment starts (the last one
lasts forever, i.e. until "now"). Within a segment the agent's logged-in state, Away
reason, "chatting" and "at max concurrency" do not change, so every figure of SPEC
section 3 is a sum of segment durations. Events are applied in order of (time, seq):
seq is the store's arrival order, which breaks same-millisecond ties.

Segments are kept as two int64 columns: their start, and their *category*
`reason << 4 | state << 2 | chatting << 1 | at_max` (0 while logged out; `reason` is
the account's number of the Away reason, 0 for none). The figures are computed from
these columns by `packed.Packing`.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from agentactivity.engine.records import (
    CHAT_END,
    CHAT_START,
    MAX_CHATS,
    STATE,
    STATE_CODES,
    STATE_NAMES,
    TYPE_CODES,
    EventLog,
    ReasonIdInterner,
    encode,
)
from agentactivity.events import Event
from agentactivity.retention import events_to_keep

# State codes, also the column groups of the figure matrix (see FIGURE_COLUMNS).
OFFLINE, ONLINE, BACK_SOON, AWAY = 0, 1, 2, 3
STATE_NAMES_BY_CODE = dict(enumerate(STATE_NAMES))

# Per state three figures: total, chatting, chatting in max concurrency.
FIGURES_PER_STATE = 3
FIGURE_COLUMNS = 3 * FIGURES_PER_STATE  # Online, Back soon, Away

LOGGED_OUT = 0  # the category of a logged-out segment
CODE_BITS = 4  # category = reason << CODE_BITS | code


@dataclass(slots=True)
class Situation:
    """Everything the events say about an agent at one instant."""

    state: int = OFFLINE
    reason: str | None = None
    reason_number: int = 0  # the account's number of `reason` (0: none)
    # Active chats, each with the offset of its id in the agent's `EventLog.chat_text`.
    chats: dict[str, int] = field(default_factory=dict)
    max_chats: int = 0
    # For the current-state view: when (state, reason) and the login last changed.
    since: int | None = None
    logged_in_since: int | None = None

    def set_state(self, time: int, state: int, reason: str | None, number: int) -> None:
        if state != AWAY:
            reason, number = None, 0
        if (state, reason) != (self.state, self.reason):
            self.since = time
        if state != OFFLINE and self.state == OFFLINE:
            self.logged_in_since = time
        elif state == OFFLINE:
            self.logged_in_since = None
        self.state, self.reason, self.reason_number = state, reason, number
        if state == OFFLINE:
            self.chats.clear()  # every OFFLINE ends all chats (SPEC section 2)

    def category(self) -> int:
        if self.state == OFFLINE:
            return LOGGED_OUT
        chats = len(self.chats)
        at_max = self.max_chats > 0 and chats >= self.max_chats
        code = self.state << 2 | (chats > 0) << 1 | at_max
        return self.reason_number << CODE_BITS | code


class AgentTimeline:
    """Events and segments of one agent, kept current as events arrive."""

    __slots__ = ("_cats", "_log", "_reasons", "_situation", "_starts", "agent_id")

    def __init__(self, agent_id: int, reasons: ReasonIdInterner) -> None:
        self.agent_id = agent_id
        self._reasons = reasons
        self._log = EventLog()
        self._situation = Situation()
        self._starts = array("q")  # segment starts, ascending
        self._cats = array("q")  # segment categories

    @classmethod
    def restored(
        cls,
        agent_id: int,
        reasons: ReasonIdInterner,
        log: EventLog,
        situation: Situation,
        starts: array[int],
        categories: array[int],
    ) -> AgentTimeline:
        """A timeline from its columns as `events`, `situation` and the segments gave
        them (engine/frozen.py): nothing is replayed."""
        timeline = cls(agent_id, reasons)
        timeline._log, timeline._situation = log, situation
        timeline._starts, timeline._cats = starts, categories
        return timeline

    @property
    def events(self) -> EventLog:
        """The kept events' columns (read them, don't change them)."""
        return self._log

    @property
    def situation(self) -> Situation:
        """The agent's situation after every event applied so far."""
        return self._situation

    @property
    def segment_starts(self) -> array[int]:
        return self._starts

    @property
    def segment_categories(self) -> array[int]:
        return self._cats

    @property
    def last_time(self) -> int | None:
        times = self._log.times
        return times[-1] if times else None

    @property
    def is_empty(self) -> bool:
        return not self._log.times

    def add(self, seq: int, event: Event) -> None:
        log = self._log
        time, chat = event.time, event.chat_id
        type_code = TYPE_CODES[event.type]
        state_code = value = 0
        if type_code == STATE:
            state_code = STATE_CODES[event.state or ""]
            if event.reason_id is not None:
                value = self._reasons.number(event.reason_id)
        elif type_code == MAX_CHATS:
            value = event.max_chats or 0
        times = log.times
        if times and (time < times[-1] or (time == times[-1] and seq < log.seqs[-1])):
            # A late event: insert it in order and rebuild the segments from scratch.
            if chat is not None:
                value = log.store_chat(chat)
            log.insert(time, seq, encode(type_code, state_code, value))
            self._rebuild()
            return
        situation = self._situation
        if type_code == STATE:
            situation.set_state(time, state_code, event.reason_id, value)
        elif type_code == MAX_CHATS:
            situation.max_chats = value
        else:
            chats = situation.chats
            found = chats.get(chat or "")
            if found is None:  # an active chat's id is stored once, by its start
                value = log.store_chat(chat or "")
                if type_code == CHAT_START:
                    chats[chat or ""] = value
            else:
                value = found
                if type_code == CHAT_END:
                    del chats[chat or ""]
        times.append(time)
        log.seqs.append(seq)
        log.infos.append(value << 4 | type_code << 2 | state_code)
        # The segments: as `_push(time, situation.category())`, inline for the common
        # case of an event that starts a new segment or changes nothing.
        category = situation.category()
        starts, cats = self._starts, self._cats
        if not starts:
            if category != LOGGED_OUT:
                starts.append(time)
                cats.append(category)
        elif starts[-1] != time:
            if cats[-1] != category:
                starts.append(time)
                cats.append(category)
        else:
            self._push(time, category)

    def prune(self, before_ms: int) -> bool:
        """Forget events before `before_ms` that no longer matter; True if any went."""
        log = self._log
        end = log.count_before(before_ms)
        records = [log.record(i, self._reasons) for i in range(end)]
        keep = events_to_keep(records, has_later=end < len(log))
        if len(keep) == end:
            return False
        log.keep_only([*sorted(keep), *range(end, len(log))])
        self._rebuild()
        return True

    def compact(self) -> None:
        """Rebuild the segments and situation from the columns alone: a timeline built
        from rows read in bulk then holds nothing of them (e.g. their chat id strings),
        so their memory can go back to the system."""
        self._rebuild()

    def situation_at(self, time: int) -> Situation:
        """The situation reflecting every event with time <= `time`."""
        situation = Situation()
        self._replay(situation, self._log.count_until(time), segments=False)
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
        log = self._log
        index = log.count_before(lo)
        return index < len(log) and log.times[index] <= hi

    def _rebuild(self) -> None:
        self._situation = Situation()
        self._starts = array("q")
        self._cats = array("q")
        self._replay(self._situation, len(self._log), segments=True)

    def _replay(self, situation: Situation, end: int, segments: bool) -> None:
        """Apply the first `end` events to `situation` (and, if asked, to the segments)."""
        log, names = self._log, self._reasons.names
        times, infos = log.times, log.infos
        for i in range(end):
            info = infos[i]
            type_code, value = info >> 2 & 3, info >> 4
            chat = log.chat(value) if type_code in (CHAT_START, CHAT_END) else None
            _step(situation, times[i], type_code, info & 3, value, chat, names)
            if segments:
                self._push(times[i], situation.category())

    def _push(self, time: int, category: int) -> None:
        starts, cats = self._starts, self._cats
        if starts and starts[-1] == time:
            # Same millisecond as the last segment's start: that segment never lasted,
            # so its category is replaced, merging with the one before if now equal.
            before = cats[-2] if len(cats) > 1 else LOGGED_OUT
            if before == category:
                starts.pop()
                cats.pop()
            else:
                cats[-1] = category
        elif (cats[-1] if cats else LOGGED_OUT) != category:
            starts.append(time)
            cats.append(category)


def _step(
    situation: Situation,
    time: int,
    type_code: int,
    state_code: int,
    value: int,
    chat: str | None,
    reason_names: list[str],
) -> None:
    """Apply one event (in its column form) that comes after every event applied."""
    if type_code == STATE:
        reason = reason_names[value] if value else None
        situation.set_state(time, state_code, reason, value)
    elif type_code == CHAT_START:
        situation.chats.setdefault(chat or "", value)
    elif type_code == CHAT_END:
        situation.chats.pop(chat or "", None)
    else:
        situation.max_chats = value
