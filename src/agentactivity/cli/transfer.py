"""`agentactivity export` / `agentactivity import`: move one account's events between
databases (SQLite <-> PostgreSQL, or a backup) as NDJSON, one `Event.to_json()` a line in
arrival (sequence) order. Keys are not moved."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Annotated

import orjson
import typer

from agentactivity.cli.common import AccountOption, DbOption, check_account, where
from agentactivity.clock import now_ms
from agentactivity.events import Event, EventError, TimeBounds, parse_event

EXPORT_PAGE = 10_000
MAX_PROBLEMS = 20


def history_bounds(now: int, history_ms: int) -> TimeBounds:
    """History may carry any time inside the store's history (AGENTACTIVITY_HISTORY_DAYS),
    up to any future time the store can hold; every other field is validated exactly as
    at ingest. (Older events would be pruned at once, and could not be answered.)"""
    return TimeBounds(
        oldest=now - history_ms,
        newest=2**63 - 1,
        window="the history (AGENTACTIVITY_HISTORY_DAYS)",
    )


def export_events(
    account: AccountOption,
    db: DbOption = None,
    output: Annotated[
        str, typer.Option("--output", help="NDJSON file to write, or '-' for stdout.")
    ] = "-",
) -> None:
    """Write an account's stored events as NDJSON, in arrival order, for `import`.

    \b
    Examples:
      agentactivity export --account 12345678 --db sqlite:///./agentactivity.db --output a.ndjson
      agentactivity export --account 12345678 --db ./old.db \\
        | agentactivity import --account 12345678 --db postgresql://postgres@db/agentactivity

    One event per line, exactly as the ingest API accepts it (eventId included), in the
    order the store received them. The events stored when the export starts are written;
    events arriving meanwhile are left for a later run (importing again is harmless).
    A file is written under FILE.partial and renamed when complete. Keys are not
    exported: create them on the new store with `agentactivity keys create`.
    Progress and a summary go to stderr. Exit codes: 2 bad arguments, 1 store errors.
    """
    from rich.progress import Progress

    from agentactivity.cli.common import err, fail, load_settings, open_db
    from agentactivity.store import StoreError

    check_account(account)
    store = open_db(load_settings(db))
    partial = Path(f"{output}.partial")
    stream: IO[bytes]
    written = 0
    try:
        if account not in store.account_ids():
            raise fail(f"--account {account}: no such account in {where(store)}", 2)
        last = store.last_seq(account)
        if output == "-":
            stream = sys.stdout.buffer
        else:
            try:
                stream = partial.open("wb")
            except OSError as exc:
                raise fail(f"--output {output}: {exc.strerror or exc}", 2) from exc
        try:
            with Progress(console=err, transient=False) as progress:
                task = progress.add_task(f"Exporting account {account}", total=last)
                after = 0
                while after < last:
                    page = store.read_after(account, after, limit=EXPORT_PAGE)
                    lines = [orjson.dumps(e.to_json()) for seq, e in page if seq <= last]
                    if lines:
                        stream.write(b"\n".join(lines) + b"\n")
                        written += len(lines)
                    if len(lines) < EXPORT_PAGE:
                        break
                    after = page[len(lines) - 1][0]
                    progress.update(task, completed=after)
                progress.update(task, completed=last)
            stream.flush()
        finally:
            if output != "-":
                stream.close()
        if output != "-":
            os.replace(partial, output)
    except StoreError as exc:
        raise fail(f"{exc} (nothing complete was written)") from exc
    except OSError as exc:
        raise fail(f"--output {output}: {exc.strerror or exc}", 2) from exc
    finally:
        store.close()
        if output != "-":
            partial.unlink(missing_ok=True)
    target = "stdout" if output == "-" else output
    err.print(f"Exported {written} events of account {account} to {target}", highlight=False)


def _read_events(stream: IO[bytes], bounds: TimeBounds) -> tuple[list[Event], list[str], int]:
    """Every event of the stream, the problems found (all of them) and the lines read."""
    events: list[Event] = []
    problems: list[str] = []
    number = 0
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue  # blank lines (e.g. a trailing one) carry nothing
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc})")
            continue
        try:
            event = parse_event(obj, bounds)
        except EventError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        events.append(event)
    return events, problems, number


def import_events(
    account: AccountOption,
    db: DbOption = None,
    input_: Annotated[
        str, typer.Option("--input", help="NDJSON file to read, or '-' for stdin.")
    ] = "-",
    batch: Annotated[
        int, typer.Option("--batch", help="Events per transaction.", min=1, max=100_000)
    ] = 1000,
) -> None:
    """Store the events of an NDJSON file (as `export` writes it) in an account.

    \b
    Examples:
      agentactivity import --account 12345678 --input a.ndjson \\
        --db postgresql://postgres@db.example/agentactivity
      agentactivity simulate --agents 40 --hours 24 --output - \\
        | agentactivity import --account 12345678 --db ./day.db

    Every line is validated first, like the ingest API does but accepting any time (the
    data is history): if any line is invalid, nothing is stored, up to 20 problems are
    printed with their line numbers and the exit code is 2. Then the events are stored
    in file order, --batch per transaction; an event whose eventId the account already
    has is skipped as a duplicate, so running the same import again is harmless (and
    finishes an interrupted one). Events of any age inside the target's history
    (AGENTACTIVITY_HISTORY_DAYS, default 400) are taken; older ones are invalid lines.
    Keys are not imported: create them on the new store with `agentactivity keys create`.
    Exit codes: 2 bad arguments or input, 1 store errors.
    """
    from rich.progress import Progress

    from agentactivity.cli.common import err, fail, load_settings, open_db
    from agentactivity.store import StoreError

    check_account(account)
    settings = load_settings(db)
    bounds = history_bounds(now_ms(), settings.history_ms)
    source = "stdin" if input_ == "-" else input_
    try:
        if input_ == "-":
            events, problems, lines = _read_events(sys.stdin.buffer, bounds)
        else:
            with open(input_, "rb") as stream:
                events, problems, lines = _read_events(stream, bounds)
    except OSError as exc:
        raise fail(f"--input {input_}: {exc.strerror or exc}", 2) from exc
    if problems:
        for problem in problems[:MAX_PROBLEMS]:
            err.print(f"{source}: {problem}", markup=False, highlight=False, soft_wrap=True)
        more = f" (first {MAX_PROBLEMS} shown)" if len(problems) > MAX_PROBLEMS else ""
        raise fail(
            f"{source}: {len(problems)} invalid lines of {lines}{more}; nothing was imported",
            2,
        )
    store = open_db(settings)
    accepted = duplicates = 0
    try:
        with Progress(console=err) as progress:
            task = progress.add_task(f"Importing into account {account}", total=len(events))
            for i in range(0, len(events), batch):
                chunk = events[i : i + batch]
                result = store.append(account, chunk)
                accepted += result.accepted
                duplicates += result.duplicates
                progress.advance(task, len(chunk))
    except StoreError as exc:
        raise fail(
            f"{exc} (after {accepted + duplicates} of {len(events)} events; the batches "
            "stored so far stay: run the same import again to finish it)"
        ) from exc
    finally:
        store.close()
    err.print(
        f"Imported {accepted}, duplicates {duplicates} (account {account}, {where(store)})",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add `export` and `import` to the `agentactivity` command."""
    app.command("export")(export_events)
    app.command("import")(import_events)
