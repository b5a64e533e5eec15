"""The Status Changes API's records (SPEC section 9) as the answer shows them: the
store's records (store/status_changes.py) with the agent's directory fields and the
status reason's text, both looked up as they are when the request runs.

The records are read from the store, where they are written with the events: every
acknowledged event is in the next answer, whichever process stored it (nothing to
catch up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from agentactivity.clock import rfc3339_ms
from agentactivity.directory import DirectorySnapshot
from agentactivity.status_changes import StatusQuery, reason_value
from agentactivity.store import Store
from agentactivity.store.status_changes import Row


@dataclass(frozen=True, slots=True)
class StatusPage:
    """`total` records (v2) or agents (v1) in the range; `items_json` the page's records
    (v2) or agents with their records (v1), as a JSON array."""

    total: int
    items_json: bytes

    @property
    def items(self) -> list[dict[str, Any]]:
        """The items decoded (tests, in-process callers)."""
        decoded: list[dict[str, Any]] = orjson.loads(self.items_json)
        return decoded


def selected_agents(
    directory: DirectorySnapshot, query: StatusQuery, group_ids: tuple[str, ...] | None
) -> tuple[int, ...] | None:
    """The agents a request reads (None: all): `agentId`, or the users whose
    `employeeId` is `empId`, narrowed to the members of `group_ids` (groupId, or a team
    link's team) and their descendants. Raises UnknownGroups."""
    agent_ids: tuple[int, ...] | None = None
    if query.agent_id is not None:
        agent_ids = (query.agent_id,)
    elif query.employee_id is not None:
        agent_ids = employees(directory, query.employee_id)
    return directory.select(agent_ids, group_ids)


def employees(directory: DirectorySnapshot, employee_id: str) -> tuple[int, ...]:
    """The agents whose directory `employeeId` is exactly `employee_id`, ascending."""
    return tuple(
        sorted(user.id for user in directory.users.values() if user.employee_id == employee_id)
    )


class _Writer:
    """Records written straight to JSON text: the agent's fields and each reason's id
    and text encoded once per answer, times once per ms (a record's previous time is
    mostly the time of a record just written). Building a dict per record and encoding
    it cost twice as much, on pages of thousands."""

    def __init__(self, directory: DirectorySnapshot, reasons: Mapping[str, str]) -> None:
        self._directory = directory
        self._reasons = reasons
        self._agents: dict[int, str] = {}
        self._reason_fields: dict[str | None, str] = {
            None: '"statusReasonId":-1,"statusReasonText":null'
        }
        self._times: dict[int, str] = {}

    def agent(self, agent_id: int) -> str:
        """The agent's fields, as the inside of an object (no braces), and a comma."""
        fields = self._agents.get(agent_id)
        if fields is None:
            user = self._directory.users.get(agent_id)
            group = self._directory.group_of(agent_id)
            text = orjson.dumps(
                {
                    "agentId": agent_id,
                    "employeeId": user.employee_id if user else None,
                    "agentLoginName": user.login_name if user else None,
                    "agentUserName": user.nickname if user else None,
                    "agentGroupId": int(group),
                }
            ).decode()
            fields = self._agents[agent_id] = text[1:-1] + ","
        return fields

    def _time(self, ms: int) -> str:
        text = self._times.get(ms)
        if text is None:
            text = self._times[ms] = f'"{rfc3339_ms(ms)}"'
        return text

    def _reason(self, reason_id: str | None) -> str:
        text = self._reason_fields.get(reason_id)
        if text is None:
            assert reason_id is not None
            name = self._reasons.get(reason_id)
            pair = {"statusReasonId": reason_value(reason_id), "statusReasonText": name}
            text = self._reason_fields[reason_id] = orjson.dumps(pair).decode()[1:-1]
        return text

    def record(self, row: Row, agent: str = "") -> str:
        """A record's object; `agent`: the agent's fields to start with (v2)."""
        _agent, time, session, number, type_, sub_type, reason_id, prev_time = row
        prev = "null" if prev_time is None else self._time(prev_time)
        return (
            f'{{{agent}"time":{self._time(time)},"sessionId":{session},'
            f'"sequenceNumber":{number},"statusType":{type_},"statusSubType":{sub_type},'
            f'{self._reason(reason_id)},"prevStatusChangeTime":{prev}}}'
        )


def status_page(
    store: Store,
    account_id: str,
    query: StatusQuery,
    agents: tuple[int, ...] | None,
    directory: DirectorySnapshot,
    reasons: Mapping[str, str],
) -> StatusPage:
    """The page `query` asks for, of `agents` (None: all)."""
    writer = _Writer(directory, reasons)
    records = store.status_changes
    if query.version == 2:
        page = records.page(account_id, query.start, query.end, agents, query.offset, query.limit)
        items = [writer.record(row, writer.agent(row[0])) for row in page.rows]
        return StatusPage(page.total, f"[{','.join(items)}]".encode())
    listed = records.agents(account_id, query.start, query.end, agents)
    chosen = listed[query.offset : query.offset + query.limit]
    by_agent: dict[int, list[str]] = {agent: [] for agent in chosen}
    for row in records.of_agents(account_id, query.start, query.end, chosen):
        by_agent[row[0]].append(writer.record(row))
    items = [
        f'{{{writer.agent(agent)}"statusChangeHistory":[{",".join(history)}]}}'
        for agent, history in by_agent.items()
    ]
    return StatusPage(len(listed), f"[{','.join(items)}]".encode())
