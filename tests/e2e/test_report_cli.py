"""`agentactivity report` (SPEC section 9): CSV and Parquet files with the API's figures on
Berlin's 25-hour day, read back with the csv module and with pyarrow; its --help; bad
arguments one line and exit code 2.

The files are made in process with the clock pinned after the day (tests/report_world.py);
the refusals, which do not depend on the date, run the real command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from agentactivity import clock
from agentactivity.cli import app
from agentactivity.reports import COLUMNS
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import open_store
from tests.conftest import ACCOUNT, FakeClock
from tests.e2e.conftest import cli_env, run_cli
from tests.report_world import (
    BERLIN,
    FALL_DAY,
    FALL_NOW,
    STEADY,
    api_lines,
    assert_same_figures,
    day_range,
    keyed,
    read_csv,
    seed_world,
)
from tests.teams import ANN, BOB

pytestmark = pytest.mark.e2e
DAY = ["--from", "2026-10-25", "--to", "2026-10-26", "--tz", BERLIN]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'world.db'}"
    store = open_store(url)
    seed_world(
        ActivityService(store, Settings(db_url=url), clock=FakeClock(FALL_NOW)),
        ACCOUNT,
        FALL_DAY,
        FALL_NOW,
    )
    store.close()
    return url


@pytest.fixture(scope="module")
def service(db: str) -> Iterator[ActivityService]:
    store = open_store(db)
    yield ActivityService(store, Settings(db_url=db), clock=FakeClock(FALL_NOW))
    store.close()


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's "now": a little after the day (it reads clock.now_ms when it runs)."""
    monkeypatch.setattr(clock, "now_ms", lambda: FALL_NOW)


def report(db: str, *args: str) -> tuple[str, str]:
    """(stdout, stderr) of the command, run in process."""
    result = CliRunner().invoke(app, ["report", "--account", ACCOUNT, "--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


@pytest.mark.usefixtures("pinned")
@pytest.mark.parametrize("interval", [15, 60])
def test_csv_and_parquet_have_the_apis_figures(
    db: str, service: ActivityService, tmp_path: Path, interval: int
) -> None:
    csv_file, parquet_file = tmp_path / "day.csv", tmp_path / "day.parquet"
    said = report(db, *DAY, "--interval", str(interval), "--output", str(csv_file))
    assert f"to {csv_file}" in said[1]
    report(db, *DAY, "--interval", str(interval), "--output", str(parquet_file))
    assert not list(tmp_path.glob("*.partial"))

    rows = read_csv(csv_file.read_text(encoding="utf-8"))
    intervals = {15: 100, 60: 25}[interval]
    assert len({row["intervalStart"] for row in rows}) == intervals
    span = day_range(service, FALL_DAY, interval, FALL_NOW)
    api, listed = api_lines(service, ACCOUNT, span, FALL_NOW)
    assert_same_figures(keyed(rows), api, listed)

    parquet = pq.ParquetFile(parquet_file)
    assert parquet.metadata.num_row_groups == 1  # one a day
    table = parquet.read()
    assert tuple(table.schema.names) == COLUMNS
    types = {field.name: field.type for field in table.schema}
    assert types["agentId"] == types["totalSeconds"] == types["agentGroupId"] == pa.int64()
    assert types["intervalStart"] == pa.timestamp("ms", tz=BERLIN)
    assert types["agentName"] == types["reasonId"] == pa.string()
    from_parquet = table.to_pylist()
    for row in from_parquet:
        row["intervalStart"] = row["intervalStart"].isoformat()
    assert keyed(from_parquet) == keyed(rows)
    # The same rows in the same order; empty cells are nulls there.
    as_text = [
        {name: "" if value is None else str(value) for name, value in row.items()}
        for row in from_parquet
    ]
    assert as_text == rows


@pytest.mark.usefixtures("pinned")
def test_groups_by_name_path_agents_and_stdout(db: str, tmp_path: Path) -> None:
    stdout, _ = report(db, *DAY, "--interval", "1440", "--groups", "sales", "--output", "-")
    rows = read_csv(stdout)
    assert {int(row["agentId"]) for row in rows} == {ANN, BOB}
    out = tmp_path / "steady.csv"
    report(
        db,
        *DAY,
        "--interval",
        "60",
        "--agents",
        str(STEADY),
        "--format",
        "csv",
        "--output",
        str(out),
    )
    assert {row["agentId"] for row in read_csv(out.read_text())} == {str(STEADY)}


def test_help_teaches_with_examples(tmp_path: Path) -> None:
    result = run_cli("report", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for words in (
        "Examples:",
        "--tz Europe/Berlin",
        "--interval",
        "parquet",
        "exclusive",
        "23 or 25",
        "intervalStart",
    ):
        assert words in result.stdout, words


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--tz", "Mars/Olympus"], "--tz: 'Mars/Olympus' is not a time zone"),
        (["--tz", "europe/berlin"], "did you mean 'Europe/Berlin'?"),
        (["--from", "25.10.2026"], "--from: must be a date as YYYY-MM-DD"),
        (["--to", "2026-10-25"], "--to: must be after from"),
        (["--from", "1900-01-01"], "--from: 1900-01-01 is before the history"),
        (["--interval", "45"], "--interval: must be one of 15, 30, 60, 1440"),
        (["--agents", "1,x"], "--agents: 'x' is not a numeric agent id"),
        (["--output", "-", "--format", "parquet"], "Parquet cannot go to stdout"),
        (["--account", "no such!"], "--account 'no such!'"),
        (["--account", "99999999"], "--account 99999999: no such account"),
        (["--groups", "Nowhere/Team"], "--groups: no agent group 'Nowhere/Team'"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    db: str, tmp_path: Path, args: list[str], words: str
) -> None:
    given = {
        "--account": ACCOUNT,
        "--from": "2026-10-25",
        "--to": "2026-10-26",
        "--tz": BERLIN,
        "--interval": "60",
        "--output": str(tmp_path / "r.csv"),
        "--db": db,
    }
    pairs = dict(zip(args[::2], args[1::2]))
    given.update(pairs)
    # A history of a century: the day of the world stays in it whenever this runs.
    env = cli_env(AGENTACTIVITY_HISTORY_DAYS="36500")
    argv = [item for pair in given.items() for item in pair]
    result = run_cli("report", *argv, cwd=tmp_path, env=env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agentactivity: error: "), result.stderr
    assert words in lines[0], lines[0]
    assert not (tmp_path / "r.csv").exists()
