"""`agentactivity report`: an account's activity per agent, interval and state over local
days, as CSV or Parquet (SPEC section 9; docs/api.md, Reports). Written one day at a
time (one Parquet row group per day), so its memory does not grow with the range."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from agentactivity.cli.common import AccountOption, DbOption, check_account, err, fail, where
from agentactivity.local_days import LocalDay, local_text
from agentactivity.reports import COLUMNS, CSV_HEADER, ReportRange, Row, csv_lines

if TYPE_CHECKING:
    from agentactivity.service import ActivityService


class Format(StrEnum):
    csv = "csv"
    parquet = "parquet"


Days = Iterator[tuple[LocalDay, Iterator[list[Row]]]]


def report(
    account: AccountOption,
    from_: Annotated[
        str,
        typer.Option("--from", help="First local day, YYYY-MM-DD.", show_default=False),
    ],
    to: Annotated[
        str,
        typer.Option(
            "--to", help="Local day after the last one (exclusive), YYYY-MM-DD.", show_default=False
        ),
    ],
    tz: Annotated[
        str,
        typer.Option(
            "--tz",
            help="IANA time zone the days are in, e.g. Europe/Berlin or UTC.",
            show_default=False,
        ),
    ],
    interval: Annotated[
        int,
        typer.Option(
            "--interval",
            help="Minutes per interval: 15, 30, 60 or 1440 (whole days).",
            show_default=False,
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", help="File to write; '-' is stdout (CSV only).", show_default=False
        ),
    ],
    format_: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="csv or parquet. Default: parquet if --output ends in .parquet, else csv.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    agents: Annotated[
        str, typer.Option("--agents", help="'all' or comma-separated agent ids.")
    ] = "all",
    groups: Annotated[
        str | None,
        typer.Option(
            "--groups",
            help="Only the members of these agent groups and of the groups below them "
            "(comma-separated group ids or name paths such as 'Sales/Tier 2').",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write each agent's time per interval and state over local days, as CSV or Parquet.

    \b
    Examples:
      agentactivity report --account 12345678 --from 2026-10-01 --to 2026-11-01 \\
        --tz Europe/Berlin --interval 15 --output october.csv
      agentactivity report --account 12345678 --from 2026-10-25 --to 2026-10-26 \\
        --tz America/New_York --interval 60 --groups 'Sales/Tier 2' --output day.parquet
      agentactivity report --account 12345678 --from 2026-10-25 --to 2026-10-26 \\
        --tz UTC --interval 1440 --output - | column -s, -t

    \b
    One row per agent, interval and figure line with time in it (more than 0 ms), with
    the columns agentId, agentName, employeeId, agentGroupId, intervalStart (local time
    with its offset, e.g. 2026-10-25T00:00:00+02:00), state (Online, Back in 5, Away or
    Logged in), reasonId and reasonName (on the Away rows of each status reason),
    totalSeconds, chattingSeconds, notChattingSeconds, atMaxSeconds: the figures the
    Agent Activity API gives for the same interval, in whole seconds rounded down.

    --from and --to are dates in --tz, --to exclusive: --from 2026-10-25 --to 2026-10-26
    is one day. Intervals start at local midnight; a day with a clock change has 23 or 25
    hours (100 intervals of 15 minutes on 2026-10-25 in Europe/Berlin). Today's intervals
    end at now. --from may not be before the history the store keeps
    (AGENTACTIVITY_HISTORY_DAYS). Names and groups are those of the directory now.
    A file is written under FILE.partial and renamed when complete; progress goes to
    stderr. Exit codes: 2 bad arguments, 1 store errors.
    """
    from agentactivity.api.params import parse_agent_ids
    from agentactivity.cli.common import load_settings, open_db
    from agentactivity.clock import now_ms
    from agentactivity.directory import UnknownGroups
    from agentactivity.reports import ReportError, plan_report
    from agentactivity.service import ActivityService
    from agentactivity.service.report import report_agents, report_days
    from agentactivity.store import StoreError

    check_account(account)
    settings = load_settings(db)
    chosen = format_ or (Format.parquet if output.lower().endswith(".parquet") else Format.csv)
    if chosen is Format.parquet and output == "-":
        raise fail("--output -: Parquet cannot go to stdout; give a file name", 2)
    try:
        span = plan_report(from_, to, tz, interval, now_ms=now_ms(), history_ms=settings.history_ms)
    except ReportError as exc:
        raise fail("; ".join(f"--{name}: {problem}" for name, problem in exc.problems), 2) from exc
    try:
        agent_ids = parse_agent_ids(agents, settings.max_agent_ids)
    except ValueError as exc:
        raise fail(f"--agents: {str(exc).removeprefix('agentIds: ')}", 2) from exc
    store = open_db(settings)
    try:
        if account not in store.account_ids():
            raise fail(f"--account {account}: no such account in {where(store)}", 2)
        service = ActivityService(store, settings)
        group_ids = None if groups is None else _group_ids(service, account, groups)
        try:
            selected, directory = report_agents(service, account, agent_ids, group_ids)
        except UnknownGroups as exc:
            raise fail(f"--groups: {str(exc).removeprefix('agentGroupIds: ')}", 2) from exc
        _prepare(service, account)
        days = report_days(service, account, span, selected, directory)
        rows = _write(days, span, output, chosen)
    except StoreError as exc:
        raise fail(f"{exc} (nothing complete was written)") from exc
    finally:
        store.close()
    target = "stdout" if output == "-" else output
    err.print(
        f"Wrote {rows} rows ({span.first} to {span.last}, {span.zone_name}, every "
        f"{span.interval} min) of account {account} to {target}",
        highlight=False,
        soft_wrap=True,
    )


def _prepare(service: ActivityService, account: str) -> None:
    """Get the service ready to give the account's figures: each day is read from the
    store on its own (the engine loads nothing), so memory holds one day at a time."""
    service.answer_from_store(account)


def _group_ids(service: ActivityService, account: str, groups: str) -> tuple[str, ...]:
    """`--groups` as group ids: name paths become their groups' ids."""
    from agentactivity.directory_csv import find_group

    directory = service.directory(account)
    ids = []
    for item in groups.split(","):
        found = find_group(directory, item) if item.strip() else None
        if found is None:
            raise fail(
                f"--groups: no agent group {item.strip()!r} (give group ids, or name paths "
                "below the root such as Sales/Tier 2; `agentactivity agents export` shows "
                "the paths)",
                2,
            )
        ids.append(found)
    return tuple(dict.fromkeys(ids))


def _write(days: Days, span: ReportRange, output: str, chosen: Format) -> int:
    """Write the report under OUTPUT.partial (renamed when complete); the rows written."""
    from rich.progress import Progress

    total_days = (span.last - span.first).days + 1
    partial = Path(f"{output}.partial")
    try:
        with Progress(console=err, transient=False) as progress:
            task = progress.add_task(f"Report {span.first} to {span.last}", total=total_days)

            def advance() -> None:
                progress.advance(task)

            if output == "-":
                rows = _write_csv(days, sys.stdout, advance)
                sys.stdout.flush()
            elif chosen is Format.csv:
                with partial.open("w", encoding="utf-8", newline="") as stream:
                    rows = _write_csv(days, stream, advance)
            else:
                rows = _write_parquet(days, span, partial, advance)
            progress.update(task, completed=total_days)
        if output != "-":
            os.replace(partial, output)
    except OSError as exc:
        raise fail(f"--output {output}: {exc.strerror or exc}", 2) from exc
    finally:
        if output != "-":
            partial.unlink(missing_ok=True)
    return rows


def _write_csv(days: Days, stream: IO[str], advance: Any) -> int:
    stream.write(CSV_HEADER)
    written = 0
    for _day, intervals in days:
        for rows in intervals:
            stream.write(csv_lines(rows))
            written += len(rows)
        advance()
    return written


def _write_parquet(days: Days, span: ReportRange, path: Path, advance: Any) -> int:
    """One row group per day, with typed columns (docs/api.md, Reports)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    text, number = pa.string(), pa.int64()
    schema = pa.schema(
        [
            ("agentId", number),
            ("agentName", text),
            ("employeeId", text),
            ("agentGroupId", number),
            ("intervalStart", pa.timestamp("ms", tz=span.zone_name)),
            ("state", text),
            ("reasonId", text),
            ("reasonName", text),
            ("totalSeconds", number),
            ("chattingSeconds", number),
            ("notChattingSeconds", number),
            ("atMaxSeconds", number),
        ]
    )
    assert tuple(schema.names) == COLUMNS
    written = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for day, intervals in days:
            starts = {local_text(a, span.zone): a for a, _ in day.intervals}
            rows = [row for chunk in intervals for row in chunk]
            if rows:
                columns: list[list[Any]] = [list(column) for column in zip(*rows)]
                columns[3] = [int(group) for group in columns[3]]
                columns[4] = [starts[start] for start in columns[4]]
                arrays = [pa.array(c, type=f.type) for c, f in zip(columns, schema)]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                written += len(rows)
            advance()
    return written


def register(app: typer.Typer) -> None:
    """Add `report` to the `agentactivity` command."""
    app.command("report")(report)
