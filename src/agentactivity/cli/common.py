"""What the command-line modules share: consoles, common options, one-line failures,
and opening the store or the service from the options given."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from agentactivity.accounts import ACCOUNT_ID
from agentactivity.service import ActivityService
from agentactivity.settings import DEFAULT_DB, Settings, SettingsError
from agentactivity.store import Store, StoreError, open_store

err = Console(stderr=True)
out = Console()

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database: sqlite:///relative/file.db, sqlite:////absolute/file.db, a bare "
        "file path or postgresql://user@host:5432/dbname. Default: $AGENTACTIVITY_DB, "
        f"else {DEFAULT_DB}",
        show_default=False,
    ),
]

AccountOption = Annotated[
    str, typer.Option("--account", help="Account id, e.g. 12345678.", show_default=False)
]


class LogLevel(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"


ShutdownTimeoutOption = Annotated[
    int,
    typer.Option(
        "--shutdown-timeout",
        min=0,
        help="On SIGTERM (or Ctrl-C), stop accepting connections and give requests in "
        "flight this many seconds to finish before cancelling them.",
    ),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"agentactivity: error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def check_account(account: str) -> None:
    """Exit with code 2 unless `account` is an account id."""
    if not ACCOUNT_ID.fullmatch(account):
        raise fail(f"--account {account!r}: use 1 to 64 letters, digits, '-' or '_'", 2)


def where(store: object) -> str:
    """The database, named without its password."""
    return str(getattr(store, "where", "the database"))


def load_settings(db: str | None, **overrides: object) -> Settings:
    try:
        return Settings.from_env(db_url=db, **overrides)
    except SettingsError as exc:
        raise fail(str(exc), 2) from exc


def open_db(settings: Settings, cache_mib: int | None = None) -> Store:
    """The store of the settings' database, or exit with one line saying why not;
    `cache_mib`: SQLite's page cache, for bulk work."""
    try:
        return open_store(settings.db_url, cache_mib=cache_mib)
    except StoreError as exc:
        raise fail(str(exc)) from exc


def build_service(settings: Settings, answers: bool = True) -> ActivityService:
    """The service on the settings' store; `answers=False`: one that only writes."""
    return ActivityService(open_db(settings), settings, answers=answers)
