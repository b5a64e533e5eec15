"""`agentactivity db ...`: database administration (schema migrations)."""

from __future__ import annotations

from typing import cast

import typer

from agentactivity.cli.common import DbOption

db_app = typer.Typer(help="Manage the database: bring its schema up to date.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(
    db: DbOption = None,
) -> None:
    """Apply the schema migrations the database lacks, one transaction each, and print them.

    Example: agentactivity db upgrade --db postgresql://agentactivity@db.example/agentactivity

    Safe to run again (nothing left to apply: it says so) and while services use the
    database. `serve` and `keys create` also apply missing migrations when they open it;
    a database written by a newer agentactivity is refused, never downgraded.
    """
    from agentactivity.cli.common import fail, load_settings
    from agentactivity.store import StoreError, migrations, open_store

    settings = load_settings(db)
    try:
        store = cast(migrations.Migratable, open_store(settings.db_url, auto_migrate=False))
        try:
            steps = migrations.migrate(store)
        finally:
            store.close()
    except StoreError as exc:
        raise fail(str(exc)) from exc
    where = store.where
    for step in steps:
        print(f"{where}: {step}")
    state = "upgraded to" if steps else "already at"
    print(f"{where}: {state} schema version {migrations.LATEST}, the latest this release knows")
