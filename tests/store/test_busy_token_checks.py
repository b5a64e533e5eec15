"""Dashboard links while the store is busy. A token check only reads (the account's
secret, the link's row): on SQLite, in WAL mode, another process's write lock does not
stop it, while issuing a link (which may make the secret) waits for the lock and then
fails as retryable. A token check that cannot reach the store (PostgreSQL: every pooled
connection busy) is a 503 with Retry-After and a message, never a 500."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.dashboard_token import issue
from agentactivity.events import Event
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore, StoreBusyError, open_store

HOUR = 3_600_000
STATE = "/api/account/1/agents/state?agentIds=all"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def write_lock_holder(tmp_path: Path) -> Iterator[tuple[str, sqlite3.Connection]]:
    """A SQLite store's file, and another connection that will hold its write lock."""
    path = str(tmp_path / "busy.db")
    SQLiteStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    yield path, holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


def test_sqlite_token_checks_are_not_stopped_by_another_writer(
    write_lock_holder: tuple[str, sqlite3.Connection],
) -> None:
    path, holder = write_lock_holder
    store = SQLiteStore(path, busy_timeout_s=0.2)
    now = int(time.time() * 1000)
    token, record = issue(store, "1", HOUR, now)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, lock held
    holder.execute("UPDATE accounts SET created_at = created_at")
    try:
        with TestClient(create_app(ActivityService(store, Settings(db_url=path)))) as client:
            answer = client.get(STATE, headers=bearer(token))
            assert answer.status_code == 200, answer.text
        assert store.dashboard_token("1", record.token_id) == record
        # Making a secret writes: it waits for the lock, then is retryable.
        with pytest.raises(StoreBusyError, match="locked by another process .*retry"):
            issue(store, "2", HOUR, now)
    finally:
        holder.execute("ROLLBACK")
    assert issue(store, "2", HOUR, now)[1].account_id == "2"
    store.close()


def test_postgres_token_check_without_a_free_connection_is_a_503(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentactivity.store import postgres

    # One connection, soon given up waiting for; a row lock waited for long enough to
    # keep that connection busy meanwhile.
    monkeypatch.setattr(postgres, "POOL_MIN_SIZE", 1)
    monkeypatch.setattr(postgres, "POOL_MAX_SIZE", 1)
    monkeypatch.setattr(postgres, "POOL_TIMEOUT_S", 0.3)
    monkeypatch.setattr(postgres, "LOCK_TIMEOUT_S", 10.0)
    store = open_store(postgres_url)
    token, _ = issue(store, "1", HOUR, int(time.time() * 1000))
    app = create_app(ActivityService(store, Settings(db_url=postgres_url)))
    appended = threading.Event()

    def append() -> None:  # waits for the row lock on the pool's only connection
        store.append("1", [Event("state", 1, 1, "e", "ONLINE")])
        appended.set()

    with psycopg.connect(postgres_url) as holder, TestClient(app) as client:
        holder.execute("SELECT * FROM accounts WHERE account_id = '1' FOR UPDATE")
        writer = threading.Thread(target=append)
        writer.start()
        try:
            time.sleep(0.5)
            answer = client.get(STATE, headers=bearer(token))
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "1"
            message = answer.json()["message"]
            assert "every connection is busy" in message and "retry in a moment" in message
        finally:
            holder.rollback()
            writer.join(timeout=30)
        assert appended.is_set()
        assert client.get(STATE, headers=bearer(token)).status_code == 200
    store.close()
