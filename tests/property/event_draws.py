"""One drawn event of any kind, for the property tests that build their own streams
(each chooses its agents, times and spans; what an event at that place may be is
common to them)."""

from __future__ import annotations

from hypothesis import strategies as st

from agentactivity.events import Event

# States are drawn twice as often as each other kind: they decide the figures.
KINDS = ["state", "state", "chat_start", "chat_end", "max_chats"]
STATES = ["ONLINE", "BACK_SOON", "AWAY", "OFFLINE"]


def any_event(
    draw: st.DrawFn,
    agent: int,
    time: int,
    event_id: str,
    reasons: tuple[str | None, ...],
    chats: tuple[str, ...],
    most_chats: int = 2,
) -> Event:
    """A state (AWAY with one of `reasons`), a chat's start or end among `chats`, or a
    chat limit up to `most_chats`, of `agent` at `time`."""
    kind = draw(st.sampled_from(KINDS))
    if kind == "state":
        state = draw(st.sampled_from(STATES))
        reason = draw(st.sampled_from(reasons)) if state == "AWAY" else None
        return Event("state", agent, time, event_id, state=state, reason_id=reason)
    if kind == "max_chats":
        return Event("max_chats", agent, time, event_id, max_chats=draw(st.integers(0, most_chats)))
    return Event(kind, agent, time, event_id, chat_id=draw(st.sampled_from(chats)))
