"""A pinned world for the reports' tests (SPEC section 9): simulated agents, one agent
logged in around the clock (so every interval of a day has rows), tests/teams.py's
directory and status reasons with names, all around a day with a clock change in
Europe/Berlin; and the Agent Activity API's figures for the same intervals, to compare
a report with.

The 25-hour day is 2026-10-25 (Berlin's clocks go back from 03:00 to 02:00 at 01:00 UTC),
the 23-hour one 2026-03-29 (forward from 02:00 to 03:00 at 01:00 UTC).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from agentactivity.events import TimeBounds, parse_batch
from agentactivity.query import ActivityQuery
from agentactivity.reasons import ReasonFields
from agentactivity.reports import COLUMNS, ReportRange, plan_report
from agentactivity.service import ActivityService
from agentactivity.simulate import DEFAULT_REASONS, Simulator
from tests.teams import ANN, BOB, ROOT_AGENT, STRANGER, SUPPORT_AGENT, seed_teams

BERLIN = "Europe/Berlin"
MINUTE = 60_000
HOUR = 60 * MINUTE
STEADY = 99  # logged in all along, with a chat, Away for a while under each reason


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


# "Now" for the worlds: a little after the local day after the clock change began.
FALL_DAY, FALL_NOW = date(2026, 10, 25), utc(2026, 10, 26, 5, 7) + 11_803
SPRING_DAY, SPRING_NOW = date(2026, 3, 29), utc(2026, 3, 30, 5, 7) + 11_803


def _event(agent: int, time: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "agentId": agent, "time": time, **fields}


def seed_world(service: ActivityService, account: str, day: date, now: int) -> None:
    """The directory, the status reasons and the events of the world around `day`."""
    seed_teams(service.store, account)
    service.store.reasons.create(account, [ReasonFields(name) for name in DEFAULT_REASONS.values()])
    ids = {name: reason_id for reason_id, name in service.reason_names(account).items()}
    renamed = {old: ids[name] for old, name in DEFAULT_REASONS.items()}
    # The evening before the day, in UTC: Berlin's midnight is at 22:00 or 23:00 UTC.
    start = utc(day.year, day.month, day.day) - 3 * HOUR
    simulated = Simulator(agents=8, seed=5, start_ms=start, reason_ids=renamed)
    events: list[dict[str, Any]] = simulated.events_until(now - MINUTE)
    lunch, meeting = ids["Lunch"], ids["Meeting"]
    events += [
        _event(STEADY, start, "state", state="ONLINE"),
        _event(STEADY, start + 10 * MINUTE, "max_chats", maxChats=1),
        _event(STEADY, start + 20 * MINUTE, "chat_start", chatId="c1"),
        # Around the clock change (01:00 UTC): Away under two reasons and with none.
        _event(STEADY, start + 3 * HOUR + 40 * MINUTE, "state", state="AWAY", reasonId=lunch),
        _event(STEADY, start + 4 * HOUR + 17 * MINUTE, "state", state="AWAY", reasonId=meeting),
        _event(STEADY, start + 4 * HOUR + 50 * MINUTE, "state", state="AWAY"),
        _event(STEADY, start + 5 * HOUR + 3 * MINUTE, "state", state="BACK_SOON"),
        _event(STEADY, start + 5 * HOUR + 31 * MINUTE, "chat_end", chatId="c1"),
        _event(STEADY, start + 6 * HOUR, "state", state="ONLINE"),
    ]
    # tests/teams.py's agents, each at a different hour of the day.
    for n, agent in enumerate((ANN, BOB, SUPPORT_AGENT, ROOT_AGENT, STRANGER)):
        at = start + (4 + 3 * n) * HOUR + 7 * MINUTE
        events += [
            _event(agent, at, "state", state="AWAY" if n % 2 else "ONLINE", reasonId=None),
            _event(agent, at + 95 * MINUTE + 500, "state", state="OFFLINE"),
        ]
    for event in events:
        if event.get("reasonId") is None:
            event.pop("reasonId", None)
    parsed, problems = parse_batch(events, TimeBounds.around(now, service.settings.retention_ms))
    assert not problems, problems[:3]
    service.ingest(account, parsed)


def day_range(service: ActivityService, day: date, interval: int, now: int) -> ReportRange:
    after = date.fromordinal(day.toordinal() + 1)
    history = service.settings.history_ms
    return plan_report(str(day), str(after), BERLIN, interval, now_ms=now, history_ms=history)


Key = tuple[int, str, str, str]  # agent, intervalStart, state, reasonId ("" for none)


def api_lines(
    service: ActivityService, account: str, span: ReportRange, now: int
) -> tuple[dict[Key, tuple[int, ...]], dict[str, set[int]]]:
    """Every entry the Agent Activity API gives for each interval of the report (each
    asked as its own window: `to` = the interval's end, `timeframe` = its length), and
    the agents it lists in each interval."""
    lines: dict[Key, tuple[int, ...]] = {}
    listed: dict[str, set[int]] = {}
    for day in span.days():
        for a, b in day.intervals:
            start = datetime.fromtimestamp(a / 1000, span.zone).isoformat()
            assert (b - a) % MINUTE == 0, "pick intervals of whole minutes"
            query = ActivityQuery((b - a) // MINUTE, None, 1, to=b)
            answer = service.agent_activity(account, query, now)
            per_agent = answer["agentsMetrics"]["metricsPerAgent"]
            listed[start] = {int(agent) for agent in per_agent}
            for agent, entries in per_agent.items():
                for entry in entries:
                    values = tuple(entry["value"].values())
                    lines[(int(agent), start, entry["name"], "")] = values
                    for reason in entry.get("reasons", []):
                        lines[(int(agent), start, entry["name"], reason["id"])] = tuple(
                            reason["value"].values()
                        )
    return lines, listed


def read_csv(text: str) -> list[dict[str, str]]:
    """A report's CSV, read by the csv module; checks the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert tuple(header) == COLUMNS
    return [dict(zip(header, row)) for row in reader]


def keyed(rows: list[dict[str, Any]]) -> dict[Key, tuple[int, ...]]:
    """Report rows (from CSV or Parquet, as dicts of COLUMNS) by their key."""
    found: dict[Key, tuple[int, ...]] = {}
    for row in rows:
        key = (int(row["agentId"]), str(row["intervalStart"]), row["state"], row["reasonId"] or "")
        assert key not in found, key
        found[key] = tuple(
            int(row[name])
            for name in ("totalSeconds", "chattingSeconds", "notChattingSeconds", "atMaxSeconds")
        )
    return found


def assert_same_figures(
    report: dict[Key, tuple[int, ...]],
    api: dict[Key, tuple[int, ...]],
    listed: dict[str, set[int]],
) -> None:
    """The report has the API's figures: each row equals the API's entry, every entry
    with a second or more has its row (one with less than a second may: it has time),
    and the agents with rows in each interval are those the API lists there."""
    for key, values in report.items():
        assert api.get(key) == values, (key, values, api.get(key))
    missing = [key for key, values in api.items() if values[0] >= 1 and key not in report]
    assert not missing, missing[:5]
    for start, agents in listed.items():
        assert {key[0] for key in report if key[1] == start} == agents, start
