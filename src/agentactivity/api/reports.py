"""`GET /api/account/{accountId}/reports/activity.csv`: the activity report of SPEC section
9 as CSV, streamed one interval at a time while each day's figures are computed in the
threadpool (docs/api.md, Reports).

Everything that can be refused is checked before the first byte (the parameters, the
caller, the team, the groups, a query slot): once the answer has begun it is a 200.
The report holds one of the account's query slots until it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from agentactivity.api.common import Authenticator, Handlers, account_in_path
from agentactivity.api.errors import ApiError
from agentactivity.api.params import known_groups, parse_agent_ids, parse_group_ids, single_values
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.directory import DirectorySnapshot
from agentactivity.reports import CSV_HEADER, ReportError, ReportRange, csv_lines, plan_report
from agentactivity.service import ActivityService
from agentactivity.service.report import report_agents, report_days

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
REPORT_PARAMETERS = ("from", "to", "tz", "interval", "agentIds", "agentGroupIds")


class ClosingResponse(StreamingResponse):
    """A streamed answer that runs `on_close` however it ends (also when the client went
    away before the body began)."""

    def __init__(
        self, content: Iterator[bytes], headers: dict[str, str], on_close: Callable[[], None]
    ) -> None:
        super().__init__(iterate_in_threadpool(content), media_type=CSV_MEDIA_TYPE, headers=headers)
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.on_close()


def parse_report_request(
    raw: dict[str, Any], *, now_ms: int, history_ms: int, max_agent_ids: int
) -> tuple[ReportRange, tuple[int, ...] | None, tuple[str, ...] | None]:
    """The range, `agentIds` (default all) and `agentGroupIds` asked for; ApiError 400
    listing every problem."""
    problems: list[str] = []
    span = None
    try:
        span = plan_report(
            raw.get("from"),
            raw.get("to"),
            raw.get("tz"),
            raw.get("interval"),
            now_ms=now_ms,
            history_ms=history_ms,
        )
    except ReportError as exc:
        problems += [f"{name}: {problem}" for name, problem in exc.problems]
    agent_ids = group_ids = None
    try:
        agent_ids = parse_agent_ids((raw.get("agentIds") or "").strip() or "all", max_agent_ids)
    except ValueError as exc:
        problems.append(str(exc))
    try:
        group_ids = parse_group_ids(raw.get("agentGroupIds"), max_agent_ids)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ApiError(400, problems[0], problems if len(problems) > 1 else None)
    assert span is not None
    return span, agent_ids, group_ids


def file_name(account_id: str, span: ReportRange) -> str:
    """`activity-<account>-<first day>-<last day>.csv` (account ids are letters, digits,
    `-` and `_`: nothing to quote)."""
    return f"activity-{account_id}-{span.first}-{span.last}.csv"


class ReportHandlers(Handlers):
    def __init__(self, service: ActivityService, auth: Authenticator, limiter: RateLimiter) -> None:
        super().__init__(service, auth)
        self.limiter = limiter

    async def activity_csv(self, request: Request) -> Response:
        account_id = account_in_path(request)
        settings = self.service.settings

        def prepare() -> tuple[ReportRange, tuple[int, ...] | None, DirectorySnapshot, ExitStack]:
            credentials = self.auth.authenticate(request, b"", account_id, "read")
            span, agent_ids, group_ids = parse_report_request(
                single_values(request.query_params, REPORT_PARAMETERS),
                now_ms=self.service.clock(),
                history_ms=settings.history_ms,
                max_agent_ids=settings.max_agent_ids,
            )
            groups = self.within_team(credentials, account_id, agent_ids, group_ids)
            with known_groups():
                selected, directory = report_agents(self.service, account_id, agent_ids, groups)
            slot = ExitStack()
            slot.enter_context(self.limiter.query_slot(account_id))
            return span, selected, directory, slot

        span, selected, directory, slot = await run_in_threadpool(prepare)
        headers = {
            "Content-Disposition": f'attachment; filename="{file_name(account_id, span)}"',
            "Cache-Control": "no-store",
        }
        if request.method == "HEAD":  # the headers only: computing the body would be waste
            slot.close()
            return Response(b"", media_type=CSV_MEDIA_TYPE, headers=headers)

        def body() -> Iterator[bytes]:
            yield CSV_HEADER.encode()
            for _day, intervals in report_days(self.service, account_id, span, selected, directory):
                for rows in intervals:
                    if rows:
                        yield csv_lines(rows).encode()

        return ClosingResponse(body(), headers, slot.close)
