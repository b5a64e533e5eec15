"""Schema versions: `agentactivity db upgrade` on each backend, stores that upgrade
themselves at open, databases of the first release (no schema_version table), and
processes that start at once on a new database."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from agentactivity.events import Event
from agentactivity.reasons import ReasonFields
from agentactivity.store import SQLiteStore, StoreError, migrations, open_store
from tests.e2e.conftest import run_cli
from tests.store.conftest import raw_execute

V1 = f"version {migrations.MIGRATIONS[0].version}: {migrations.MIGRATIONS[0].description}"


def versions(url: str) -> list[tuple[object, ...]]:
    return raw_execute(url, "SELECT version, description FROM schema_version ORDER BY version")


def test_db_upgrade_applies_then_has_nothing_to_do(store_url: str, tmp_path: Path) -> None:
    first = run_cli("db", "upgrade", "--db", store_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"applied {V1}" in first.stdout, first.stdout
    assert f"upgraded to schema version {migrations.LATEST}" in first.stdout

    second = run_cli("db", "upgrade", "--db", store_url, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "applied" not in second.stdout, second.stdout
    assert f"already at schema version {migrations.LATEST}" in second.stdout
    assert versions(store_url) == [(m.version, m.description) for m in migrations.MIGRATIONS]

    store = open_store(store_url)  # and the store works on it
    assert store.append("a", [Event("state", 1, 1, "e", "ONLINE")]).last_seq == 1
    store.close()


def test_stores_upgrade_themselves_at_open(store_url: str) -> None:
    open_store(store_url).close()
    assert [row[0] for row in versions(store_url)] == [m.version for m in migrations.MIGRATIONS]
    store = open_store(store_url)
    assert migrations.migrate(store) == []  # type: ignore[arg-type]
    store.close()


def test_db_upgrade_refuses_a_newer_database(store_url: str, tmp_path: Path) -> None:
    open_store(store_url).close()
    raw_execute(
        store_url,
        "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
        (migrations.LATEST + 1, "next release", 0),
    )
    result = run_cli("db", "upgrade", "--db", store_url, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agentactivity: error: "), result.stderr
    assert f"schema version {migrations.LATEST + 1}, newer than" in lines[0]


def test_processes_starting_at_once_migrate_once(store_url: str) -> None:
    stores, errors = [], []

    def open_one() -> None:
        try:
            stores.append(open_store(store_url))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert [row[0] for row in versions(store_url)] == [m.version for m in migrations.MIGRATIONS]
    for store in stores:
        store.close()


# --- the first release's SQLite files ---------------------------------------------------

FIRST_RELEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    access_token TEXT NOT NULL,
    app_key TEXT NOT NULL,
    app_secret TEXT NOT NULL,
    access_token_secret TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (access_token)
);
CREATE TABLE IF NOT EXISTS events (
    account_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    agent_id INTEGER NOT NULL,
    time INTEGER NOT NULL,
    type TEXT NOT NULL,
    state TEXT,
    reason_id TEXT,
    chat_id TEXT,
    max_chats INTEGER,
    PRIMARY KEY (account_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS events_by_event_id ON events (account_id, event_id);
"""


def first_release_db(path: Path) -> Path:
    """A database as the first release (schema version 1, no schema_version) left it."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(FIRST_RELEASE_SCHEMA)
    db.execute("INSERT INTO accounts VALUES ('a', 2, 1)")
    db.execute(
        "INSERT INTO credentials VALUES ('a', 'token', 'key', 'secret', 'tsecret', 'read', 1)"
    )
    db.execute(
        "INSERT INTO events VALUES ('a', 1, 'e1', 7, 1000, 'state', 'ONLINE', NULL, NULL, NULL)"
    )
    db.execute(
        "INSERT INTO events VALUES ('a', 2, 'e2', 7, 2000, 'max_chats', NULL, NULL, NULL, 2)"
    )
    db.close()
    return path


def test_a_first_release_file_opens_as_version_1(tmp_path: Path) -> None:
    path = first_release_db(tmp_path / "old.db")
    store = SQLiteStore(str(path))
    assert store.account_ids() == ["a"]
    assert store.read_after("a", 0) == [
        (1, Event("state", 7, 1000, "e1", "ONLINE")),
        (2, Event("max_chats", 7, 2000, "e2", max_chats=2)),
    ]
    credentials = store.credentials_for_token("token")
    assert credentials is not None and credentials.scopes == ("read",)
    assert store.append("a", [Event("state", 7, 3000, "e3", "OFFLINE")]).last_seq == 3
    store.close()
    # Recognised as version 1, then upgraded like any version-1 database.
    assert versions(str(path)) == [(m.version, m.description) for m in migrations.MIGRATIONS]


def test_a_first_release_file_gets_status_reasons(tmp_path: Path) -> None:
    store = SQLiteStore(str(first_release_db(tmp_path / "old.db")))
    try:
        assert store.reasons.create("a", [ReasonFields("Lunch")])[0] == 1
        assert [item.text for item in store.reasons.listing("a")[1]] == ["Lunch"]
    finally:
        store.close()


def test_db_upgrade_recognises_a_first_release_file(tmp_path: Path) -> None:
    path = first_release_db(tmp_path / "old.db")
    result = run_cli("db", "upgrade", "--db", f"sqlite:///{path}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"recognised the existing schema as {V1}" in result.stdout, result.stdout
    again = run_cli("db", "upgrade", "--db", str(path), cwd=tmp_path)
    assert "already at schema version" in again.stdout, again.stdout
    assert len(SQLiteStore(str(path)).read_after("a", 0)) == 2


def test_a_foreign_postgres_schema_is_refused(postgres_url: str) -> None:
    raw_execute(postgres_url, "CREATE TABLE events (id BIGINT PRIMARY KEY, payload TEXT)")
    with pytest.raises(StoreError, match="not an agentactivity database: it has table events"):
        open_store(postgres_url)
