"""The embedded store: one SQLite file in WAL mode, committed before acknowledging."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from agentactivity.clock import now_ms
from agentactivity.credentials import Credentials, credentials_from_row
from agentactivity.events import Event
from agentactivity.retention import prunable
from agentactivity.store import migrations
from agentactivity.store.base import (
    AppendResult,
    StoreBusyError,
    StoreError,
    event_row,
    number_new_events,
)
from agentactivity.store.dashboard_tokens import SQLiteDashboardTokens
from agentactivity.store.migrations import Migration
from agentactivity.store.reasons_sqlite import sqlite_reasons

# SQLite's default limit of host parameters is 32766 on current builds, 999 on old ones.
LOOKUP_CHUNK = 500

# Pages of WAL (4 KB each by default) after which a commit checkpoints; SQLite's is 1000.
WAL_AUTOCHECKPOINT_PAGES = 10_000
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

# How long to wait for a lock another process holds before giving up.
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


def open_error(path: str, exc: sqlite3.Error) -> StoreError:
    """What went wrong opening `path`, and what to do about it."""
    if _is_locked(exc):
        return StoreError(
            f"cannot open database {path!r}: it is locked by another process (waited "
            f"{BUSY_TIMEOUT_S:g} s). Stop the program that holds it (an sqlite3 shell in "
            "a transaction, a backup tool, ...) and start again, or use another file"
        )
    if _is_damaged(exc):
        return damaged(path, exc)
    return StoreError(
        f"cannot open database {path!r}: {exc}. Check that the path names a SQLite file "
        "you may read and write, on a local disk"
    )


class SQLiteStore(SQLiteDashboardTokens):
    def __init__(self, url: str, auto_migrate: bool = True) -> None:
        path = sqlite_path(url)
        if path != ":memory:":
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
        self._lock = threading.Lock()
        self._path = path
        self.reasons = sqlite_reasons(self)
        self.where = repr(path)
        try:
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S
            )
        except sqlite3.Error as exc:
            raise open_error(path, exc) from exc
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
            if auto_migrate:
                migrations.migrate(self)
            else:
                migrations.check(self)
        except sqlite3.Error as exc:
            self._db.close()
            raise open_error(path, exc) from exc
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
                    f"database {self._path!r} is a SQLite file but not an agentactivity "
                    f"database: table {table} has no column {', '.join(missing)}. Point "
                    "--db at the right file, or at a new one"
                )

    def schema_version(self) -> tuple[int, bool]:
        with self._lock:
            tables = {
                row[0]
                for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "schema_version" not in tables:
                # The first release had no schema_version table: its tables mean version 1.
                return 0, bool(tables & COLUMNS.keys())
            row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return row[0] or 0, False

    def apply_migration(self, migration: Migration, record_only: bool) -> bool:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")  # one process at a time
            try:
                db.execute(migrations.SCHEMA_VERSION_TABLE)
                (version,) = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
                if (version or 0) > migrations.LATEST:
                    raise migrations.newer_schema(self.where, version)
                if (version or 0) >= migration.version:
                    db.execute("ROLLBACK")
                    return False
                if not record_only:
                    for statement in migration.sqlite:
                        db.execute(statement)
                db.execute(
                    "INSERT INTO schema_version (version, description, applied_at) "
                    "VALUES (?, ?, ?)",
                    (migration.version, migration.description, now_ms()),
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return True

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def ensure_account(self, account_id: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO accounts (account_id, created_at) VALUES (?, ?)",
                (account_id, now_ms()),
            )

    def account_ids(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT account_id FROM accounts ORDER BY account_id")
            return [row[0] for row in rows]

    def last_seq(self, account_id: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT last_seq FROM accounts WHERE account_id = ?", (account_id,)
            ).fetchone()
        return row[0] if row else 0

    def last_seqs(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT account_id, last_seq FROM accounts").fetchall()
        return dict(rows)

    def add_credentials(self, credentials: Credentials) -> None:
        self.ensure_account(credentials.account_id)
        with self._lock:
            self._db.execute(
                "INSERT INTO credentials (account_id, access_token, app_key, app_secret, "
                "access_token_secret, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    credentials.account_id,
                    credentials.access_token,
                    credentials.app_key,
                    credentials.app_secret,
                    credentials.access_token_secret,
                    ",".join(credentials.scopes),
                    now_ms(),
                ),
            )

    def credentials_for_token(self, access_token: str) -> Credentials | None:
        with self._lock:
            row = self._db.execute(
                "SELECT account_id, app_key, app_secret, access_token, access_token_secret, "
                "scopes FROM credentials WHERE access_token = ?",
                (access_token,),
            ).fetchone()
        if row is None:
            return None
        return credentials_from_row(row)

    def append(self, account_id: str, events: list[Event]) -> AppendResult:
        try:
            return self._append(account_id, events)
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise StoreBusyError(
                    f"the database is locked by another process (waited {BUSY_TIMEOUT_S:g} s); "
                    "nothing was stored, retry in a moment"
                ) from exc
            raise

    def _append(self, account_id: str, events: list[Event]) -> AppendResult:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT OR IGNORE INTO accounts (account_id, created_at) VALUES (?, ?)",
                    (account_id, now_ms()),
                )
                last_seq = db.execute(
                    "SELECT last_seq FROM accounts WHERE account_id = ?", (account_id,)
                ).fetchone()[0]
                seen = self._known_event_ids(account_id, {e.event_id for e in events})
                stored = number_new_events(events, seen, last_seq)
                rows = [event_row(account_id, seq, event) for seq, event in stored]
                last_seq += len(rows)
                db.executemany(
                    "INSERT INTO events (account_id, seq, event_id, agent_id, time, type, state, "
                    "reason_id, chat_id, max_chats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                db.execute(
                    "UPDATE accounts SET last_seq = ? WHERE account_id = ?", (last_seq, account_id)
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return AppendResult(len(rows), len(events) - len(rows), last_seq, tuple(stored))

    def _known_event_ids(self, account_id: str, event_ids: set[str]) -> set[str]:
        wanted = list(event_ids)
        known: set[str] = set()
        for i in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[i : i + LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT event_id FROM events WHERE account_id = ? AND event_id IN ({marks})",
                (account_id, *chunk),
            )
            known.update(row[0] for row in rows)
        return known

    def prune(self, account_id: str, before_ms: int) -> int:
        """Delete the account's events older than `before_ms` that no longer matter
        (see `retention.events_to_keep`); returns how many were deleted."""
        with self._lock:
            db = self._db
            # One write transaction from read to delete: a batch committed meanwhile
            # could otherwise change which old events still matter.
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute(
                    "SELECT agent_id, time, seq, type, state, reason_id, chat_id, max_chats "
                    "FROM events WHERE account_id = ? AND time < ? ORDER BY agent_id, time, seq",
                    (account_id, before_ms),
                ).fetchall()
                later = {
                    row[0]
                    for row in db.execute(
                        "SELECT DISTINCT agent_id FROM events WHERE account_id = ? AND time >= ?",
                        (account_id, before_ms),
                    )
                }
                doomed = list(prunable(((row[0], row[1:]) for row in rows), later))
                for i in range(0, len(doomed), LOOKUP_CHUNK):
                    chunk = doomed[i : i + LOOKUP_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    db.execute(
                        f"DELETE FROM events WHERE account_id = ? AND seq IN ({marks})",
                        (account_id, *chunk),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return len(doomed)

    def read_after(
        self, account_id: str, after_seq: int, limit: int = 50_000
    ) -> list[tuple[int, Event]]:
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT seq, type, agent_id, time, event_id, state, reason_id, chat_id, "
                    "max_chats FROM events WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                    (account_id, after_seq, limit),
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                # Damage inside the file shows only when its pages are read (at load).
                if _is_damaged(exc):
                    raise damaged(self._path, exc) from exc
                raise
        return [(row[0], Event(*row[1:])) for row in rows]
