"""`agentactivity agents import` / `agents export` on each backend: a file exported,
imported into an empty database and exported again is the same file (the tree of teams
rebuilt from the name paths); a file with a bad row stores nothing; a second run
changes nothing; an update touches only the file's columns; an import stopped by a
change made meanwhile keeps what it wrote, and running it again finishes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentactivity.cli import app
from agentactivity.directory import AgentGroup, User
from agentactivity.directory_csv import read_users
from agentactivity.directory_items import Change
from agentactivity.directory_plan import plan_import
from agentactivity.service.directory_import import ImportStopped, apply_plan, read_directory
from agentactivity.store import open_store

ACCOUNT = "12345678"
PEOPLE = (
    "\ufeffid,loginName,fullName,nickname,employeeId,isEnabled,maxChats,skillIds,"
    "agentGroupId,externalIds\r\n"
    '1003,cy@example.com,"Cy ""CJ"" Smith",CJ,EMP-01003,FALSE,0,,Sales/Tier 2,\r\n'
    '1001,ann@example.com,"Lee, Ann",Ann,EMP-01001,true,3,7;2,Sales,'
    "twilio=WK1;connect=arn:aws:connect:eu:1:instance/x/agent/a\\;b\r\n"
    "1002,bo@example.com,Bo Chen,,EMP-01002,,,, sales / TIER 2 ,\r\n"
    "1004,dee@example.com,,,,,,,R\\/D/2024,\r\n"
    "1005,eve@example.com,,,,,,,,\r\n"
    "1006,fay@example.com,,,,,,,/2024,\r\n"
)
runner = CliRunner()


def cli(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def export(url: str) -> str:
    """The CSV `agents export` writes to stdout (the runner adds stderr's summary)."""
    code, output = cli("agents", "export", "--account", ACCOUNT, "--db", url, "--output", "-")
    assert code == 0, output
    text, summary = output.rsplit("Exported ", 1)
    users = len(text.splitlines()) - 1  # the header
    assert summary == f"{users} users of account {ACCOUNT} to stdout\n"
    return text


def import_file(url: str, path: Path, *more: str) -> tuple[int, str]:
    return cli("agents", "import", "--account", ACCOUNT, "--db", url, *more, str(path))


def test_export_import_export_gives_the_same_file(store_url: str, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, newline="")
    code, output = import_file(store_url, people, "--batch", "2")
    assert code == 0, output
    assert f"{people}: 6 created, 0 updated, 0 unchanged; 5 groups created" in output
    first = export(store_url)
    assert first.splitlines() == [
        "id,loginName,fullName,nickname,employeeId,isEnabled,maxChats,skillIds,agentGroupId,"
        "externalIds",
        '1001,ann@example.com,"Lee, Ann",Ann,EMP-01001,true,3,2;7,Sales,'
        "connect=arn:aws:connect:eu:1:instance/x/agent/a\\;b;twilio=WK1",
        "1002,bo@example.com,Bo Chen,,EMP-01002,true,,,Sales/Tier 2,",
        '1003,cy@example.com,"Cy ""CJ"" Smith",CJ,EMP-01003,false,0,,Sales/Tier 2,',
        "1004,dee@example.com,,,,true,,,R\\/D/2024,",
        "1005,eve@example.com,,,,true,,,,",
        "1006,fay@example.com,,,,true,,,/2024,",
    ]
    # Into an empty database, through a pipe: the same file, the same tree.
    target = f"sqlite:///{tmp_path / 'target.db'}"
    code, output = cli("agents", "import", "--account", ACCOUNT, "--db", target, "-", stdin=first)
    assert code == 0, output
    assert "stdin: 6 created, 0 updated, 0 unchanged; 5 groups created" in output
    assert export(target) == first
    trees = []
    for url in (store_url, target):
        store = open_store(url)
        _, groups = store.directory.groups.listing(ACCOUNT)
        store.close()
        names = {group.id: group.name for group in groups}
        trees.append(sorted((names.get(g.parent_id or "", ""), g.name) for g in groups))
    assert (
        trees[0]
        == trees[1]
        == [
            ("", "Main Group"),
            ("Main Group", "2024"),
            ("Main Group", "R/D"),
            ("Main Group", "Sales"),
            ("R/D", "2024"),
            ("Sales", "Tier 2"),
        ]
    )
    # A second run changes nothing.
    code, output = import_file(store_url, people)
    assert code == 0 and "0 created, 0 updated, 6 unchanged; 0 groups created" in output


def test_a_bad_row_stores_nothing(store_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,loginName,agentGroupId\n1,a,Support/Email\n2,,Sales\n1,c,\n3,d,99\n")
    code, output = import_file(store_url, bad)
    assert code == 2
    assert output.replace(str(bad), "bad.csv").splitlines() == [
        "bad.csv: line 3: loginName: is required",
        "bad.csv: line 4: id: user 1 is also on line 2",
        "bad.csv: line 5: agentGroupId: no agent group 99 in the account (name it by its "
        "path to create it)",
        "agentactivity: error: bad.csv: 3 of 4 rows have problems; nothing was imported "
        "(fix them, then run it again)",
    ]
    missing = tmp_path / "missing.csv"
    code, output = import_file(store_url, missing)
    assert (code, output) == (2, f"agentactivity: error: {missing}: No such file or directory\n")
    store = open_store(store_url)
    assert store.directory.revisions(ACCOUNT) == (0, 0)  # no user, no group
    store.close()


def test_updates_touch_only_the_files_columns_and_restore(store_url: str, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, newline="")
    assert import_file(store_url, people)[0] == 0
    store = open_store(store_url)
    revision, _ = store.directory.users.listing(ACCOUNT)
    store.directory.users.delete(ACCOUNT, [1005], revision)
    store.close()
    nicknames = tmp_path / "nicknames.csv"
    nicknames.write_text(
        "id,loginName,nickname\n1001,ann@example.com,Annie\n1002,bo@example.com,\n1005,eve@example.com,Eve\n"
    )
    code, output = import_file(store_url, nicknames, "--dry-run")
    assert code == 0, output
    assert (
        "0 would be created, 2 would be updated (1 restored), 1 unchanged; 0 groups would "
        "be created (nothing written)" in output
    )
    assert import_file(store_url, nicknames)[0] == 0
    lines = export(store_url).splitlines()
    assert lines[1] == (
        '1001,ann@example.com,"Lee, Ann",Annie,EMP-01001,true,3,2;7,Sales,'
        "connect=arn:aws:connect:eu:1:instance/x/agent/a\\;b;twilio=WK1"
    )
    assert lines[5] == "1005,eve@example.com,,Eve,,true,,,,"


def test_a_stopped_import_keeps_its_writes_and_a_second_run_finishes(
    store_url: str, tmp_path: Path
) -> None:
    text = "id,loginName,agentGroupId\n1,a,Support/Email\n2,b,Sales\n"
    rows, problems, _ = read_users(text.splitlines(keepends=True))
    assert problems == []
    store = open_store(store_url)
    try:
        plan = plan_import(rows, *read_directory(store, ACCOUNT))
        # Someone adds a user after the plan was made: its revision is no longer current.
        store.directory.users.create(ACCOUNT, [Change(User(9, "someone"))])
        with pytest.raises(ImportStopped) as stopped:
            apply_plan(store, ACCOUNT, plan)
        assert stopped.value.message.startswith(
            "line 2: the directory changed while the import ran (someone else wrote it; "
            "If-Match: revision 0 is not the current one"
        )
        assert (stopped.value.done.groups_created, stopped.value.done.created) == (3, 0)
        plan = plan_import(rows, *read_directory(store, ACCOUNT))
        assert (plan.new_groups, len(plan.creates)) == (0, 2)
        done = apply_plan(store, ACCOUNT, plan)
        assert (done.created, done.groups_created) == (2, 0)
        _, users = store.directory.users.listing(ACCOUNT)
        _, groups = store.directory.groups.listing(ACCOUNT)
        by_name = {group.name: group.id for group in groups}
        assert [(u.id, u.group_id) for u in users] == [
            (1, by_name["Email"]),
            (2, by_name["Sales"]),
            (9, "-1"),
        ]
        assert AgentGroup(by_name["Email"], "Email", by_name["Support"]) in groups
    finally:
        store.close()
