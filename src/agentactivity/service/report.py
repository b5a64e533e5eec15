"""An activity report's rows (SPEC section 9), computed one local day at a time: one call
for the figures of the day's intervals, then its rows. A caller writes each day before
asking for the next, so a report of any length holds one day in memory.

Names, employee ids and groups come from the directory as it is when the report starts,
status reason names from the reasons as they are then (docs/api.md, Reports).
"""

from __future__ import annotations

from collections.abc import Iterator

from agentactivity.directory import DirectorySnapshot
from agentactivity.engine.account import ScopeFigures
from agentactivity.engine.report_rows import report_rows
from agentactivity.local_days import LocalDay, local_text
from agentactivity.reports import ReportRange, Row
from agentactivity.service.activity import ActivityService


def report_agents(
    service: ActivityService,
    account_id: str,
    agent_ids: tuple[int, ...] | None,
    group_ids: tuple[str, ...] | None,
) -> tuple[tuple[int, ...] | None, DirectorySnapshot]:
    """The agents a report covers (None: all): `agent_ids` within the members of
    `group_ids` now, and the directory that says so. Raises UnknownGroups."""
    directory = service.directory(account_id)
    return directory.select(agent_ids, group_ids), directory


def day_figures(
    service: ActivityService,
    account_id: str,
    agent_ids: tuple[int, ...] | None,
    day: LocalDay,
) -> ScopeFigures:
    """The one place a report asks for figures: the day's intervals, for the agents."""
    return service.scope_figures(account_id, agent_ids, day.intervals)


def report_days(
    service: ActivityService,
    account_id: str,
    span: ReportRange,
    agent_ids: tuple[int, ...] | None,
    directory: DirectorySnapshot,
) -> Iterator[tuple[LocalDay, Iterator[list[Row]]]]:
    """Each day of the report with its rows, interval by interval. Consume a day's rows
    before asking for the next day."""
    reason_names = service.reason_names(account_id)
    names = service.settings.state_names
    for day in span.days():
        figures = day_figures(service, account_id, agent_ids, day)
        starts = [local_text(start, span.zone) for start, _ in day.intervals]
        yield day, report_rows(figures, starts, directory.label, reason_names, names)
