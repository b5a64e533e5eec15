"""A brute-force reference for the Status Changes records (SPEC section 9), written from
the SPEC alone and sharing no code with the service (only the `Event` dataclass).

For each agent, every one of its events is replayed from scratch in order of (time,
arrival sequence) [SPEC 2]; only `state` events matter. The SPEC's table, read literally:

- logged out -> a logged-in state: a login (3/0, sequence -1) and the state right after
  it (1/2|3|4, sequence 1), both at the event's time;
- logged in, another state or another Away reason: 1/x, previous sequence + 1;
- logged in -> OFFLINE: the offline change (1/1, previous + 1) then the logout (4/0,
  previous + 1), at the same time;
- anything else (a repeat, OFFLINE while logged out): nothing.

`sessionId` is the seq of the login's event; `prevStatusChangeTime` the time of the
session's previous record (None on the login). Records are ordered by time, agent id,
then the order the agent's records were made in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agentactivity.events import Event

SUB_TYPE = {"OFFLINE": 1, "ONLINE": 2, "BACK_SOON": 3, "AWAY": 4}


def reference_records(pairs: Iterable[tuple[int, Event]]) -> list[dict[str, Any]]:
    """Every record of the events ((seq, event) pairs, any order), in the API's order.
    Each record: agentId, time (ms), sessionId, sequenceNumber, statusType,
    statusSubType, reasonId (the raw id or None), prevTime (ms or None)."""
    agents: dict[int, list[tuple[int, int, Event]]] = {}
    for seq, event in pairs:
        agents.setdefault(event.agent_id, []).append((event.time, seq, event))
    made: list[tuple[int, int, int, dict[str, Any]]] = []
    for agent, events in agents.items():
        for row in _agent_records(agent, events):
            made.append((row["time"], agent, len(made), row))
    made.sort(key=lambda item: (item[0], item[1], item[2]))
    return [row for _time, _agent, _n, row in made]


def _agent_records(agent: int, events: list[tuple[int, int, Event]]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    logged_in = False
    state: str | None = None
    reason: str | None = None
    session = 0
    history: list[dict[str, Any]] = []  # the current session's records

    def record(
        time: int, type_: int, sub_type: int, number: int, reason_id: str | None = None
    ) -> None:
        previous = history[-1]["time"] if history else None
        row = {
            "agentId": agent,
            "time": time,
            "sessionId": session,
            "sequenceNumber": number,
            "statusType": type_,
            "statusSubType": sub_type,
            "reasonId": reason_id,
            "prevTime": None if type_ == 3 else previous,
        }
        history.append(row)
        records.append(row)

    for time, seq, event in sorted(events, key=lambda item: (item[0], item[1])):
        if event.type != "state":
            continue
        new_state = event.state
        new_reason = event.reason_id if new_state == "AWAY" else None
        if not logged_in:
            if new_state == "OFFLINE":
                continue
            logged_in, session = True, seq
            history.clear()
            record(time, 3, 0, -1)
            record(time, 1, SUB_TYPE[new_state], 1, new_reason)
        elif new_state == "OFFLINE":
            last = history[-1]["sequenceNumber"]
            record(time, 1, 1, last + 1)
            record(time, 4, 0, last + 2)
            logged_in = False
            history.clear()
        elif (new_state, new_reason) != (state, reason):
            record(time, 1, SUB_TYPE[new_state], history[-1]["sequenceNumber"] + 1, new_reason)
        state, reason = new_state, new_reason
    return records
