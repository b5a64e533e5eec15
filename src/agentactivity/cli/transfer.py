"""`agentactivity export` / `agentactivity import`: move one account's events between
databases (SQLite <-> PostgreSQL, or a backup) as NDJSON, one `Event.to_json()` a line in
arrival (sequence) order. Keys are not moved."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import orjson
import typer

from agentactivity.cli import event_file
from agentactivity.cli.common import AccountOption, DbOption, check_account, where
from agentactivity.cli.event_file import Checked
from agentactivity.clock import now_ms
from agentactivity.events import TimeBounds

if TYPE_CHECKING:
    from rich.progress import Progress

EXPORT_PAGE = 10_000
# Events per transaction. Each commit writes every index page its batch touched (the
# eventId index's are spread all over it), so larger batches write far less: 10,000 agents
# x 8 h into SQLite wrote 4.7 GB with 1,000, 1.3 GB with 10,000 and 0.4 GB with 50,000
# (docs/performance.md), at the same peak memory. A batch holds the database's write lock
# (a serving process's ingest waits) for one to a few seconds.
IMPORT_BATCH = 50_000
# SQLite's page cache while importing: the indexes' pages stay in memory instead of being
# read again through the OS at each batch (10,000 agents x 24 h: CPU 48 s -> 34 s, of
# which system time 19 s -> 4 s); memory stays bounded, 64 MiB more at most.
IMPORT_CACHE_MIB = 64


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
                    # One buffer per page, each line added as it is encoded: a list of
                    # 10,000 small bytes objects costs ~4 KB each (orjson's buffers).
                    chunk = bytearray()
                    lines = 0
                    for seq, event in page:
                        if seq > last:
                            break
                        chunk += orjson.dumps(event.to_json())
                        chunk += b"\n"
                        lines += 1
                    stream.write(chunk)
                    written += lines
                    if lines < EXPORT_PAGE:
                        break
                    after = page[lines - 1][0]
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


def import_events(
    account: AccountOption,
    db: DbOption = None,
    input_: Annotated[
        str, typer.Option("--input", help="NDJSON file to read, or '-' for stdin.")
    ] = "-",
    batch: Annotated[
        int,
        typer.Option(
            "--batch",
            help="Events per transaction: larger stores faster, smaller holds the "
            "database's write lock (which a running server's ingest waits for) shorter.",
            min=1,
            max=100_000,
        ),
    ] = IMPORT_BATCH,
) -> None:
    """Store the events of an NDJSON file (as `export` writes it) in an account.

    \b
    Examples:
      agentactivity import --account 12345678 --input a.ndjson \\
        --db postgresql://postgres@db.example/agentactivity
      agentactivity simulate --agents 40 --hours 24 --output - \\
        | agentactivity import --account 12345678 --db ./day.db

    Two passes over the file, in constant memory whatever its size. First every line
    is checked, like the ingest API does but accepting any time inside the target's
    history (AGENTACTIVITY_HISTORY_DAYS, default 400; older events are invalid lines):
    if any line is invalid, nothing is stored, the first 20 problems are printed with
    their line numbers, with the count of all, and the exit code is 2. Then the file is
    read again and its events stored in file order, --batch per transaction.

    An event whose eventId the account already has is skipped as a duplicate, so running
    the same import again is harmless, and finishes an interrupted one (killed, Ctrl-C,
    the database gone): the batches stored stay, the rest are added, none twice.
    Input from stdin is copied to a temporary file while it is checked (it cannot be
    read twice): $TMPDIR needs room for the whole input.
    Keys are not imported: create them on the new store with `agentactivity keys create`.
    Exit codes: 2 bad arguments or input, 1 store errors, 130 interrupted.
    """
    from agentactivity.cli.common import err, fail, load_settings, open_db
    from agentactivity.store import StoreError

    check_account(account)
    settings = load_settings(db)
    # One edge for both passes: a line valid in the first stays valid in the second.
    bounds = history_bounds(now_ms(), settings.history_ms)
    source = "stdin" if input_ == "-" else input_
    started = time.perf_counter()
    with ExitStack() as stack:
        stream, checked = _check_input(input_, bounds, stack)
        if checked.invalid:
            for problem in checked.problems:
                err.print(f"{source}: {problem}", markup=False, highlight=False, soft_wrap=True)
            shown = len(checked.problems)
            more = f" (first {shown} shown)" if checked.invalid > shown else ""
            raise fail(
                f"{source}: {checked.invalid} invalid lines of {checked.lines}{more}; "
                "nothing was imported",
                2,
            )
        store = open_db(settings, cache_mib=IMPORT_CACHE_MIB)
        accepted = duplicates = 0

        def unfinished() -> str:
            return (
                f"after {accepted + duplicates} of {checked.events} events; the batches "
                "stored so far stay: run the same import again to finish it"
            )

        try:
            with _bytes_progress() as progress:
                advance = _bar(progress, f"Storing in account {account}", _size(stream))
                for events in event_file.batches(stream, bounds, batch, advance):
                    result = store.append(account, events)
                    accepted += result.accepted
                    duplicates += result.duplicates
        except StoreError as exc:
            raise fail(f"{exc} ({unfinished()})") from exc
        except event_file.FileChanged as exc:
            message = f"{source}: {exc}: the file changed after it was checked"
            raise fail(f"{message} ({unfinished()})", 2) from exc
        except OSError as exc:
            raise fail(f"{source}: {exc.strerror or exc} ({unfinished()})", 2) from exc
        except KeyboardInterrupt:
            raise fail(f"interrupted {unfinished()}", 130) from None
        finally:
            store.close()
    seconds = time.perf_counter() - started
    err.print(
        f"Imported {accepted}, duplicates {duplicates} (account {account}, {where(store)}) "
        f"in {seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )


def _size(stream: IO[bytes]) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except OSError:
        return None


def _bar(progress: Progress, description: str, total: int | None) -> Callable[[int], None]:
    task = progress.add_task(description, total=total)
    return lambda n: progress.advance(task, n)


def _bytes_progress() -> Progress:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    from agentactivity.cli.common import err

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=err)


def _check_input(input_: str, bounds: TimeBounds, stack: ExitStack) -> tuple[IO[bytes], Checked]:
    """The first pass over the input; the stream to read again for the second (stdin is
    copied to an unnamed temporary file as it is checked: it cannot be read twice)."""
    from agentactivity.cli.common import fail

    if input_ != "-":
        try:
            stream = stack.enter_context(open(input_, "rb"))
            before = os.fstat(stream.fileno())
            with _bytes_progress() as progress:
                advance = _bar(progress, "Checking", before.st_size)
                checked = event_file.check(stream, bounds, advance)
            after = os.fstat(stream.fileno())
            stream.seek(0)
        except OSError as exc:
            raise fail(f"--input {input_}: {exc.strerror or exc}", 2) from exc
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise fail(
                f"--input {input_}: the file changed while it was checked; nothing was "
                "imported: run the import again once it is complete",
                2,
            )
        return stream, checked
    spool_dir = tempfile.gettempdir()
    try:
        spool = stack.enter_context(tempfile.TemporaryFile(prefix="agentactivity-import-"))
        with _bytes_progress() as progress:
            advance = _bar(progress, "Checking stdin", None)
            checked = event_file.check(sys.stdin.buffer, bounds, advance, copy=spool)
        spool.flush()
        spool.seek(0)
    except OSError as exc:
        raise fail(
            f"cannot keep a copy of stdin in {spool_dir} ({exc.strerror or exc}); nothing "
            "was imported: set TMPDIR to a folder with room for the whole input, or give "
            "--input FILE"
        ) from exc
    return spool, checked


def register(app: typer.Typer) -> None:
    """Add `export` and `import` to the `agentactivity` command."""
    app.command("export")(export_events)
    app.command("import")(import_events)
