"""One account's timelines as a few flat arrays, and back: the content of a snapshot.

Rebuilding an engine from the store replays every event of the live window in Python
(about 10 s per million events). A frozen account holds the result instead, the
columns the timelines already keep (engine/records.py, engine/timeline.py), concatenated
agent after agent: thawing it is a copy per agent and column, no replay.

Columns, all int64 but `chat_text` (uint8), in ascending agent order:

- per agent: `agent_ids`, `event_counts`, `segment_counts`, `chat_sizes` (bytes of its
  chat-id text), `chat_counts` (its active chats) and `situations` (5 a row: state,
  reason number, chat limit, since, logged in since; NONE for None);
- concatenated: the events' `times`, `seqs`, `infos`, the segments' `starts` and
  `categories`, the `chat_text`, and the active chats' offsets in it (`chat_offsets`).

Freezing copies the columns (the caller holds the engine's lock, briefly); writing and
checking the bytes are the service's (service/snapshot_file.py). No I/O here.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from agentactivity.engine.account import AccountTimelines
from agentactivity.engine.records import EventLog, ReasonIdInterner
from agentactivity.engine.timeline import AgentTimeline, Situation

NONE = -(2**63)  # None in the int64 columns
SITUATION_FIELDS = 5
PER_AGENT = ("agent_ids", "event_counts", "segment_counts", "chat_sizes", "chat_counts")
COLUMNS = (
    *PER_AGENT,
    "situations",
    "times",
    "seqs",
    "infos",
    "starts",
    "categories",
    "chat_text",
    "chat_offsets",
)


@dataclass(frozen=True)
class FrozenAccount:
    """An account's timelines at `last_seq`, exact from `horizon` on."""

    last_seq: int
    horizon: int
    reason_names: list[str]  # the interner's names; [0] is "" (no reason)
    columns: dict[str, np.ndarray]

    @property
    def nbytes(self) -> int:
        return sum(int(column.nbytes) for column in self.columns.values())


def _joined(parts: list[object]) -> np.ndarray:
    return np.frombuffer(b"".join(parts), dtype=np.int64)  # type: ignore[arg-type]


def freeze(account: AccountTimelines) -> FrozenAccount:
    """A copy of the account's timelines (hold the engine's lock while this runs)."""
    if account.stale:
        raise ValueError("the account has agents waiting to be reloaded from the store")
    timelines = [account.timelines[a] for a in account.sorted_ids()]
    logs = [t.events for t in timelines]
    situations: list[int] = []
    chat_counts: list[int] = []
    chat_offsets: list[int] = []
    for timeline in timelines:
        s = timeline.situation
        since = NONE if s.since is None else s.since
        logged_in = NONE if s.logged_in_since is None else s.logged_in_since
        situations.extend((s.state, s.reason_number, s.max_chats, since, logged_in))
        chat_counts.append(len(s.chats))
        chat_offsets.extend(s.chats.values())
    columns = {
        "agent_ids": np.array([t.agent_id for t in timelines], dtype=np.int64),
        "event_counts": np.array([len(log) for log in logs], dtype=np.int64),
        "segment_counts": np.array([len(t.segment_starts) for t in timelines], dtype=np.int64),
        "chat_sizes": np.array([len(log.chat_text) for log in logs], dtype=np.int64),
        "chat_counts": np.array(chat_counts, dtype=np.int64),
        "situations": np.array(situations, dtype=np.int64),
        "times": _joined([log.times for log in logs]),
        "seqs": _joined([log.seqs for log in logs]),
        "infos": _joined([log.infos for log in logs]),
        "starts": _joined([t.segment_starts for t in timelines]),
        "categories": _joined([t.segment_categories for t in timelines]),
        "chat_text": np.frombuffer(b"".join(log.chat_text for log in logs), dtype=np.uint8),
        "chat_offsets": np.array(chat_offsets, dtype=np.int64),
    }
    return FrozenAccount(account.last_seq, account.horizon, list(account.reasons.names), columns)


def _bounds(counts: np.ndarray, total: int, name: str) -> list[int]:
    """Where each agent's rows start in a concatenated column, plus the end."""
    if len(counts) and int(counts.min()) < 0 or int(counts.sum()) != total:
        raise ValueError(f"the {name} column does not match its per-agent counts")
    return [0, *np.cumsum(counts).tolist()]


def _int64s(data: memoryview, lo: int, hi: int) -> array[int]:
    column = array("q")
    column.frombytes(data[lo * 8 : hi * 8])
    return column


def thaw(frozen: FrozenAccount) -> AccountTimelines:
    """The account's timelines as they were frozen; ValueError if the columns disagree."""
    c = frozen.columns
    missing = [name for name in COLUMNS if name not in c]
    if missing:
        raise ValueError(f"columns missing: {', '.join(missing)}")
    agents = len(c["agent_ids"])
    if any(len(c[name]) != agents for name in PER_AGENT):
        raise ValueError("the per-agent columns differ in length")
    if len(c["situations"]) != agents * SITUATION_FIELDS:
        raise ValueError("the situations column does not match the agents")
    events = _bounds(c["event_counts"], len(c["times"]), "events")
    segments = _bounds(c["segment_counts"], len(c["starts"]), "segments")
    texts = _bounds(c["chat_sizes"], len(c["chat_text"]), "chat text")
    chats = _bounds(c["chat_counts"], len(c["chat_offsets"]), "active chats")
    if not len(c["seqs"]) == len(c["infos"]) == len(c["times"]):
        raise ValueError("the event columns differ in length")
    if len(c["categories"]) != len(c["starts"]):
        raise ValueError("the segment columns differ in length")
    if not frozen.reason_names or frozen.reason_names[0] != "":
        raise ValueError("the reason names do not start with the empty entry")

    account = AccountTimelines()
    account.reasons = reasons = ReasonIdInterner.of(frozen.reason_names)
    account.last_seq, account.horizon = frozen.last_seq, frozen.horizon
    names = reasons.names
    times, seqs, infos = (c[n].data.cast("B") for n in ("times", "seqs", "infos"))
    starts, categories = (c[n].data.cast("B") for n in ("starts", "categories"))
    text = c["chat_text"].tobytes()
    situations = c["situations"].tolist()
    offsets = c["chat_offsets"].tolist()
    for i, agent_id in enumerate(c["agent_ids"].tolist()):
        log = EventLog()
        e0, e1 = events[i], events[i + 1]
        log.times, log.seqs = _int64s(times, e0, e1), _int64s(seqs, e0, e1)
        log.infos = _int64s(infos, e0, e1)
        log.chat_text = bytearray(text[texts[i] : texts[i + 1]])
        state, number, limit, since, logged_in = situations[i * 5 : i * 5 + 5]
        if not 0 <= number < len(names):
            raise ValueError(f"agent {agent_id} has an unknown reason number {number}")
        situation = Situation(
            state=state,
            reason=names[number] if number else None,
            reason_number=number,
            chats={log.chat(offset): offset for offset in offsets[chats[i] : chats[i + 1]]},
            max_chats=limit,
            since=None if since == NONE else since,
            logged_in_since=None if logged_in == NONE else logged_in,
        )
        s0, s1 = segments[i], segments[i + 1]
        account.timelines[agent_id] = AgentTimeline.restored(
            agent_id,
            reasons,
            log,
            situation,
            _int64s(starts, s0, s1),
            _int64s(categories, s0, s1),
        )
    return account
