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

from agentactivity.clock import rfc3339_ms
from agentactivity.directory import DirectorySnapshot
from agentactivity.status_changes import StatusQuery, reason_value
from agentactivity.store import Store
from agentactivity.store.status_changes import Row


@dataclass(frozen=True, slots=True)
class StatusPage:
    """`total` records (v2) or agents (v1) in the range; `items` the page's records
    (v2) or agents with their records (v1)."""

    total: int
    items: list[dict[str, Any]]


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


class _Labels:
    """Agent fields and reason texts, each made once per answer."""

    def __init__(self, directory: DirectorySnapshot, reasons: Mapping[str, str]) -> None:
        self._directory = directory
        self._reasons = reasons
        self._agents: dict[int, dict[str, Any]] = {}

    def agent(self, agent_id: int) -> dict[str, Any]:
        fields = self._agents.get(agent_id)
        if fields is None:
            user = self._directory.users.get(agent_id)
            group = self._directory.group_of(agent_id)
            fields = {
                "agentId": agent_id,
                "employeeId": user.employee_id if user else None,
                "agentLoginName": user.login_name if user else None,
                "agentUserName": user.nickname if user else None,
                "agentGroupId": int(group),
            }
            self._agents[agent_id] = fields
        return fields

    def record(self, row: Row) -> dict[str, Any]:
        _agent, time, session, number, type_, sub_type, reason_id, prev_time = row
        return {
            "time": rfc3339_ms(time),
            "sessionId": session,
            "sequenceNumber": number,
            "statusType": type_,
            "statusSubType": sub_type,
            "statusReasonId": reason_value(reason_id),
            "statusReasonText": None if reason_id is None else self._reasons.get(reason_id),
            "prevStatusChangeTime": None if prev_time is None else rfc3339_ms(prev_time),
        }


def status_page(
    store: Store,
    account_id: str,
    query: StatusQuery,
    agents: tuple[int, ...] | None,
    directory: DirectorySnapshot,
    reasons: Mapping[str, str],
) -> StatusPage:
    """The page `query` asks for, of `agents` (None: all)."""
    labels = _Labels(directory, reasons)
    records = store.status_changes
    if query.version == 2:
        page = records.page(account_id, query.start, query.end, agents, query.offset, query.limit)
        items = [{**labels.agent(row[0]), **labels.record(row)} for row in page.rows]
        return StatusPage(page.total, items)
    listed = records.agents(account_id, query.start, query.end, agents)
    chosen = listed[query.offset : query.offset + query.limit]
    by_agent: dict[int, list[dict[str, Any]]] = {agent: [] for agent in chosen}
    for row in records.of_agents(account_id, query.start, query.end, chosen):
        by_agent[row[0]].append(labels.record(row))
    items = [
        {**labels.agent(agent), "statusChangeHistory": history}
        for agent, history in by_agent.items()
    ]
    return StatusPage(len(listed), items)
