"""`GET /api/v2/account/{accountId}/status-changes` (SPEC section 9): the agents' state
changes as the vendor's Status Changes API pages them, v1 (by agent) or v2 (flat).

Authentication as every read (OAuth 1.0a, or a dashboard link; scope `read`; a team
link reads only its team), the account's query limits, then the parameters
(status_params.py: a 400 in the vendor's `{"message", "causes"}` shape), the page from
the service, and the links to the other pages.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.api.common import (
    Authenticator,
    Handlers,
    account_in_path,
    encoded_json_response,
    json_response,
)
from agentactivity.api.errors import ApiError
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.api.status_params import StatusParamsError, parse_status_query
from agentactivity.clock import rfc3339_ms
from agentactivity.credentials import Credentials
from agentactivity.directory import UnknownGroups
from agentactivity.service import ActivityService
from agentactivity.service.status_changes import StatusPage, employees
from agentactivity.status_changes import StatusQuery


def references(url: URL, query: StatusQuery, total: int) -> list[dict[str, str]]:
    """`_metadata.references`: `self` and `first` always; `next` while records (v2) or
    agents (v1) follow the page; `previous` after offset 0 (at most the last page's
    offset, so that a page past the end leads back to the data); `last` (the page of
    the last item, on the grid of `limit` from 0) when there is anything."""
    limit, offset = query.limit, query.offset
    offsets: list[tuple[str, int]] = [("self", offset), ("first", 0)]
    last = (total - 1) // limit * limit if total else 0
    if offset + limit < total:
        offsets.append(("next", offset + limit))
    if offset > 0:
        offsets.append(("previous", max(0, min(offset - limit, last))))
    if total:
        offsets.append(("last", last))
    return [
        {"rel": rel, "href": str(url.include_query_params(offset=value))} for rel, value in offsets
    ]


def answer(url: URL, query: StatusQuery, page: StatusPage) -> bytes:
    """The whole answer: `_metadata` and `timeframe`, then the page's items as the
    service wrote them (`stateChanges` in v2, `agentsInfo` in v1)."""
    head: dict[str, Any] = {
        "_metadata": {"references": references(url, query, page.total)},
        "timeframe": {
            "startTime": rfc3339_ms(query.start),
            "endTime": rfc3339_ms(query.end),
            "startTimeL": str(query.start),
            "endTimeL": str(query.end),
        },
    }
    key = b"stateChanges" if query.version == 2 else b"agentsInfo"
    return b'%s,"%s":%s}' % (orjson.dumps(head)[:-1], key, page.items_json)


class StatusChangeHandlers(Handlers):
    def __init__(self, service: ActivityService, auth: Authenticator, limiter: RateLimiter) -> None:
        super().__init__(service, auth)
        self.limiter = limiter  # the app's per-account query limits, shared with activity.py

    async def status_changes(self, request: Request) -> Response:
        account_id = account_in_path(request)

        def work() -> bytes:
            credentials = self.auth.authenticate(request, b"", account_id, "read")
            with self.limiter.query_slot(account_id):
                query = parse_status_query(
                    request.query_params,
                    now_ms=self.service.clock(),
                    history_ms=self.service.settings.history_ms,
                )
                groups = self._groups(credentials, account_id, query)
                try:
                    page = self.service.status_changes(account_id, query, groups)
                except UnknownGroups as exc:
                    cause = f"groupId: no agent group {query.group_id} (unknown or deleted)"
                    raise StatusParamsError([cause]) from exc
                return answer(request.url, query, page)

        try:
            return encoded_json_response(await run_in_threadpool(work))
        except StatusParamsError as exc:
            return json_response({"message": exc.message, "causes": exc.causes}, 400)

    def _groups(
        self, credentials: Credentials, account_id: str, query: StatusQuery
    ) -> tuple[str, ...] | None:
        """The agent groups to read within: `groupId` as asked, except for a team link
        (its team; 403 for an agent or group outside it, and for an `empId` no agent of
        the team has, whether or not someone outside it has it)."""
        agent_ids = None if query.agent_id is None else (query.agent_id,)
        group_ids = None if query.group_id is None else (query.group_id,)
        groups = self.within_team(credentials, account_id, agent_ids, group_ids)
        if credentials.team is not None and query.employee_id is not None:
            directory = self.service.directory(account_id)
            team = directory.members([credentials.team])  # None: the root, everyone
            found = employees(directory, query.employee_id)
            if team is not None and not set(found).intersection(team):
                raise ApiError(
                    403,
                    f"empId: no agent of this dashboard link's team (agent group "
                    f"{credentials.team} and its sub-groups) has employeeId {query.employee_id!r}",
                )
        return groups
