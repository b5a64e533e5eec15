"""Users as CSV (directory_csv.py): the cells of every field, lists and objects in one
cell, group name paths, escapes, a header matched ignoring case, every problem of a row
named by its column with its line, and files that read back as the same users."""

from __future__ import annotations

import dataclasses
import io

import pytest

from agentactivity.directory import AgentGroup, DirectorySnapshot, User
from agentactivity.directory_csv import (
    COLUMNS,
    RowProblem,
    UserRow,
    find_group,
    group_path,
    join_escaped,
    read_users,
    split_escaped,
    write_users,
)

HEADER = ",".join(COLUMNS)


def read(text: str) -> tuple[list[UserRow], list[str], int]:
    rows, problems, count = read_users(io.StringIO(text, newline=""))
    return rows, [str(problem) for problem in problems], count


@pytest.mark.parametrize(
    "parts",
    [["a"], ["a", "b"], ["", "x"], ["a;b", "c\\d", "e\\;"], ["ends with \\"], ["=;=", "\\\\"]],
)
def test_escaped_parts_split_back_as_written(parts: list[str]) -> None:
    cell = join_escaped(parts, ";")
    assert split_escaped(cell, ";") == parts


def test_a_lone_backslash_at_the_end_stays() -> None:
    assert split_escaped("a\\", "/") == ["a\\"]
    assert split_escaped("a\\b/c", "/") == ["ab", "c"]


def test_a_full_row() -> None:
    rows, problems, count = read(
        f"{HEADER}\n"
        "1001,ann@example.com,Ann Lee,Ann,EMP-01001,FALSE,3, 7 ;2,Sales/Tier 2,"
        "twilio=WK1;connect=arn:aws:connect:x/agent\\;9;\n"
    )
    assert (problems, count) == ([], 1)
    (row,) = rows
    assert row.line == 2 and row.path == ("Sales", "Tier 2")
    assert row.columns == frozenset(COLUMNS)
    assert row.user == User(
        1001,
        "ann@example.com",
        "Ann Lee",
        "Ann",
        "EMP-01001",
        False,
        3,
        (2, 7),
        "-1",  # until the path is resolved
        None,
        (("connect", "arn:aws:connect:x/agent;9"), ("twilio", "WK1")),
    )


def test_empty_cells_are_the_defaults_and_the_header_is_read_loosely() -> None:
    rows, problems, _ = read(" ID ,LOGINNAME,isenabled,agentGroupId,nickname\n 7 ,bo,,,\n")
    assert problems == []
    (row,) = rows
    assert row.user == User(7, "bo")
    assert row.path is None
    assert row.columns == {"id", "loginName", "isEnabled", "agentGroupId", "nickname"}


@pytest.mark.parametrize(
    ("cell", "group", "path"),
    [
        ("7", "7", None),
        ("-1", "-1", None),
        ("/", "-1", ()),
        (" Sales / Tier 2 ", "-1", ("Sales", "Tier 2")),
        ("/2024", "-1", ("2024",)),
        ("R\\/D/Lab \\\\ 1", "-1", ("R/D", "Lab \\ 1")),
    ],
)
def test_a_group_is_an_id_or_a_path_below_the_root(
    cell: str, group: str, path: tuple[str, ...] | None
) -> None:
    rows, problems, _ = read(f'id,loginName,agentGroupId\n1,x,"{cell}"\n')
    assert problems == []
    assert (rows[0].user.group_id, rows[0].path) == (group, path)


def test_every_problem_of_every_row_names_its_column_and_line() -> None:
    _, problems, count = read(
        "id,loginName,maxChats,skillIds,agentGroupId,externalIds,isEnabled\n"
        "x1,,2000,1;b,Sales//B,twilio,maybe\n"
        "\n"  # blank rows are skipped, but count as lines
        ",,,,,,\n"
        '2,"two\nlines",,,,twilio=1;twilio=2;Bad=3,\n'
        "3,ok,,,99999999999999999999,,\n"
        "4,ok\n"
    )
    assert count == 4
    assert problems == [
        "line 2: id: must be a whole number from 1 to 9223372036854775807 or a string of "
        "its digits (the agent id of the events)",
        "line 2: loginName: is required",
        'line 2: isEnabled: must be true or false (or "true"/"false")',
        "line 2: maxChats: must be a whole number from 0 to 1000, or null",
        "line 2: skillIds (item 2): must be a whole number from 1 to 9223372036854775807",
        "line 2: agentGroupId: 'Sales//B' has an empty group name (write a name between each '/')",
        "line 2: externalIds: 'twilio' is not source=id (e.g. twilio=WK123;connect=arn:...)",
        "line 5: loginName: must not be blank nor hold control characters",
        "line 5: externalIds: 'twilio' is given twice",
        "line 5: externalIds: 'Bad' is not a source name: 1 to 64 lower-case letters, "
        "digits, '.', '_' or '-'",
        "line 7: agentGroupId: must be a group id: -1 (the root group) or a whole number "
        "from 1 to 9223372036854775807",
        "line 8: row: the row has 2 cells, the header 7",
    ]


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "",
            ["line 1: header: the file is empty: the first row names the columns (" + HEADER + ")"],
        ),
        (
            "id,login,id\n1,x,1\n",
            [
                f"line 1: login: is not a column; the columns are {', '.join(COLUMNS)}",
                "line 1: id: is a column twice",
                "line 1: loginName: the header must have this column",
            ],
        ),
        ('id,loginName\n1,"open\n', ["line 2: row: not CSV (unexpected end of data)"]),
    ],
)
def test_a_header_or_a_file_that_cannot_be_read(text: str, problems: list[str]) -> None:
    assert read(text)[1] == problems


def test_problems_print_with_their_line() -> None:
    assert str(RowProblem(3, "loginName", "is required")) == "line 3: loginName: is required"


def directory() -> DirectorySnapshot:
    groups = [
        AgentGroup("1", "Sales", "-1"),
        AgentGroup("2", "Tier 2", "1"),
        AgentGroup("3", "2024", "-1"),
        AgentGroup("4", "R/D \\ Lab", "3"),
    ]
    return DirectorySnapshot.of([], groups)


@pytest.mark.parametrize(
    ("group", "path"),
    [
        ("-1", ""),
        ("1", "Sales"),
        ("2", "Sales/Tier 2"),
        ("3", "/2024"),
        ("4", "2024/R\\/D \\\\ Lab"),
    ],
)
def test_a_groups_path(group: str, path: str) -> None:
    assert group_path(directory(), group) == path


def test_written_users_read_back_as_the_same_users() -> None:
    users = [
        User(
            1,
            "ann",
            'Ann, "A" Lee',
            "Ann",
            "EMP-1",
            True,
            3,
            (1, 2),
            "2",
            None,
            (("x.y", "a;b\\c"),),
        ),
        User(2, "bo", enabled=False, max_chats=0, group_id="4"),
        User(3, "cy", group_id="3"),
        User(4, "dee"),
    ]
    snapshot = directory()
    text = write_users(users, snapshot)
    assert text.splitlines()[0] == HEADER
    rows, problems, count = read(text)
    assert (problems, count) == ([], 4)
    paths = {"2": ("Sales", "Tier 2"), "4": ("2024", "R/D \\ Lab"), "3": ("2024",), "-1": None}
    for row, user in zip(rows, users, strict=True):
        assert row.path == paths[user.group_id]
        assert row.user == dataclasses.replace(user, group_id="-1")  # paths resolve later


@pytest.mark.parametrize(
    ("cell", "group"),
    [
        ("2", "2"),
        ("002", "2"),
        ("-1", "-1"),
        ("/", "-1"),
        (" sales / TIER 2 ", "2"),
        ("/2024", "3"),
        ("2024/r\\/d \\\\ lab", "4"),
        ("9", None),  # no such id
        ("2024", None),  # an id, not the group named 2024
        ("Tier 2", None),  # below Sales, not the root
        ("Sales/Tier 2/x", None),
        ("Sales//Tier 2", None),
    ],
)
def test_a_group_found_by_id_or_path(cell: str, group: str | None) -> None:
    assert find_group(directory(), cell) == group
