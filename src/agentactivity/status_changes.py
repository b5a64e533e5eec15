"""Status changes (SPEC section 9): an agent's `state` events turned into the records of
the vendor's Status Changes API.

Per agent, `state` events applied in (time, seq) order; before its first event an agent
is logged out. Each event makes zero, one or two records:

| what happened                                  | records (statusType/statusSubType)          |
|------------------------------------------------|---------------------------------------------|
| logged out -> ONLINE/BACK_SOON/AWAY (login)    | 3/0 (sequence -1), then 1/2|3|4 (sequence 1) |
| logged in, another state or Away reason        | 1/2|3|4 (previous + 1)                      |
| logged in -> OFFLINE (logout)                  | 1/1 (previous + 1), then 4/0 (previous + 1) |
| the same state and reason again; OFFLINE while logged out | none                             |

The two records of one event share its time and seq and are told apart by `part` (0,
1). Everything a record needs to continue from is in the `Situation` after it, so the
store can carry on from an agent's tail (in-order events) or from any earlier record
(a late event: the records after it are derived again). Chats and chat limits never
make records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

STATUS_CHANGE, LOGIN, LOGOUT = 1, 3, 4
OFFLINE_SUB_TYPE = 1
# statusSubType of a logged-in state (statusType 1).
SUB_TYPES = {"ONLINE": 2, "BACK_SOON": 3, "AWAY": 4}
STATES = {sub_type: state for state, sub_type in SUB_TYPES.items()}
LOGGED_OUT_STATE = "OFFLINE"

# A state event as derivation reads it: (time, seq, state, reasonId).
StateEvent = tuple[int, int, str, "str | None"]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One record, without the agent (the caller knows whose events it derived)."""

    time: int
    event_seq: int  # the store sequence of the event that made it
    part: int  # 0, or 1 for the second record of a login or a logout
    session_id: int  # the store sequence of the event that began the login
    sequence_number: int
    status_type: int
    status_sub_type: int
    reason_id: str | None  # only on Away records (1/4) with a reason
    prev_time: int | None  # the previous record of the session; None on a login


@dataclass(frozen=True, slots=True)
class Situation:
    """An agent's standing after some of its events: the state ("OFFLINE" while logged
    out) and Away reason, and where the current session's records are."""

    state: str = LOGGED_OUT_STATE
    reason: str | None = None
    session_id: int = 0
    sequence_number: int = 0
    last_change: int | None = None  # time of the session's last record

    @property
    def logged_in(self) -> bool:
        return self.state != LOGGED_OUT_STATE

    @classmethod
    def after(cls, record: StatusChange) -> Situation:
        """The situation right after the event whose last record is `record` (a logout,
        or a change of state while logged in; a login's last record is its 1/x one)."""
        if record.status_type == LOGOUT or record.status_sub_type == OFFLINE_SUB_TYPE:
            return LOGGED_OUT
        if record.status_type != STATUS_CHANGE:
            raise ValueError(f"a login record ({record}) is never the last of its event")
        return cls(
            STATES[record.status_sub_type],
            record.reason_id,
            record.session_id,
            record.sequence_number,
            record.time,
        )


LOGGED_OUT = Situation()


def derive(
    situation: Situation, events: Iterable[StateEvent]
) -> tuple[list[StatusChange], Situation]:
    """The records `events` (one agent's state events in (time, seq) order) make from
    `situation` on, and the situation after them."""
    records: list[StatusChange] = []
    state, reason = situation.state, situation.reason
    session, number, last = situation.session_id, situation.sequence_number, situation.last_change
    for time, seq, new_state, reason_id in events:
        new_reason = reason_id if new_state == "AWAY" else None
        if new_state == state and new_reason == reason:
            continue  # a repeat (or OFFLINE while logged out): nothing changes
        if new_state == LOGGED_OUT_STATE:
            records.append(
                StatusChange(time, seq, 0, session, number + 1, STATUS_CHANGE, 1, None, last)
            )
            records.append(StatusChange(time, seq, 1, session, number + 2, LOGOUT, 0, None, time))
            session, number, last = 0, 0, None
        elif state == LOGGED_OUT_STATE:
            session = seq
            records.append(StatusChange(time, seq, 0, session, -1, LOGIN, 0, None, None))
            records.append(
                StatusChange(
                    time, seq, 1, session, 1, STATUS_CHANGE, SUB_TYPES[new_state], new_reason, time
                )
            )
            number, last = 1, time
        else:
            number += 1
            records.append(
                StatusChange(
                    time,
                    seq,
                    0,
                    session,
                    number,
                    STATUS_CHANGE,
                    SUB_TYPES[new_state],
                    new_reason,
                    last,
                )
            )
            last = time
        state, reason = new_state, new_reason
    if state == LOGGED_OUT_STATE:
        return records, LOGGED_OUT
    return records, Situation(state, reason, session, number, last)


def reason_value(reason_id: str | None) -> int | str:
    """`statusReasonId` of a record: -1 without a reason; the id as a number when it is
    one written plainly (digits, no leading zero, below 2^63), else as the text."""
    if reason_id is None:
        return -1
    if (
        reason_id.isascii()
        and reason_id.isdigit()
        and (reason_id == "0" or not reason_id.startswith("0"))
        and len(reason_id) <= 19
        and int(reason_id) < 2**63
    ):
        return int(reason_id)
    return reason_id


# --- a validated request of the Status Changes API ---------------------------------------

MAX_RANGE_DAYS = 31
DEFAULT_LIMIT = 50
MAX_LIMITS = {1: 100, 2: 5000}  # v1 counts agents, v2 records


@dataclass(frozen=True, slots=True)
class StatusQuery:
    """The records with start <= time < end of the agents asked for (at most one of
    `agent_id`, `employee_id`, `group_id`; none: all), `limit` of them (v2) or of their
    agents (v1) from the `offset`-th."""

    source: str
    version: int
    start: int
    end: int
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    agent_id: int | None = None
    employee_id: str | None = None
    group_id: str | None = None
