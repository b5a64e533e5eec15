"""One agent's kept events, in (time, seq) order, as three integer columns.

The events are what the segments are rebuilt from when an event arrives late or old
events are pruned, and what an agent's situation at a past instant is replayed from. A
tuple per event cost ~130 bytes; here an event costs 24 bytes plus its chat id's text:

- `times`, `seqs`: int64;
- `infos`: int64 `value << 4 | type << 2 | state`, where the value is the interned
  reason (state events; 0: none), the offset of the chat id in `chat_text` (chat
  events) or the limit (max_chats events);
- `chat_text`: chat ids as UTF-8, each behind a 2-byte length. The end of an active
  chat (and a second start of it) points at the text its start stored, so a chat's id
  is normally stored once.

Reason ids are interned once per account (`ReasonIdInterner`): the columns hold their numbers.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable

from agentactivity.events import Record

TYPE_NAMES = ("state", "chat_start", "chat_end", "max_chats")
TYPE_CODES = {name: code for code, name in enumerate(TYPE_NAMES)}
STATE, CHAT_START, CHAT_END, MAX_CHATS = range(4)
STATE_NAMES = ("OFFLINE", "ONLINE", "BACK_SOON", "AWAY")  # index = state code
STATE_CODES = {name: code for code, name in enumerate(STATE_NAMES)}


class ReasonIdInterner:
    """Interns the reason ids (text) of one account: numbered from 1 in order of first use
    (0: none), so the columns hold small numbers."""

    __slots__ = ("_numbers", "names")

    def __init__(self) -> None:
        self.names: list[str] = [""]
        self._numbers: dict[str, int] = {}

    @classmethod
    def of(cls, names: list[str]) -> ReasonIdInterner:
        """An interner that numbers `names` (names[0] is the "none" entry) as before."""
        interner = cls()
        interner.names = list(names)
        interner._numbers = {name: n for n, name in enumerate(names) if n}
        return interner

    def number(self, reason: str) -> int:
        found = self._numbers.get(reason)
        if found is None:
            found = self._numbers[reason] = len(self.names)
            self.names.append(reason)
        return found


def encode(type_code: int, state_code: int, value: int) -> int:
    return value << 4 | type_code << 2 | state_code


class EventLog:
    """The columns; row i is the i-th event in (time, seq) order."""

    __slots__ = ("chat_text", "infos", "seqs", "times")

    def __init__(self) -> None:
        self.times = array("q")
        self.seqs = array("q")
        self.infos = array("q")
        self.chat_text = bytearray()

    def __len__(self) -> int:
        return len(self.times)

    def append(self, time: int, seq: int, info: int) -> None:
        self.times.append(time)
        self.seqs.append(seq)
        self.infos.append(info)

    def insert(self, time: int, seq: int, info: int) -> None:
        """Insert an event at its place in (time, seq) order."""
        lo = bisect.bisect_left(self.times, time)
        hi = bisect.bisect_right(self.times, time, lo)
        index = lo + bisect.bisect_right(self.seqs[lo:hi], seq)
        self.times.insert(index, time)
        self.seqs.insert(index, seq)
        self.infos.insert(index, info)

    def store_chat(self, chat: str) -> int:
        """Keep a chat id's text; its offset is what the event's value holds."""
        data = chat.encode()
        if len(data) > 0xFFFF:
            raise ValueError("chat id too long to keep")
        offset = len(self.chat_text)
        self.chat_text += len(data).to_bytes(2, "little") + data
        return offset

    def chat(self, offset: int) -> str:
        text = self.chat_text
        size = text[offset] | text[offset + 1] << 8
        return text[offset + 2 : offset + 2 + size].decode()

    def count_before(self, time: int) -> int:
        """The number of events with a time before `time`."""
        return bisect.bisect_left(self.times, time)

    def count_until(self, time: int) -> int:
        """The number of events with a time at or before `time`."""
        return bisect.bisect_right(self.times, time)

    def record(self, index: int, reasons: ReasonIdInterner) -> Record:
        """Row `index` in the form of `events.Record` (for retention's rules)."""
        info = self.infos[index]
        type_code, value = info >> 2 & 3, info >> 4
        state = reason = chat = limit = None
        if type_code == STATE:
            state = STATE_NAMES[info & 3]
            reason = reasons.names[value] if value else None
        elif type_code == MAX_CHATS:
            limit = value
        else:
            chat = self.chat(value)
        return (
            self.times[index],
            self.seqs[index],
            TYPE_NAMES[type_code],
            state,
            reason,
            chat,
            limit,
        )

    def keep_only(self, indexes: Iterable[int]) -> None:
        """Keep the rows at `indexes` (ascending), re-storing their chat ids compactly."""
        times, seqs, infos = array("q"), array("q"), array("q")
        old = EventLog()
        old.chat_text, self.chat_text = self.chat_text, bytearray()
        offsets: dict[str, int] = {}
        for i in indexes:
            info = self.infos[i]
            if info >> 2 & 3 in (CHAT_START, CHAT_END):
                chat = old.chat(info >> 4)
                offset = offsets.get(chat)
                if offset is None:
                    offset = offsets[chat] = self.store_chat(chat)
                info = encode(info >> 2 & 3, 0, offset)
            times.append(self.times[i])
            seqs.append(self.seqs[i])
            infos.append(info)
        self.times, self.seqs, self.infos = times, seqs, infos
