"""`agentactivity agents import` / `agents export`: an account's users (the agent
directory of SPEC section 8, with their teams as group name paths) as CSV. The format
is in docs/operations.md, "People and teams as CSV"; directory_csv.py reads and writes
it, directory_plan.py works out what an import changes, service/directory_import.py
writes that."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import IO, Annotated

import typer

from agentactivity.cli.common import AccountOption, DbOption, check_account, err, fail, where
from agentactivity.directory_csv import RowProblem
from agentactivity.service.directory_import import ImportResult

agents_app = typer.Typer(
    help="People: an account's users (agents, with their names, employee ids and teams) "
    "as CSV, to import from an HR or WFM export and to export again.",
    no_args_is_help=True,
)

MAX_PROBLEMS = 20  # printed; the count says how many there are


def summary(result: ImportResult, would: bool = False) -> str:
    restored = f" ({result.restored} restored)" if result.restored else ""
    verb = "would be " if would else ""
    return (
        f"{result.created} {verb}created, {result.updated} {verb}updated{restored}, "
        f"{result.unchanged} unchanged; {result.groups_created} "
        f"group{'' if result.groups_created == 1 else 's'} {verb}created"
    )


def _refuse(source: str, problems: list[RowProblem], rows: int) -> typer.Exit:
    """Print the problems (the first MAX_PROBLEMS) and the exit of a refused file."""
    for problem in problems[:MAX_PROBLEMS]:
        err.print(f"{source}: {problem}", markup=False, highlight=False, soft_wrap=True)
    bad = len({problem.line for problem in problems})
    shown = f" (first {MAX_PROBLEMS} shown)" if len(problems) > MAX_PROBLEMS else ""
    what = f"{bad} of {rows} rows have problems" if rows else "the header has problems"
    return fail(f"{source}: {what}{shown}; nothing was imported (fix them, then run it again)", 2)


def _line(problem: RowProblem) -> int:
    return problem.line


@agents_app.command("import")
def import_agents(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE.csv", help="The CSV to read, or - for stdin.", show_default=False
        ),
    ],
    account: AccountOption,
    db: DbOption = None,
    batch: Annotated[
        int, typer.Option("--batch", help="New users per transaction.", min=1, max=10_000)
    ] = 1000,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check the file and say what would change; write nothing."),
    ] = False,
) -> None:
    """Create or update an account's users from a CSV file (as `agents export` writes it).

    \b
    Examples:
      agentactivity agents import --account 12345678 people.csv
      agentactivity agents import --account 12345678 --dry-run people.csv
      agentactivity agents export --account 12345678 --db ./old.db \\
        | agentactivity agents import --account 12345678 --db postgresql://postgres@db/aa -

    \b
    The first row names the columns: id and loginName, and any of fullName, nickname,
    employeeId, isEnabled, maxChats, skillIds (1;2), agentGroupId and externalIds
    (twilio=WK123;connect=arn:...). agentGroupId is a group id, or a name path below
    the root group such as Sales/Tier 2: groups it names that do not exist are created.

    Every row is checked first, against the account's directory too (a group id it
    lacks, an id twice, a login name or external id two users would share): if any row
    is wrong, nothing is stored, the problems are printed with their line numbers and
    the exit code is 2. Then a user whose id exists is updated (only the columns the
    file has; a deleted one is restored) and the others are created. The writes are
    transactions of their own (new groups, each update, --batch new users): if one
    fails, those before it stay, and running the same file again finishes the import.
    Progress and a summary go to stderr. Exit codes: 2 bad arguments or file, 1 store
    errors.
    """
    from rich.progress import Progress

    from agentactivity.cli.common import load_settings, open_db
    from agentactivity.directory_csv import read_users
    from agentactivity.directory_plan import plan_import
    from agentactivity.service.directory_import import ImportStopped, apply_plan, read_directory
    from agentactivity.store import StoreError

    check_account(account)
    settings = load_settings(db)
    source = "stdin" if file == "-" else file
    try:
        if file == "-":
            stdin = _text(sys.stdin.buffer)
            try:
                rows, problems, count = read_users(stdin)
            finally:
                stdin.detach()  # stdin stays open for whoever owns it
        else:
            with open(file, encoding="utf-8-sig", newline="") as stream:
                rows, problems, count = read_users(stream)
    except OSError as exc:
        raise fail(f"{file}: {exc.strerror or exc}", 2) from exc
    if problems and count == 0:
        raise _refuse(source, problems, count)  # the header: no row could be read
    store = open_db(settings)
    try:
        # The rows read well are checked against the directory too, so that one run
        # lists every problem of the file.
        plan = plan_import(rows, *read_directory(store, account))
        if problems or plan.problems:
            raise _refuse(source, sorted([*problems, *plan.problems], key=_line), count)
        if dry_run:
            would = summary(ImportResult.of(plan), would=True)
            err.print(f"{source}: {would} (nothing written)", highlight=False, soft_wrap=True)
            return
        with Progress(console=err) as progress:
            task = progress.add_task(f"Importing users into account {account}", total=plan.rows)
            result = apply_plan(store, account, plan, batch, lambda n: progress.advance(task, n))
    except ImportStopped as exc:
        raise fail(
            f"{source}: {exc.message}. Written before it stopped: {summary(exc.done)}. "
            "Fix the cause, then run the same import again: what is in already stays unchanged"
        ) from exc
    except StoreError as exc:
        raise fail(str(exc)) from exc
    finally:
        store.close()
    err.print(
        f"{source}: {summary(result)} (account {account}, {where(store)})",
        highlight=False,
        soft_wrap=True,
    )


@agents_app.command("export")
def export_agents(
    account: AccountOption,
    db: DbOption = None,
    output: Annotated[
        str, typer.Option("--output", help="CSV file to write, or '-' for stdout.")
    ] = "-",
) -> None:
    """Write an account's users (not deleted) as CSV, by id, for `agents import`.

    \b
    Examples:
      agentactivity agents export --account 12345678 --output people.csv
      agentactivity agents export --account 12345678 | grep Tier

    The columns are those `agents import` reads, all of them; each user's team is
    written as its group's name path (Sales/Tier 2; empty for the root group), so that
    importing the file into another database builds the same tree of groups (those
    with members). A file is written under FILE.partial and renamed when complete.
    Exit codes: 2 bad arguments, 1 store errors.
    """
    from agentactivity.cli.common import load_settings, open_db
    from agentactivity.directory import DirectorySnapshot
    from agentactivity.directory_csv import write_users
    from agentactivity.store import StoreError

    check_account(account)
    store = open_db(load_settings(db))
    try:
        _, users = store.directory.users.listing(account)
        _, groups = store.directory.groups.listing(account)
    except StoreError as exc:
        raise fail(str(exc)) from exc
    finally:
        store.close()
    text = write_users(users, DirectorySnapshot.of(users, groups))
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_file(Path(output), text)
    target = "stdout" if output == "-" else output
    err.print(f"Exported {len(users)} users of account {account} to {target}", highlight=False)


def _text(stream: IO[bytes]) -> io.TextIOWrapper:
    """A CSV byte stream as text, as files are opened: UTF-8, with or without the byte
    order mark spreadsheets write; newlines left to the CSV reader (a quoted cell may
    hold one)."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def _write_file(path: Path, text: str) -> None:
    """Write under PATH.partial, then rename: a reader never sees half a file."""
    partial = Path(f"{path}.partial")
    try:
        partial.write_text(text, encoding="utf-8", newline="")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise fail(f"--output {path}: {exc.strerror or exc}", 2) from exc


def register(app: typer.Typer) -> None:
    """Add `agents import` and `agents export` to the `agentactivity` command."""
    app.add_typer(agents_app, name="agents")
