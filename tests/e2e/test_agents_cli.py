"""`agentactivity agents import` / `export` as real processes: a spreadsheet's CSV
(byte order mark, CRLF) piped in, the file written by `--output`, and a bad file
refused with exit code 2, its problems on stderr and nothing on stdout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import CLI_TIMEOUT_S, cli_command, cli_env, run_cli, sqlite_url

pytestmark = pytest.mark.e2e

SPREADSHEET = (
    "\ufeffid,loginName,fullName,employeeId,agentGroupId\r\n"
    "1001,ann@example.com,Ann Lee,EMP-01001,Sales/Tier 2\r\n"
    "1002,bo@example.com,Bo Chen,EMP-01002,Support\r\n"
).encode()


def pipe(*args: str, stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*cli_command(), *args],
        cwd=cwd,
        env=cli_env(),
        input=stdin,
        capture_output=True,
        timeout=CLI_TIMEOUT_S,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def test_import_from_a_pipe_then_export_to_a_file(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "people.db")
    imported = pipe(
        "agents", "import", "--account", "42", "--db", db, "-", stdin=SPREADSHEET, cwd=tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    assert "stdin: 2 created, 0 updated, 0 unchanged; 3 groups created" in imported.stderr
    exported = run_cli(
        "agents", "export", "--account", "42", "--db", db, "--output", "people.csv", cwd=tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == ""
    assert exported.stderr.strip() == "Exported 2 users of account 42 to people.csv"
    assert (tmp_path / "people.csv").read_text() == (
        "id,loginName,fullName,nickname,employeeId,isEnabled,maxChats,skillIds,agentGroupId,"
        "externalIds\n"
        "1001,ann@example.com,Ann Lee,,EMP-01001,true,,,Sales/Tier 2,\n"
        "1002,bo@example.com,Bo Chen,,EMP-01002,true,,,Support,\n"
    )
    assert not (tmp_path / "people.csv.partial").exists()


def test_a_bad_file_is_exit_code_2_with_every_problem(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "people.db")
    bad = b"id,loginName,isEnabled\n1,ann,yes\nx,bo,\n"
    result = pipe("agents", "import", "--account", "42", "--db", db, "-", stdin=bad, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        'stdin: line 2: isEnabled: must be true or false (or "true"/"false")',
        "stdin: line 3: id: must be a whole number from 1 to 9223372036854775807 or a "
        "string of its digits (the agent id of the events)",
        "agentactivity: error: stdin: 2 of 2 rows have problems; nothing was imported "
        "(fix them, then run it again)",
    ]
