"""`agentactivity export` / `import`: SQLite -> PostgreSQL -> SQLite keeps every event, in
arrival order, and every figure; re-imports are all duplicates; a bad line stores nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
from typer.testing import CliRunner

from agentactivity.cli import app
from agentactivity.events import TimeBounds, parse_batch
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.simulate import Simulator
from agentactivity.store import open_store
from tests.conftest import FakeClock

HOUR = 3_600_000
START = 1_790_000_000_000
NOW = START + 24 * HOUR + 161_803
ACCOUNT = "12345678"
WIDE = TimeBounds(-(2**63), 2**63 - 1)
QUERIES = [
    ActivityQuery(1440, None, 1, 60, START + 24 * HOUR, True),
    ActivityQuery(600, None, 2, 30, START + 20 * HOUR, True),
    ActivityQuery(60, (1001, 1003, 1010), 1, 5, START + 12 * HOUR, False),
    ActivityQuery(180, None, 1, None, START + 9 * HOUR, True),
]
AGENTCTL = str(Path(sys.executable).with_name("agentactivity"))
runner = CliRunner()


def fill(url: str) -> int:
    """A simulated day of 30 agents, ingested hour by hour (late events and all)."""
    simulator = Simulator(agents=30, seed=7, start_ms=START)
    settings = Settings(db_url=url, retention_days=30)
    service = ActivityService(open_store(url), settings, clock=FakeClock(NOW))
    for hour in range(1, 25):
        events, problems = parse_batch(simulator.events_until(START + hour * HOUR), WIDE)
        assert not problems
        service.ingest(ACCOUNT, events)
    total = service.store.last_seq(ACCOUNT)
    service.store.close()
    return total


def answers(url: str) -> list[object]:
    store = open_store(url)
    service = ActivityService(store, Settings(db_url=url, retention_days=30), FakeClock(NOW))
    try:
        service.load()
        return [service.agent_activity(ACCOUNT, query, NOW) for query in QUERIES]
    finally:
        store.close()


def cli(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def export(url: str, path: Path) -> bytes:
    code, output = cli("export", "--account", ACCOUNT, "--db", url, "--output", str(path))
    assert code == 0, output
    return path.read_bytes()


def test_sqlite_to_postgres_to_sqlite_keeps_events_order_and_figures(
    tmp_path: Path, postgres_url: str
) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    total = fill(source)
    assert total > 3000
    first = export(source, tmp_path / "first.ndjson")
    lines = first.splitlines()
    assert len(lines) == total
    assert orjson.loads(lines[0])["eventId"]

    code, output = cli(
        "import",
        "--account",
        ACCOUNT,
        "--db",
        postgres_url,
        "--input",
        str(tmp_path / "first.ndjson"),
    )
    assert code == 0, output
    assert f"Imported {total}, duplicates 0" in output
    assert export(postgres_url, tmp_path / "second.ndjson") == first
    expected = answers(source)
    assert answers(postgres_url) == expected

    target = f"sqlite:///{tmp_path / 'target.db'}"
    code, output = cli(
        "import",
        "--account",
        ACCOUNT,
        "--db",
        target,
        "--input",
        str(tmp_path / "second.ndjson"),
        "--batch",
        "333",
    )
    assert code == 0, output
    assert export(target, tmp_path / "third.ndjson") == first
    assert answers(target) == expected

    # Again: every event is a duplicate, nothing changes.
    code, output = cli(
        "import",
        "--account",
        ACCOUNT,
        "--db",
        postgres_url,
        "--input",
        str(tmp_path / "first.ndjson"),
    )
    assert code == 0, output
    assert f"Imported 0, duplicates {total}" in output
    assert export(postgres_url, tmp_path / "fourth.ndjson") == first


def test_an_invalid_line_refuses_the_whole_import(tmp_path: Path, store_url: str) -> None:
    # A month old and 401 days old: inside and outside the default history of 400 days
    # (the import checks against the real clock; these are far from either edge).
    month_ago = time.time_ns() // 1_000_000 - 30 * 86_400_000
    too_old = month_ago - 371 * 86_400_000
    good = [
        {"type": "state", "agentId": "7", "time": month_ago, "eventId": "a", "state": "ONLINE"},
        {"type": "max_chats", "agentId": "7", "time": month_ago - 5, "eventId": "b", "maxChats": 3},
    ]
    bad = [
        *(orjson.dumps(event).decode() for event in good),
        f'{{"type": "state", "agentId": "7", "time": {month_ago}, "state": "SLEEPING"}}',
        "not json",
        "",
        f'{{"type": "chat_start", "agentId": 0, "time": {month_ago}, "chatId": "c"}}',
        f'{{"type": "state", "agentId": "7", "time": {too_old}, "state": "ONLINE"}}',
    ]
    path = tmp_path / "bad.ndjson"
    path.write_text("\n".join(bad) + "\n")
    code, output = cli("import", "--account", ACCOUNT, "--db", store_url, "--input", str(path))
    assert code == 2
    assert "line 3: state must be one of" in output
    assert "line 4: not JSON" in output
    assert "line 6: agentId must be between" in output
    assert "line 7: time" in output and "older than the history" in output
    assert "4 invalid lines of 7; nothing was imported" in output
    store = open_store(store_url)
    assert store.last_seq(ACCOUNT) == 0 and store.account_ids() == []
    store.close()

    # Times a month old are fine (history), fields still checked; stdin works.
    ok = "\n".join(orjson.dumps(event).decode() for event in good) + "\n"
    code, output = cli("import", "--account", ACCOUNT, "--db", store_url, stdin=ok)
    assert code == 0, output
    assert "Imported 2, duplicates 0" in output


def test_bad_arguments_and_unknown_accounts(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    code, output = cli("export", "--account", "no way", "--db", db)
    assert code == 2 and "--account 'no way'" in output
    code, output = cli("export", "--account", "404", "--db", db)
    assert code == 2 and "no such account" in output
    code, output = cli("import", "--account", "1", "--db", db, "--input", str(tmp_path / "nope"))
    assert code == 2 and "No such file" in output


def test_the_installed_commands_pipe_end_to_end(tmp_path: Path, postgres_url: str) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    total = fill(source)
    exported = subprocess.run(
        [AGENTCTL, "export", "--account", ACCOUNT, "--db", source],
        capture_output=True,
        check=True,
    )
    assert f"Exported {total} events of account {ACCOUNT} to stdout" in exported.stderr.decode()
    imported = subprocess.run(
        [AGENTCTL, "import", "--account", ACCOUNT, "--db", postgres_url, "--batch", "1000"],
        input=exported.stdout,
        capture_output=True,
        check=True,
    )
    assert f"Imported {total}, duplicates 0" in imported.stderr.decode()
    again = subprocess.run(
        [AGENTCTL, "export", "--account", ACCOUNT, "--db", postgres_url, "--output", "-"],
        capture_output=True,
        check=True,
    )
    assert again.stdout == exported.stdout
    assert answers(postgres_url) == answers(source)
    refused = subprocess.run(
        [AGENTCTL, "import", "--account", ACCOUNT, "--db", postgres_url],
        input=b'{"type": "state"}\n',
        capture_output=True,
    )
    assert refused.returncode == 2
    assert refused.stderr.decode().splitlines()[-1].startswith("agentactivity: error: stdin: 1 ")


def test_many_bad_lines_show_the_first_20_and_a_late_one_stores_nothing(
    tmp_path: Path, store_url: str
) -> None:
    month_ago = time.time_ns() // 1_000_000 - 30 * 86_400_000
    good = [
        orjson.dumps(
            {
                "type": "state",
                "agentId": "7",
                "time": month_ago + i,
                "eventId": f"e{i}",
                "state": "ONLINE" if i % 2 else "AWAY",
            }
        ).decode()
        for i in range(50)
    ]
    path = tmp_path / "late.ndjson"
    # Good lines for many batches, then one bad line: the batches before it are not stored.
    path.write_text("\n".join([*good, '{"type": "state"}']) + "\n")
    args = ("import", "--account", ACCOUNT, "--db", store_url, "--batch", "5")
    code, output = cli(*args, "--input", str(path))
    assert code == 2
    assert "line 51: agentId is required" in output
    assert "1 invalid lines of 51; nothing was imported" in output

    many = "\n".join(line if i % 2 else "{" for i, line in enumerate(good)) + "\n"
    code, output = cli(*args, stdin=many)
    assert code == 2
    assert output.count("stdin: line ") == 20
    assert "stdin: line 39: not JSON" in output and "line 41:" not in output
    assert "stdin: 25 invalid lines of 50 (first 20 shown); nothing was imported" in output
    store = open_store(store_url)
    assert store.account_ids() == []
    store.close()


def test_an_export_piped_back_through_stdin_is_the_same_bytes(
    tmp_path: Path, store_url: str
) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    total = fill(source)
    first = export(source, tmp_path / "first.ndjson")
    args = ("import", "--account", ACCOUNT, "--db", store_url, "--batch", "777")
    code, output = cli(*args, stdin=first.decode())
    assert code == 0, output
    assert f"Imported {total}, duplicates 0" in output
    assert export(store_url, tmp_path / "second.ndjson") == first
    code, output = cli(*args, stdin=first.decode())
    assert f"Imported 0, duplicates {total}" in output
