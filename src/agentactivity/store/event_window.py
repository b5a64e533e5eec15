"""The events that decide a window of the history: each agent's events inside it, and
the few before it that give its situation at the window's start (SPEC section 9).

An agent's situation at an instant S (state, Away reason, active chats, chat limit, and
when its state and login began) depends on its events before S only from its last
logout before S: `OFFLINE` resets the state and ends every chat. So the events needed
before S are, per agent:

- everything from its last logged-in `state` event before that last `OFFLINE` (which
  tells when the logged-out run began, SPEC section 7's `since`), or from its first
  event if it has no `OFFLINE` (or none with a logged-in state before it) before S;
- its last `max_chats` event before that point (the chat limit carries over logouts;
  the last one alone sets it).

Replayed in (time, seq) order from a blank situation, these give exactly the situation
at S, also on a store pruned at the history's edge (retention.events_to_keep keeps a
subset that replays to the same situation, including the `state` event before a
logged-out run). Everything is read in one statement (one consistent snapshot) per
chunk of agents, limited to seq <= `max_seq` so that the reader sees a prefix of the
log; the anchors are found by a backward scan of `events_by_agent_time`, a few rows
per agent, whatever the length of the history. (`+e.seq` keeps planners from
walking the primary key by seq instead: the filter is checked on the few rows found.)
"""

from __future__ import annotations

from collections.abc import Sequence

from agentactivity.events import Event
from agentactivity.store.adapter import Adapter

# The lowest time a start can take: "from the agent's first event".
BEGINNING = -(2**62)
AGENTS_PER_STATEMENT = 500

_ANCHORS = """
WITH chosen AS (
    SELECT agent_id FROM agents WHERE account_id = ? {only}
), offs AS (
    SELECT c.agent_id, (
        SELECT e.time FROM events e
        WHERE e.account_id = ? AND e.agent_id = c.agent_id AND e.time < ? AND +e.seq <= ?
          AND e.type = 'state' AND e.state = 'OFFLINE'
        ORDER BY e.time DESC LIMIT 1
    ) AS off_time
    FROM chosen c
), starts AS (
    SELECT o.agent_id, COALESCE((
        SELECT e.time FROM events e
        WHERE e.account_id = ? AND e.agent_id = o.agent_id AND e.time < o.off_time
          AND +e.seq <= ? AND e.type = 'state' AND e.state <> 'OFFLINE'
        ORDER BY e.time DESC LIMIT 1
    ), {beginning}) AS start_time
    FROM offs o
), limits AS (
    SELECT s.agent_id, s.start_time, (
        SELECT e.seq FROM events e
        WHERE e.account_id = ? AND e.agent_id = s.agent_id AND e.time < s.start_time
          AND +e.seq <= ? AND e.type = 'max_chats'
        ORDER BY e.time DESC, e.seq DESC LIMIT 1
    ) AS limit_seq
    FROM starts s
)
SELECT e.seq, e.type, e.agent_id, e.time, e.event_id, e.state, e.reason_id, e.chat_id,
       e.max_chats
FROM limits l JOIN events e ON e.account_id = ? AND e.agent_id = l.agent_id
    AND e.time >= l.start_time AND e.time < ?
WHERE +e.seq <= ?
UNION ALL
SELECT e.seq, e.type, e.agent_id, e.time, e.event_id, e.state, e.reason_id, e.chat_id,
       e.max_chats
FROM limits l JOIN events e ON e.account_id = ? AND e.seq = l.limit_seq
"""


def read_window(
    adapter: Adapter,
    account_id: str,
    start_ms: int,
    end_ms: int,
    agent_ids: Sequence[int] | None,
    max_seq: int,
) -> list[tuple[int, Event]]:
    """The events with seq <= `max_seq` that decide the asked agents' (None: all)
    timelines over [start_ms, end_ms), as (seq, event) in seq order: those with time in
    the window and those before it that give each agent's situation at `start_ms`."""
    if agent_ids is None:
        chunks: list[Sequence[int] | None] = [None]
    else:
        ids = sorted(set(agent_ids))
        chunks = [
            ids[i : i + AGENTS_PER_STATEMENT] for i in range(0, len(ids), AGENTS_PER_STATEMENT)
        ]
    rows: list[tuple[int, Event]] = []
    with adapter.read() as sql:
        for chunk in chunks:
            only = "" if chunk is None else f"AND agent_id IN ({', '.join('?' * len(chunk))})"
            statement = _ANCHORS.format(only=only, beginning=BEGINNING)
            params = (
                account_id,
                *(chunk or ()),
                account_id, start_ms, max_seq,
                account_id, max_seq,
                account_id, max_seq,
                account_id, end_ms, max_seq,
                account_id,
            )  # fmt: skip
            rows.extend((row[0], Event(*row[1:])) for row in sql(statement, params))
    rows.sort(key=lambda row: row[0])
    return rows
