"""`agentactivity import` / `export` as real processes: memory independent of the file's
size (SPEC 11), and an import killed while it stores finished by running it again.

Peak memory is the command's own high-water mark (`ru_maxrss` of os.wait4 on its pid),
not a timing: a file ten times larger may not raise it by 50 MB. The check of every
line is measured on ~650,000 events against a tenth of them (a bad last line, so nothing
is stored; the import that held the file for its check grew by 221 MB there); storing
and exporting on ~100,000 against ~10,000 (in batches of 2,000: an import's memory
follows its batch), enough to see a page or a batch kept too many.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentactivity.clock import DAY_MS, HOUR_MS, now_ms
from agentactivity.simulate import Simulator, write_ndjson
from tests.e2e.conftest import cli_command
from tests.store.conftest import BACKENDS, backend_url

ACCOUNT = "12345678"
# A simulated agent makes about 6.4 events an hour.
STORED_AGENTS = 650  # x 24 h: ~100,000 events
CHECKED_AGENTS = 420  # x 240 h: ~650,000 events
MAX_GROWTH_BYTES = 50 * 1024 * 1024
BATCH = 2_000  # events per transaction when storing: the small file makes 5 batches
BAD_LINE = b'{"type": "nap", "agentId": "1", "time": 0}\n'


def simulated_file(path: Path, agents: int, hours: int = 24) -> int:
    """Realistic events of `agents` over `hours` ending a day ago (inside any history),
    as NDJSON, written hour by hour; how many."""
    end = now_ms() - DAY_MS
    start = end - hours * HOUR_MS
    simulator = Simulator(agents=agents, seed=11, start_ms=start)
    count = 0
    with path.open("w") as stream:
        for hour in range(1, hours + 1):
            count += write_ndjson(simulator.events_until(start + hour * HOUR_MS), stream)
    return count


def head(source: Path, target: Path, lines: int) -> None:
    with source.open("rb") as read, target.open("wb") as write:
        for _ in range(lines):
            write.write(read.readline())


# Spawns the command and writes its peak RSS (KiB) to argv[1]. Linux keeps the high-water
# mark of the process that spawned a child across its exec, so the command must be
# spawned by this small process, not by the test's large one (or it would measure that).
WRAPPER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def peak_rss(tmp_path: Path, *args: str, code: int = 0) -> tuple[int, str]:
    """Run `agentactivity ARGS`; its peak resident bytes and its stderr (it must exit
    with `code`)."""
    usage = tmp_path / "usage"
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(usage), *cli_command(), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    errors = done.stderr.decode()
    assert done.returncode == code, errors
    return int(usage.read_text()) * 1024, errors  # Linux counts ru_maxrss in KiB


def test_checking_a_file_ten_times_larger_takes_no_more_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.ndjson"
    total = simulated_file(big, CHECKED_AGENTS, hours=240)
    assert total > 500_000
    small = tmp_path / "small.ndjson"
    head(big, small, total // 10)
    peaks = []
    for path, lines in ((small, total // 10), (big, total)):
        with path.open("ab") as stream:
            stream.write(BAD_LINE)
        db = tmp_path / f"{path.stem}.db"
        args = ("import", "--account", ACCOUNT, "--db", str(db), "--input", str(path))
        rss, errors = peak_rss(tmp_path, *args, code=2)
        assert f"line {lines + 1}: type must be one of" in errors
        assert f"1 invalid lines of {lines + 1}; nothing was imported" in errors
        assert not db.exists()  # not even opened: nothing stored
        peaks.append(rss)
    assert peaks[1] - peaks[0] < MAX_GROWTH_BYTES, peaks


@pytest.mark.parametrize("backend", BACKENDS)
def test_storing_and_exporting_ten_times_more_take_no_more_memory(
    tmp_path: Path, backend: str
) -> None:
    big = tmp_path / "big.ndjson"
    total = simulated_file(big, STORED_AGENTS)
    assert total > 80_000
    small = tmp_path / "small.ndjson"
    head(big, small, total // 10)

    peaks = {}
    for name, path, count in (("small", small, total // 10), ("big", big, total)):
        folder = tmp_path / name
        folder.mkdir()
        with backend_url(backend, folder) as db:
            peaks[name] = import_and_export(tmp_path, db, name, path, count)

    (import_small, export_small), (import_big, export_big) = peaks["small"], peaks["big"]
    assert import_big - import_small < MAX_GROWTH_BYTES, peaks
    assert export_big - export_small < MAX_GROWTH_BYTES, peaks


def import_and_export(
    tmp_path: Path, db: str, name: str, path: Path, count: int
) -> tuple[int, int]:
    """Peak resident bytes of `import` of `path` into `db`, then of `export` of it (which
    must give the file back as it was)."""
    # Memory follows the batch (about 1 KB an event, the default 50,000 included),
    # never the file: with batches smaller than both files, the two must match.
    rss, errors = peak_rss(
        tmp_path,
        "import",
        "--account",
        ACCOUNT,
        "--db",
        db,
        "--input",
        str(path),
        "--batch",
        str(BATCH),
    )
    assert f"Imported {count}, duplicates 0" in errors
    exported = tmp_path / f"{name}.out.ndjson"
    out_rss, errors = peak_rss(
        tmp_path, "export", "--account", ACCOUNT, "--db", db, "--output", str(exported)
    )
    assert f"Exported {count} events" in errors
    assert exported.read_bytes() == path.read_bytes()
    return rss, out_rss


def stored(path: Path) -> int:
    """The account's last sequence as the import has committed it so far (0 before)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            rows = db.execute("SELECT last_seq FROM accounts WHERE account_id = ?", (ACCOUNT,))
            found = rows.fetchall()
    except sqlite3.Error:
        return 0  # not created or migrated yet
    return int(found[0][0]) if found else 0


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_an_import_stopped_while_storing_is_finished_by_running_it_again(
    tmp_path: Path, stop: signal.Signals
) -> None:
    source = tmp_path / "day.ndjson"
    total = simulated_file(source, 130)
    db_path = tmp_path / "target.db"
    command = [*cli_command(), "import", "--account", ACCOUNT, "--db", str(db_path)]
    # Small batches: many commits, so that the signal lands between two of them.
    first = [*command, "--input", str(source), "--batch", "50"]
    log = tmp_path / "first.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(first, stderr=stderr, stdout=subprocess.DEVNULL)
        while stored(db_path) == 0 and process.poll() is None:
            time.sleep(0.002)
        process.send_signal(stop)
        code = process.wait()
    errors = log.read_text()
    before = stored(db_path)
    assert 0 < before < total, "the import was not stopped while it stored"
    if stop == signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:
        assert code == 130
        assert "interrupted after" in errors and "run the same import again" in errors

    # Again, through stdin this time: the rest is stored, nothing twice.
    with source.open("rb") as stdin:
        again = subprocess.run(command, stdin=stdin, capture_output=True, check=True)
    after = stored(db_path)
    assert f"Imported {total - before}, duplicates {before}" in again.stderr.decode()
    assert after == total
    exported = subprocess.run(
        [*cli_command(), "export", "--account", ACCOUNT, "--db", str(db_path)],
        capture_output=True,
        check=True,
    )
    assert exported.stdout == source.read_bytes()
