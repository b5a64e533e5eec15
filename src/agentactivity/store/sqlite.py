"""The embedded backend: one SQLite file in WAL mode, committed before acknowledging.

`SQLiteAdapter` is the store's adapter (store/adapter.py) on one connection that the
process's threads share under a lock; `SQLiteStore` opens a file and applies the
migrations it lacks. What to do when opening fails (no folder, a folder, a damaged or
foreign file, a lock held by another process) is said here.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from agentactivity.no_wait import held
from agentactivity.store.adapter import NOTHING_CHANGED, Ddl, Row
from agentactivity.store.base import StoreBusyError, StoreError
from agentactivity.store.sql_store import SqlStore

# SQLite's default limit of host parameters is 32766 on current builds, 999 on old ones.
LOOKUP_CHUNK = 500

# Pages of WAL (4 KB each by default) after which a commit checkpoints; SQLite's is 1000.
WAL_AUTOCHECKPOINT_PAGES = 10_000
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

# How long to wait for a lock another process holds before giving up (the default of
# SQLiteStore's `busy_timeout_s`).
BUSY_TIMEOUT_S = 5.0

# The columns this version reads and writes: a SQLite file without them is not ours.
COLUMNS = {
    "accounts": {"account_id", "last_seq", "created_at"},
    "credentials": {
        "account_id",
        "access_token",
        "app_key",
        "app_secret",
        "access_token_secret",
        "scopes",
        "created_at",
    },
    "events": {
        "account_id",
        "seq",
        "event_id",
        "agent_id",
        "time",
        "type",
        "state",
        "reason_id",
        "chat_id",
        "max_chats",
    },
}


def sqlite_path(url: str) -> str:
    """The file path of `sqlite:///relative`, `sqlite:////absolute` or a bare path."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
    elif url.startswith("sqlite://"):
        raise StoreError(
            f"cannot read database URL {url!r}: write sqlite:///relative/file.db "
            "or sqlite:////absolute/file.db"
        )
    else:
        path = url
    if not path:
        raise StoreError(
            "the SQLite database path is empty: give a file, e.g. sqlite:///./agentactivity.db"
        )
    return path


def _is_locked(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)


def _is_damaged(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    return (
        name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT"))
        or "not a database" in text
        or "malformed" in text
    )


def damaged(path: str, reason: object) -> StoreError:
    return StoreError(
        f"database {path!r} is not an agentactivity SQLite database or it is damaged "
        f"({reason}): point --db at the right file, or restore this one from a backup"
    )


def check_header(path: str) -> None:
    """Cheap checks SQLite leaves to the first read of the page concerned: SQLite writes
    whole pages, so a file cut inside one (a partial copy) is damaged."""
    try:
        with open(path, "rb") as f:
            header = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        return  # a new database
    except OSError as exc:
        raise StoreError(f"cannot read database {path!r}: {exc}") from exc
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return  # empty (a new database), or SQLite says "file is not a database"
    wal = Path(f"{path}-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        return  # in use (a checkpoint may be writing pages now): leave it to SQLite
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size >= 512 and size % page_size:
        raise damaged(
            path, f"cut short: {size} bytes is not a whole number of {page_size}-byte pages"
        )


def open_error(path: str, exc: sqlite3.Error, busy_timeout_s: float) -> StoreError:
    """What went wrong opening `path`, and what to do about it."""
    if _is_locked(exc):
        return StoreError(
            f"cannot open database {path!r}: it is locked by another process (waited "
            f"{busy_timeout_s:g} s). Stop the program that holds it (an sqlite3 shell in "
            "a transaction, a backup tool, ...) and start again, or use another file"
        )
    if _is_damaged(exc):
        return damaged(path, exc)
    return StoreError(
        f"cannot open database {path!r}: {exc}. Check that the path names a SQLite file "
        "you may read and write, on a local disk"
    )


def _check_path(path: str) -> None:
    if path == ":memory:":
        return
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise StoreError(
            f"cannot open database {path!r}: folder {parent} does not exist; "
            "create it first or give another path"
        )
    if Path(path).is_dir():
        raise StoreError(
            f"cannot open database {path!r}: it is a folder, not a file; give a "
            f"file path such as {str(Path(path) / 'agentactivity.db')!r}"
        )
    check_header(path)


@functools.cache
def _insert(table: str, columns: str) -> str:
    marks = ", ".join("?" * (columns.count(",") + 1))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"


class _Statements:
    """`Sql` on the adapter's connection (used under the adapter's lock only)."""

    lock_clause = ""  # BEGIN IMMEDIATE already holds the database's write lock

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __call__(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._db.execute(sql, params).fetchall()

    def insert_many(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(_insert(table, columns), rows)

    def where_in(
        self, sql: str, params: Sequence[Any], column: str, values: Sequence[Any]
    ) -> list[Row]:
        found: list[Row] = []
        for i in range(0, len(values), LOOKUP_CHUNK):
            chunk = values[i : i + LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            found += self._db.execute(f"{sql} AND {column} IN ({marks})", (*params, *chunk))
        return found

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, Any]:
        # json_each is built into SQLite since 3.38 (and in most builds before).
        return f"{column} IN (SELECT value FROM json_each(?))", json.dumps(list(values))


class SQLiteAdapter:
    """One SQLite file (or ":memory:") on one connection, shared by the process's
    threads under a lock; opening checks that the file is an agentactivity database or
    a new one, and sets WAL mode and full durability."""

    def __init__(
        self, path: str, busy_timeout_s: float | None = None, cache_mib: int | None = None
    ) -> None:
        _check_path(path)
        self.path = path
        self.where = repr(path)
        # How long a statement waits for a lock held by another process.
        self.busy_timeout_s = BUSY_TIMEOUT_S if busy_timeout_s is None else busy_timeout_s
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=self.busy_timeout_s
            )
        except sqlite3.Error as exc:
            raise open_error(path, exc, self.busy_timeout_s) from exc
        self._sql = _Statements(self._db)
        try:
            self._check_schema()  # before anything writes to a file that may not be ours
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before we answer, even across power loss.
            self._db.execute("PRAGMA synchronous=FULL")
            # Checkpoint (copy the WAL into the database file, fsync both) every ~40 MB of
            # WAL instead of SQLite's ~4 MB: the index pages a batch dirties are mostly the
            # ones the next batches dirty again, so fewer checkpoints write far fewer pages.
            # Durability is the WAL's fsync at each commit, unchanged. The WAL file is cut
            # back to 64 MB after a checkpoint if a long read made it grow further.
            self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            self._db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
            self._db.execute("PRAGMA foreign_keys=ON")
            if cache_mib is not None:
                # A page cache larger than SQLite's 2 MB, for bulk writes (import): index
                # pages are found in memory instead of read again through the OS.
                self._db.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
        except sqlite3.Error as exc:
            self._db.close()
            raise open_error(path, exc, self.busy_timeout_s) from exc
        except StoreError:
            self._db.close()
            raise

    def _check_schema(self) -> None:
        """A SQLite file of another program may hold tables of the same names."""
        for table, wanted in COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            missing = sorted(wanted - have)
            if have and missing:  # a table not there yet is created by a migration
                raise StoreError(
                    f"database {self.path!r} is a SQLite file but not an agentactivity "
                    f"database: table {table} has no column {', '.join(missing)}. Point "
                    "--db at the right file, or at a new one"
                )

    def _store_error(self, exc: sqlite3.DatabaseError, undone: str | None) -> StoreError | None:
        """SQLite's locks as StoreBusyError, a damaged file as StoreError; None: neither
        (a refused row, ...), raised as it is."""
        if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
            done = f"{undone}, retry" if undone else "retry"
            return StoreBusyError(
                f"the database is locked by another process (waited "
                f"{self.busy_timeout_s:g} s); {done} in a moment"
            )
        # Damage inside the file shows only when its pages are read.
        return damaged(self.path, exc) if _is_damaged(exc) else None

    @contextmanager
    def transaction(self, undone: str = NOTHING_CHANGED) -> Iterator[_Statements]:
        # BEGIN IMMEDIATE takes the database's write lock: other writers, in this
        # process (the lock) or another, wait until COMMIT. (One generator, not two
        # nested context managers: this is every batch's path.)
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._sql
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.DatabaseError as exc:
                error = self._store_error(exc, undone)
                if error is None:
                    raise
                raise error from exc

    @contextmanager
    def read(self) -> Iterator[_Statements]:
        # On the event loop (no_wait.py) a read does not wait for another thread's.
        with held(self._lock):
            try:
                yield self._sql
            except sqlite3.DatabaseError as exc:
                error = self._store_error(exc, None)
                if error is None:
                    raise
                raise error from exc

    def migration(self) -> AbstractContextManager[_Statements]:
        return self.transaction()  # BEGIN IMMEDIATE: one process at a time

    def ddl(self, migration: Ddl) -> tuple[str, ...]:
        return migration.sqlite

    def schema_version(self) -> tuple[int, bool]:
        with self.read() as sql:
            tables = {row[0] for row in sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "schema_version" not in tables:
                # The first release had no schema_version table: its tables mean version 1.
                return 0, bool(tables & COLUMNS.keys())
            ((version,),) = sql("SELECT MAX(version) FROM schema_version")
        return version or 0, False

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SQLiteStore(SqlStore):
    """The store on a SQLite file: `url` is sqlite:///relative, sqlite:////absolute, a
    bare path or ":memory:". `busy_timeout_s`: how long to wait for a lock another
    process holds (default BUSY_TIMEOUT_S) before a StoreBusyError. `cache_mib`: SQLite's
    page cache (default SQLite's own, 2 MB)."""

    # Reads are short and on this machine: small queries may run on the event loop.
    local_reads = True

    def __init__(
        self,
        url: str,
        auto_migrate: bool = True,
        busy_timeout_s: float | None = None,
        cache_mib: int | None = None,
    ) -> None:
        path = sqlite_path(url)
        adapter = SQLiteAdapter(path, busy_timeout_s, cache_mib)
        try:
            super().__init__(adapter, auto_migrate)
        except StoreBusyError as exc:  # locked while migrating: say what to do
            cause = exc.__cause__
            assert isinstance(cause, sqlite3.Error)
            raise open_error(path, cause, adapter.busy_timeout_s) from cause
        except sqlite3.Error as exc:
            raise open_error(path, exc, adapter.busy_timeout_s) from exc
