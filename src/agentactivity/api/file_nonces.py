"""OAuth nonces shared by the worker processes of `serve --workers N`, in a small SQLite
file of their own (no Redis needed on one host).

Same rules as auth.MemoryNonceStore: a nonce is kept for 2*window_s after its first use
(every moment a replay could still pass the clock check); at most `capacity` are kept,
and when full the oldest is evicted and its timestamp becomes a floor (requests with a
timestamp <= floor are refused, so an evicted nonce can never be replayed: fail closed).
Each check is one short write transaction (BEGIN IMMEDIATE) that every worker sees.

Durability is not needed, hence WAL with synchronous=OFF (no fsync per request): a
committed nonce survives any crash of the processes (it is in the OS's page cache);
only a crash of the whole machine can lose the last ones, and then the server restarts
anyway, which forgets nonces just as the in-memory store does when its process
restarts. The file is not part of the database: deleting it while no server runs is safe.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

from agentactivity.store import StoreBusyError

BUSY_TIMEOUT_S = 5.0

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS nonces (
        key TEXT PRIMARY KEY,
        expires REAL NOT NULL,
        ts INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces (expires)",
    # One row: how many nonces are kept (so the bound needs no COUNT) and the floor.
    """CREATE TABLE IF NOT EXISTS nonce_state (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        entries INTEGER NOT NULL,
        floor INTEGER
    )""",
    "INSERT OR IGNORE INTO nonce_state (id, entries, floor) VALUES (0, 0, NULL)",
)


def nonce_file_for(db_path: str) -> str:
    """Where the nonces of servers on the SQLite file `db_path` live: next to it."""
    return f"{db_path}-nonces"


class FileNonceStore:
    """NonceStore in a SQLite file: atomic across every process that opens the same file."""

    def __init__(
        self,
        path: str,
        window_s: int = 300,
        capacity: int = 200_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.path = path
        self._ttl = 2 * window_s
        self._capacity = capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
        )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=OFF")
            for statement in SCHEMA:
                self._db.execute(statement)
        except sqlite3.Error:
            self._db.close()
            raise

    def __len__(self) -> int:
        with self._lock:
            (entries,) = self._db.execute("SELECT entries FROM nonce_state").fetchone()
        return int(entries)

    def check_and_add(self, key: str, timestamp: int) -> bool:
        now = self._clock()
        try:
            with self._lock:
                return self._check_and_add(key, timestamp, now)
        except sqlite3.Error as exc:
            # Never accepted unchecked: the request is answered 503 and may be retried.
            raise StoreBusyError(
                f"the nonce store ({self.path}) is unavailable: {exc}; retry shortly"
            ) from exc

    def _check_and_add(self, key: str, timestamp: int, now: float) -> bool:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            entries, floor = db.execute("SELECT entries, floor FROM nonce_state").fetchone()
            before = (entries, floor)
            entries -= db.execute("DELETE FROM nonces WHERE expires <= ?", (now,)).rowcount
            fresh = False
            if floor is None or timestamp > floor:
                # Ignored when the key is there (not expired): a replay.
                fresh = (
                    db.execute(
                        "INSERT OR IGNORE INTO nonces (key, expires, ts) VALUES (?, ?, ?)",
                        (key, now + self._ttl, timestamp),
                    ).rowcount
                    == 1
                )
            if fresh:
                entries += 1
                if entries > self._capacity:
                    oldest, oldest_ts = db.execute(
                        "SELECT key, ts FROM nonces ORDER BY expires LIMIT 1"
                    ).fetchone()
                    db.execute("DELETE FROM nonces WHERE key = ?", (oldest,))
                    floor = oldest_ts if floor is None else max(floor, oldest_ts)
                    entries -= 1
            if (entries, floor) != before:
                db.execute("UPDATE nonce_state SET entries = ?, floor = ?", (entries, floor))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return fresh

    def close(self) -> None:
        with self._lock:
            self._db.close()
