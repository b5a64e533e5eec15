"""Store fixtures: every store test runs on each backend.

SQLite always (a file in the test's tmp folder). PostgreSQL when reachable at
$AGENTACTIVITY_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres):
each test gets a schema of its own (created, named in the URL's search_path, dropped
after), so tests never see each other's rows. Unreachable, the PostgreSQL cases are
skipped with a message saying how to enable them; under CI (CI=true) they fail instead,
so that a CI run never passes without them.
"""

from __future__ import annotations

import functools
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from agentactivity.store import Store, open_store
from tests.services import require_service

POSTGRES_URL = os.environ.get(
    "AGENTACTIVITY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgres"]


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None (asked once per session)."""
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def require_postgres() -> None:
    require_service(
        postgres_problem(),
        f"PostgreSQL is not reachable at {POSTGRES_URL}",
        "CI must run the PostgreSQL store tests (.ci/run starts it)",
        "start PostgreSQL there, or set AGENTACTIVITY_TEST_POSTGRES to the URL "
        "of a database where the tests may create and drop schemas",
    )


def with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def pg_admin() -> psycopg.Connection:
    return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A new, empty schema; yields a URL whose tables live in it."""
    require_postgres()
    name = f"agentactivity_test_{uuid.uuid4().hex[:12]}"
    with pg_admin() as admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield with_search_path(POSTGRES_URL, name)
    finally:
        with pg_admin() as admin:
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')


@contextmanager
def backend_url(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a new, empty database of each backend."""
    with backend_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def any_store(store_url: str) -> Iterator[Store]:
    """An open store of each backend, on a new database."""
    store = open_store(store_url)
    yield store
    store.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of a new, empty PostgreSQL schema (PostgreSQL-only tests)."""
    with postgres_schema() as url:
        yield url


def raw_execute(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Run one statement on the database of a store URL, outside the store."""
    if url.startswith("postgresql:"):
        with psycopg.connect(url, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []
    import sqlite3

    db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def race(store_url: str, writers: int, write: Callable[[Store, int], object]) -> list[object]:
    """Run `write(store, n)` at once on `writers` stores of their own (connections of
    their own, as separate processes would have); returns results or exceptions."""
    stores = [open_store(store_url) for _ in range(writers)]
    results: list[object] = [None] * writers
    start = threading.Barrier(writers)

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = write(stores[n], n)
        except Exception as exc:  # the refusals are what is counted
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    return results
