"""Opening the store on something that is not a healthy, free agentactivity database:
a damaged or foreign file, a database another process locks, a folder, a missing folder,
a bad URL. Each must give a StoreError that says what is wrong and what to do, in bounded
time; and `agentactivity serve` must exit non-zero with one `agentactivity: error:` line.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentactivity.events import Event
from agentactivity.store import SQLiteStore, StoreError, open_store
from agentactivity.store import sqlite as sqlite_module
from tests.e2e.conftest import free_port, run_cli

DAMAGED = "is not an agentactivity SQLite database or it is damaged"
LOCKED = "locked by another process"
PAGE = 4096


def make_real_db(path: Path, accounts: int = 2, events: int = 5000) -> Path:
    """A real agentactivity database of a few hundred pages, closed (WAL checkpointed)."""
    store = SQLiteStore(str(path))
    for account in range(accounts):
        store.append(
            f"acc{account}",
            [
                Event("state", 1 + i % 50, 1_000 + i, f"e{account}-{i}", "ONLINE")
                for i in range(events)
            ],
        )
    store.close()
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_real_db(tmp_path_factory.mktemp("real") / "real.db")


def copy_of(real_db: Path, path: Path, keep: int | None = None) -> Path:
    data = real_db.read_bytes()
    path.write_bytes(data if keep is None else data[:keep])
    return path


def damaged_files(tmp: Path, real_db: Path) -> dict[str, Path]:
    size = real_db.stat().st_size
    assert size > 20 * PAGE
    random_bytes = tmp / "random.db"
    random_bytes.write_bytes(random.Random(1).randbytes(64 * 1024))
    text = tmp / "text.db"
    text.write_text("account_id,seq\n12345678,1\n" * 500)
    sqlite_header_only = tmp / "header.db"
    sqlite_header_only.write_bytes(real_db.read_bytes()[:100])
    return {
        "random bytes": random_bytes,
        "text file": text,
        "first 100 bytes of a database": sqlite_header_only,
        "first 50 bytes of a database": copy_of(real_db, tmp / "fifty.db", 50),
        "first 3 pages of a database": copy_of(real_db, tmp / "three.db", 3 * PAGE),
        "half a database": copy_of(real_db, tmp / "half.db", size // 2),
        "a database less its last page": copy_of(real_db, tmp / "minus1.db", size - PAGE),
        "a database cut inside a page": copy_of(real_db, tmp / "odd.db", size - 1000),
    }


DAMAGED_KINDS = [
    "random bytes",
    "text file",
    "first 100 bytes of a database",
    "first 50 bytes of a database",
    "first 3 pages of a database",
    "half a database",
    "a database less its last page",
    "a database cut inside a page",
]


@pytest.mark.parametrize("kind", DAMAGED_KINDS)
def test_damaged_file_is_refused_at_open(tmp_path: Path, real_db: Path, kind: str) -> None:
    path = damaged_files(tmp_path, real_db)[kind]
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        open_store(str(path))
    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert DAMAGED in message and repr(str(path)) in message, message
    assert "restore" in message and "--db" in message, message
    assert not isinstance(caught.value.__cause__, StoreError)


def test_the_real_database_itself_opens(tmp_path: Path, real_db: Path) -> None:
    store = open_store(str(copy_of(real_db, tmp_path / "copy.db")))
    assert store.account_ids() == ["acc0", "acc1"]
    assert len(store.read_after("acc0", 0)) == 5000


def test_empty_file_is_a_new_database(tmp_path: Path) -> None:
    """Zero bytes is how SQLite (and `touch`) spell a new database: not an error."""
    path = tmp_path / "empty.db"
    path.touch()
    store = open_store(str(path))
    assert store.account_ids() == []
    store.close()


def test_damage_inside_the_file_is_reported_clearly_when_read(
    tmp_path: Path, real_db: Path
) -> None:
    """Opening stays cheap (no full quick_check: start-up reads the events anyway), so
    garbage in pages the header does not cover is found by the first read, which says so
    in the same words as open does."""
    path = copy_of(real_db, tmp_path / "garbled.db")
    data = bytearray(path.read_bytes())
    pages = len(data) // PAGE
    rng = random.Random(2)
    for page in range(pages // 3, 2 * pages // 3):
        data[page * PAGE : (page + 1) * PAGE] = rng.randbytes(PAGE)
    path.write_bytes(bytes(data))
    store = open_store(str(path))
    with pytest.raises(StoreError, match=DAMAGED):
        for account in store.account_ids():
            store.read_after(account, 0)


def test_sqlite_file_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT)")
    db.commit()
    db.close()
    with pytest.raises(StoreError) as caught:
        open_store(str(path))
    message = str(caught.value)
    assert "not an agentactivity database" in message and "table events" in message, message


# --- locks held by another process -------------------------------------------------------

HOLDER = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
for statement in sys.argv[2:]:
    db.execute(statement).fetchall()
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def lock_holder() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Run statements on a database in another process and keep it open (and any
    transaction in progress) until the test ends."""
    started: list[subprocess.Popen[str]] = []

    def hold(path: Path, *statements: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path), *statements],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        started.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "held", proc.stderr.read() if proc.stderr else line
        return proc

    yield hold
    for proc in started:
        proc.kill()
        proc.wait(timeout=10)


def rollback_journal_db(path: Path) -> Path:
    """An agentactivity database switched back to a rollback journal, where an exclusive
    transaction locks readers out too (as another tool may leave it)."""
    make_real_db(path, accounts=1, events=10)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    return path


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(sqlite_module, "BUSY_TIMEOUT_S", 0.5)
    return 0.5


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(
            lambda p: rollback_journal_db(p),
            id="rollback-journal db, BEGIN EXCLUSIVE",
        ),
        pytest.param(lambda p: p, id="new file, BEGIN EXCLUSIVE"),
    ],
)
def test_exclusive_transaction_of_another_process_gives_locked_error(
    tmp_path: Path,
    lock_holder: Callable[..., subprocess.Popen[str]],
    short_busy_timeout: float,
    setup: Callable[[Path], Path],
) -> None:
    path = setup(tmp_path / "locked.db")
    lock_holder(path, "BEGIN EXCLUSIVE")
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        open_store(str(path))
    elapsed = time.monotonic() - started
    assert short_busy_timeout <= elapsed + 0.1 and elapsed < short_busy_timeout + 2
    message = str(caught.value)
    assert LOCKED in message and "waited 0.5 s" in message, message
    assert "Stop the program that holds it" in message, message


def test_exclusive_locking_mode_of_another_process_gives_locked_error(
    tmp_path: Path,
    real_db: Path,
    lock_holder: Callable[..., subprocess.Popen[str]],
    short_busy_timeout: float,
) -> None:
    """In WAL mode only `locking_mode=EXCLUSIVE` locks readers out."""
    path = copy_of(real_db, tmp_path / "wal.db")
    lock_holder(path, "PRAGMA locking_mode=EXCLUSIVE", "BEGIN EXCLUSIVE", "COMMIT")
    started = time.monotonic()
    with pytest.raises(StoreError, match=LOCKED):
        open_store(str(path))
    assert time.monotonic() - started < short_busy_timeout + 2


def test_another_writer_in_wal_mode_does_not_stop_the_open(
    tmp_path: Path, real_db: Path, lock_holder: Callable[..., subprocess.Popen[str]]
) -> None:
    """Processes share the store (e.g. `keys create` while serving): a write transaction
    of another process must not keep this one from opening or reading."""
    path = copy_of(real_db, tmp_path / "shared.db")
    lock_holder(path, "BEGIN EXCLUSIVE", "UPDATE accounts SET created_at = created_at")
    started = time.monotonic()
    store = open_store(str(path))
    assert len(store.read_after("acc1", 0)) == 5000
    assert time.monotonic() - started < 2
    store.close()


# --- paths and URLs ----------------------------------------------------------------------


def test_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "folder" / "x.db"
    with pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{path}")
    message = str(caught.value)
    assert "does not exist" in message and str(tmp_path / "no" / "such" / "folder") in message
    assert "create it" in message
    assert not (tmp_path / "no").exists()


def test_folder_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for url in (str(folder), f"sqlite:///{folder}"):
        with pytest.raises(StoreError) as caught:
            open_store(url)
        message = str(caught.value)
        assert "it is a folder, not a file" in message, message
        assert str(folder / "agentactivity.db") in message, message
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sqlite://host/x", "write sqlite:///relative/file.db"),
        ("sqlite://", "write sqlite:///relative/file.db"),
        ("", "path is empty: give a file"),
        ("sqlite:///", "path is empty: give a file"),
        ("postgresql://user@127.0.0.1:1/agentactivity", "cannot connect to PostgreSQL"),
    ],
)
def test_bad_url(url: str, words: str) -> None:
    with pytest.raises(StoreError, match=words):
        open_store(url)


# --- `agentactivity serve` on the same -----------------------------------------------------

SERVE_TIMEOUT_S = 20.0


def serve_fails(db: str, cwd: Path, within_s: float) -> str:
    """Run `serve` on `db`: it must exit non-zero within `within_s` with one error line."""
    started = time.monotonic()
    try:
        result = run_cli(
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(free_port()),
            "--db",
            db,
            cwd=cwd,
            timeout=SERVE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`agentactivity serve --db {db}` still ran after {SERVE_TIMEOUT_S} s")
    elapsed = time.monotonic() - started
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    # Structured log lines (JSON objects) may come first; the error is one plain line.
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("{")]
    assert len(lines) == 1 and lines[0].startswith("agentactivity: error: "), result.stderr
    assert elapsed < within_s, f"took {elapsed:.1f} s"
    return lines[0]


@pytest.mark.parametrize(
    "kind",
    [
        "random bytes",
        "text file",
        "half a database",
        "first 3 pages of a database",
        "a database cut inside a page",
    ],
)
def test_serve_on_damaged_file(tmp_path: Path, real_db: Path, kind: str) -> None:
    path = damaged_files(tmp_path, real_db)[kind]
    before = path.read_bytes()
    line = serve_fails(str(path), tmp_path, within_s=10)
    assert DAMAGED in line, line
    assert path.read_bytes() == before  # refused without writing to it
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


def test_serve_on_database_locked_by_another_process(
    tmp_path: Path, lock_holder: Callable[..., subprocess.Popen[str]]
) -> None:
    path = rollback_journal_db(tmp_path / "locked.db")
    lock_holder(path, "BEGIN EXCLUSIVE")
    line = serve_fails(f"sqlite:///{path}", tmp_path, within_s=sqlite_module.BUSY_TIMEOUT_S + 8)
    assert LOCKED in line, line


@pytest.mark.parametrize(
    ("db", "words"),
    [
        ("{tmp}/missing/x.db", "does not exist"),
        ("{tmp}", "it is a folder, not a file"),
        ("sqlite://host/x", "write sqlite:///relative/file.db"),
        ("", "path is empty"),
    ],
)
def test_serve_on_bad_path_or_url(tmp_path: Path, db: str, words: str) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    line = serve_fails(db.format(tmp=tmp_path), workdir, within_s=10)
    assert words in line, line
    assert list(workdir.iterdir()) == []  # no stray default database created


def test_serve_on_file_damaged_inside(tmp_path: Path, real_db: Path) -> None:
    path = copy_of(real_db, tmp_path / "garbled.db")
    with path.open("r+b") as f:
        size = os.fstat(f.fileno()).st_size
        f.seek(size // 2 // PAGE * PAGE)
        f.write(random.Random(3).randbytes(size // 4 // PAGE * PAGE))
    line = serve_fails(str(path), tmp_path, within_s=10)
    assert DAMAGED in line, line


def test_ingest_into_a_locked_database_is_a_503_and_stores_nothing(tmp_path: Path) -> None:
    """Another process holding the write lock: the batch is refused with 503 Retry-After,
    not a 500, and a retry after the lock is gone succeeds."""
    from starlette.testclient import TestClient

    from agentactivity.api.app import create_app
    from agentactivity.credentials import new_credentials
    from agentactivity.service import ActivityService
    from agentactivity.settings import Settings
    from agentactivity.store import sqlite as sqlite_store
    from tests.conftest import OAuth1Auth

    path = tmp_path / "busy.db"
    store = sqlite_store.SQLiteStore(str(path), busy_timeout_s=0.2)  # fail fast, not in 5 s
    credentials = new_credentials("1", ("read", "ingest"))
    store.add_credentials(credentials)
    service = ActivityService(store, Settings(db_url=str(path)))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # holds the write lock
    now = int(time.time() * 1000)
    batch = [{"type": "state", "agentId": 1, "time": now, "state": "ONLINE"}]
    try:
        with TestClient(create_app(service)) as client:
            answer = client.post("/api/account/1/events", json=batch, auth=OAuth1Auth(credentials))
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "1"
            assert "locked" in answer.json()["message"]
            holder.execute("ROLLBACK")
            answer = client.post("/api/account/1/events", json=batch, auth=OAuth1Auth(credentials))
            assert answer.json() == {"accepted": 1, "duplicates": 0}
    finally:
        holder.close()
        store.close()
