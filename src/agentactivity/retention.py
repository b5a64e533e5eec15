"""Retention: which old events must outlive pruning so that nothing inside the window changes.

Figures and states at any instant t >= B depend on the events before B only through the
agent's situation at B: its state and Away reason, its active chats and its chat limit,
and (for the current-state view) when its current state and login began. So, of an
agent's events before B, it is enough to keep:

- the last `state` event (the state and reason in force at B);
- the `state` event that began the current (state, reason) run, the `state` event just
  before it (so that replaying shows the change even when the run repeats an earlier
  state) and the one that began the current login (so that "since" and "logged in
  since" stay known);
- the last `max_chats` event;
- the `chat_start` of every chat still active at B.

Replayed in their original (time, seq) order, these give exactly the situation at B.
An agent logged out at B with no chats, no limit and no later events needs none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby

from agentactivity.events import Record


def events_to_keep(events: Sequence[Record], has_later: bool) -> set[int]:
    """Indexes of the events to keep, of one agent's events before the boundary.

    `events` are in the order they apply: by (time, seq). `has_later`: the agent also
    has events at or after the boundary.
    """
    last_state: int | None = None
    run_start: int | None = None
    before_run: int | None = None  # the state event just before run_start
    login_start: int | None = None
    current: tuple[str, str | None] | None = None
    last_limit: int | None = None
    chats: dict[str, int] = {}  # active chat -> index of its chat_start
    for index, (_time, _seq, type_, state, reason_id, chat_id, _max) in enumerate(events):
        if type_ == "state":
            reason = reason_id if state == "AWAY" else None
            if (state, reason) != current:
                run_start, before_run = index, last_state
            if state == "OFFLINE":
                login_start = None
                chats.clear()
            elif current is None or current[0] == "OFFLINE":
                login_start = index
            current = (state or "", reason)
            last_state = index
        elif type_ == "chat_start":
            chats.setdefault(chat_id or "", index)
        elif type_ == "chat_end":
            chats.pop(chat_id or "", None)
        else:
            last_limit = index
    limit = events[last_limit][6] if last_limit is not None else 0
    logged_out = current is None or current[0] == "OFFLINE"
    if logged_out and not chats and not limit and not has_later:
        # The situation of an agent before any event: the agent can be forgotten (if it
        # comes back, when it logged out before the window is no longer known).
        return set()
    keep = set(chats.values())
    marks = (last_state, run_start, before_run, login_start, last_limit)
    keep.update(i for i in marks if i is not None)
    return keep


def prunable(rows: Iterable[tuple[int, Record]], agents_with_later: set[int]) -> Iterator[int]:
    """The seqs of the events that may go, from (agent, record) rows before the boundary
    sorted by (agent, time, seq)."""
    for agent, group in groupby(rows, key=lambda row: row[0]):
        records = [record for _agent, record in group]
        keep = events_to_keep(records, agent in agents_with_later)
        for index, record in enumerate(records):
            if index not in keep:
                yield record[1]
