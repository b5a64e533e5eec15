"""Engine snapshots: loaded at start-up when they prove valid, written in the background
and at shutdown, so that a restart reads a file instead of replaying the live window.

At start-up, per account: read its file (service/snapshot_file.py checks that it is
whole, signed by this database, of this version and account), then check it against
the store: the store must hold at least the seq the snapshot reflects, the same event
at that seq (the eventId there is the fingerprint), and the live window must not start
before the snapshot's horizon. Only then is it thawed into the engine, which the caller
then catches up from the store by seq. Anything else: one log line saying why, and the
account is rebuilt from the store as without snapshots (and written anew soon after).

Why the event at exactly that seq: seqs are per account and gapless, assigned under the
account's lock, so a database restored from an older backup either ends before the
snapshot (seq ahead of the store) or has given that seq to a new event (another
eventId). Pruning deletes only events older than the history (AGENTACTIVITY_HISTORY_DAYS,
far beyond the live window): if the event a snapshot was taken at is gone, the
snapshot is that old too, and is rebuilt rather than guessed at.

Writing: one process per directory writes (the one holding `writer.lock`, an
fcntl.flock: with `serve --workers N` whichever worker gets it; another takes it over
if that one dies); every process reads. The engine is copied under its lock (a copy of
its arrays), then encoded and written outside it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

from agentactivity.clock import rfc3339
from agentactivity.engine import Engine
from agentactivity.service import snapshot_file
from agentactivity.service.snapshot_file import Snapshot, SnapshotRefused
from agentactivity.settings import Settings
from agentactivity.store import Store
from agentactivity.store.identity import StoreIdentity
from agentactivity.store.postgres import database_name
from agentactivity.store.sqlite import sqlite_path

log = logging.getLogger("agentactivity.snapshots")
LOCK_FILE = "writer.lock"
TICK_S = 5.0  # how often the writer looks for accounts that are due
MB = 1024 * 1024


def snapshot_directory(settings: Settings) -> Path | None:
    """Where the settings' snapshots live; None: snapshots are off.

    `snapshot_dir` when set ("" turns them off); else beside a SQLite file
    (`<file>.snapshots`), in the working directory for PostgreSQL
    (`<database name>.snapshots`), none for an in-memory SQLite database."""
    if settings.snapshot_dir is not None:
        return Path(settings.snapshot_dir) if settings.snapshot_dir else None
    url = settings.db_url
    if url.startswith(("postgresql:", "postgres:")):
        return Path.cwd() / f"{database_name(url)}.snapshots"
    path = sqlite_path(url)
    return None if path == ":memory:" else Path(f"{path}.snapshots")


class Snapshots:
    def __init__(self, directory: Path, store: Store, engine: Engine, lock: threading.Lock):
        """`lock`: the service's catch-up lock, held while the engine is copied so that
        no batch is half applied in the copy."""
        self.directory = directory
        self._store = store
        self._engine = engine
        self._catch_up_lock = lock
        self._identity: StoreIdentity | None = None
        self._write_lock = threading.Lock()
        self._writer_fd: int | None = None
        self._cannot_write = False
        # Per account: the seq of the valid snapshot on disk, and when it was written.
        self._written: dict[str, int] = {}
        self._written_at: dict[str, float] = {}

    def identity(self) -> StoreIdentity:
        if self._identity is None:
            self._identity = self._store.identity()
        return self._identity

    # --- start-up -------------------------------------------------------------------------

    def restore(self, account_id: str, horizon: int) -> Snapshot | None:
        """Put the account's snapshot in the engine if it is valid for this store now and
        covers `horizon`; None (logged why) if not: rebuild the account from the store."""
        started = time.perf_counter()
        try:
            snapshot = snapshot_file.read(self.directory, account_id, self.identity())
            self._check(snapshot, horizon)
            self._engine.restore(account_id, snapshot.frozen)
        except SnapshotRefused as exc:
            missing = str(exc) == snapshot_file.NO_SNAPSHOT
            (log.info if missing else log.warning)(
                "account %s: snapshot not used, rebuilding from the store: %s (%s)",
                account_id,
                exc,
                snapshot_file.path_for(self.directory, account_id),
            )
            return None
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            log.warning(
                "account %s: snapshot not used, rebuilding from the store: its content "
                "does not hold together (%s)",
                account_id,
                exc,
            )
            return None
        self._written[account_id] = snapshot.seq
        self._written_at[account_id] = time.monotonic()
        log.info(
            "account %s: loaded the snapshot of seq %d written %s (%d agents, %.1f MB) in %.2f s",
            account_id,
            snapshot.seq,
            rfc3339(snapshot.written_at),
            len(snapshot.frozen.columns["agent_ids"]),
            snapshot.size / MB,
            time.perf_counter() - started,
        )
        return snapshot

    def _check(self, snapshot: Snapshot, horizon: int) -> None:
        """Is the snapshot what the store says this account was at its seq?"""
        account_id, seq = snapshot.account_id, snapshot.seq
        last_seq = self._store.last_seq(account_id)
        if seq > last_seq:
            raise SnapshotRefused(
                f"it reflects seq {seq} but the store ends at seq {last_seq} "
                "(a database restored from an older backup?)"
            )
        if seq > 0:
            stored = self._store.event_id_at(account_id, seq)
            if stored is None:
                raise SnapshotRefused(f"the event at seq {seq} it was taken at was pruned")
            if stored != snapshot.event_id:
                raise SnapshotRefused(
                    f"the store holds another event at seq {seq} than when it was taken "
                    "(a database restored from an older backup?)"
                )
        if snapshot.frozen.horizon > horizon:
            raise SnapshotRefused(
                f"it starts at {rfc3339(snapshot.frozen.horizon)} but the live window now "
                f"starts at {rfc3339(horizon)} (was AGENTACTIVITY_RETENTION_DAYS raised?)"
            )

    # --- writing --------------------------------------------------------------------------

    def is_writer(self) -> bool:
        """Whether this process writes the directory's snapshots (it holds, or now
        takes, the writer's lock)."""
        if self._writer_fd is not None:
            return True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if not self._cannot_write:  # once: the next rounds try again quietly
                log.warning(
                    "snapshots: cannot write in %s (%s): serving on without; set "
                    "--snapshot-dir to a writable folder, or --no-snapshot",
                    self.directory,
                    exc.strerror or exc,
                )
            self._cannot_write = True
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._writer_fd = fd
        removed = snapshot_file.remove_leftovers(self.directory)
        if removed:
            log.info("snapshots: removed %d temporary files a stopped writer left", removed)
        return True

    def release(self) -> None:
        """Give up the writer's lock (at shutdown)."""
        if self._writer_fd is not None:
            os.close(self._writer_fd)  # closing releases the flock
            self._writer_fd = None

    def write(self, account_id: str) -> bool:
        """Write the account's snapshot now (the caller is the writer); False if there
        was nothing new to write."""
        with self._write_lock:
            held = time.perf_counter()
            with self._catch_up_lock:
                frozen = self._engine.freeze(account_id)
            held = time.perf_counter() - held
            if frozen is None or self._written.get(account_id) == frozen.last_seq:
                return False
            seq = frozen.last_seq
            event_id = self._store.event_id_at(account_id, seq) if seq else None
            if seq and event_id is None:
                log.warning("account %s: no snapshot written: seq %d was pruned", account_id, seq)
                return False
            started = time.perf_counter()
            size = snapshot_file.write(
                self.directory, account_id, frozen, self.identity(), event_id
            )
            self._written[account_id] = seq
            self._written_at[account_id] = time.monotonic()
            log.info(
                "account %s: snapshot of seq %d written (%.1f MB) in %.2f s, the engine "
                "held %.2f s",
                account_id,
                seq,
                size / MB,
                time.perf_counter() - started,
                held,
                extra={"snapshot_bytes": size},
            )
            return True

    def write_due(self, every_s: float, every_events: int, force: bool = False) -> int:
        """Write the snapshots that are due: accounts without a valid one, and those
        whose engine moved on by `every_events` or `every_s` seconds ago (`force`, at a
        stop: every account that moved on, if this process already is the writer, so
        that workers stopping one after the other do not take turns writing the same).
        Returns how many were written; none unless the writer."""
        if not (self._writer_fd is not None if force else self.is_writer()):
            return 0
        written = 0
        now = time.monotonic()
        for account_id in self._store.account_ids():
            seq = self._engine.last_seq(account_id)
            previous = self._written.get(account_id)
            if previous == seq:
                continue
            if (
                previous is None
                or force
                or seq - previous >= every_events
                or now - self._written_at.get(account_id, 0.0) >= every_s
            ):
                written += self.write(account_id)
        return written

    def start_writing(self, every_s: float, every_events: int) -> threading.Event:
        """Write due snapshots now and then every few seconds in a daemon thread; set the
        returned event to stop (then call `write_due(force=True)` for the last ones)."""
        stop = threading.Event()

        def loop() -> None:
            while True:
                try:
                    self.write_due(every_s, every_events)
                except Exception:  # keep serving; the next round tries again
                    log.exception("snapshots: writing failed")
                if stop.wait(min(TICK_S, every_s)):
                    return

        threading.Thread(target=loop, name="snapshots", daemon=True).start()
        return stop
