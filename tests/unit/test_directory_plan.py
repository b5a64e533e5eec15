"""What an import would do (directory_plan.py), against a directory as the store lists
it: new, changed and unchanged users, an update touching only the file's columns,
deleted users restored, the groups name paths need (created once, level by level,
matched ignoring case and blanks), and every problem found against the account."""

from __future__ import annotations

import io

from agentactivity.directory import AgentGroup, User
from agentactivity.directory_csv import UserRow, read_users
from agentactivity.directory_plan import ImportPlan, NewGroup, plan_import

STORED_GROUPS = [
    AgentGroup("-1", "Main Group", None),
    AgentGroup("1", "Sales", "-1"),
    AgentGroup("2", "Old", "-1", deleted=True),
    AgentGroup("3", "Tier 2", "1"),
]
STORED_USERS = [
    User(1001, "ann", "Ann Lee", employee_id="E1", group_id="1", assignment_date="t"),
    User(1002, "bo", group_id="3", external_ids=(("twilio", "WK2"),), assignment_date="t"),
    User(1003, "cy", deleted=True, assignment_date="t"),
]


def rows(text: str) -> list[UserRow]:
    found, problems, _ = read_users(io.StringIO(text, newline=""))
    assert problems == []
    return found


def plan(text: str, users: list[User] = STORED_USERS) -> ImportPlan:
    return plan_import(rows(text), (5, users), (9, STORED_GROUPS))


def problems(text: str) -> list[str]:
    return [str(problem) for problem in plan(text).problems]


def test_new_changed_restored_and_unchanged_users() -> None:
    result = plan(
        "id,loginName,agentGroupId\n"
        "1001,ann,Sales\n"  # as stored: the path names its group
        "1002,bo,1\n"  # moves
        "1003,cy,\n"  # deleted: restored
        "1004,dee,sales / TIER 2\n"
    )
    assert (result.users_revision, result.groups_revision) == (5, 9)
    assert result.unchanged == 1 and result.rows == 4 and result.groups == []
    assert [(u.line, u.user.id, u.user.group_id, u.restore) for u in result.updates] == [
        (3, 1002, "1", False),
        (4, 1003, "-1", True),
    ]
    assert not result.updates[1].user.deleted
    (new,) = result.creates
    assert (new.user, new.group) == (User(1004, "dee", group_id="3"), "3")


def test_an_update_changes_only_the_columns_of_the_file() -> None:
    result = plan("id,loginName,nickname\n1001,ann,Annie\n")
    (update,) = result.updates
    assert update.user == User(
        1001, "ann", "Ann Lee", "Annie", "E1", group_id="1", assignment_date="t"
    )
    assert update.group == "1"  # not a column here: as stored


def test_paths_create_their_missing_groups_level_by_level_once() -> None:
    result = plan(
        "id,loginName,agentGroupId\n"
        "1,a,Support/Email/Nights\n"
        "2,b, support / EMAIL \n"  # the same new group, as first spelled
        "3,c,Sales/Tier 3\n"
        "4,d,Old\n"  # a deleted group's name is free
        "1001,ann,Sales/Tier 2/VIP\n"  # moves to a new group
    )
    assert result.groups == [
        [
            NewGroup(("support",), "Support", "-1", 2),
            NewGroup(("old",), "Old", "-1", 5),
        ],
        [
            NewGroup(("support", "email"), "Email", ("support",), 2),
            NewGroup(("sales", "tier 3"), "Tier 3", "1", 4),
        ],
        [
            NewGroup(("support", "email", "nights"), "Nights", ("support", "email"), 2),
            NewGroup(("sales", "tier 2", "vip"), "VIP", "3", 6),
        ],
    ]
    assert result.new_groups == 6
    assert [u.group for u in result.creates] == [
        ("support", "email", "nights"),
        ("support", "email"),
        ("sales", "tier 3"),
        ("old",),
    ]
    (moved,) = result.updates  # even from the root: its new group has no id yet
    assert moved.group == ("sales", "tier 2", "vip")


def test_a_user_in_the_root_moving_to_a_new_group_is_an_update() -> None:
    result = plan("id,loginName,agentGroupId\n7,x,New\n", [User(7, "x", assignment_date="t")])
    assert result.unchanged == 0 and result.updates[0].group == ("new",)


def test_every_problem_against_the_account_with_its_line() -> None:
    assert problems(
        "id,loginName,agentGroupId,externalIds\n"
        "1,a,77,\n"
        "2,b,2,\n"
        "3,BO ,,\n"  # bo's login, ignoring case and blanks
        "4,d,,twilio=WK2\n"  # bo's external id
        "4,e,,\n"
        "5,f,,\n"
        "6,F,,\n"
        "7,g,,\n"
        "8,cy,,\n"  # a deleted user's login is free
        f"9,h,Sales/{'n' * 101},\n"
    ) == [
        "line 2: agentGroupId: no agent group 77 in the account (name it by its path to create it)",
        "line 3: agentGroupId: agent group 2 is deleted; name another group",
        "line 4: loginName: 'BO ' is already the login name of user 1002",
        "line 5: externalIds.twilio: 'WK2' is already the twilio id of user 1002",
        "line 6: id: user 4 is also on line 5",
        "line 8: loginName: 'F' is already the login name of user 5 (line 7)",
        f"line 11: agentGroupId: {'n' * 101!r}: name: must be 1 to 100 characters (it has 101)",
    ]


def test_a_login_name_or_an_external_id_freed_by_the_file_may_be_taken_in_it() -> None:
    assert problems("id,loginName,externalIds\n1002,bo2,\n2000,bo,twilio=WK2\n") == []
    assert problems("id,loginName\n1002,bo2\n2000,x\n2001,bo\n") == []


def test_a_row_must_not_take_what_a_later_row_gives_up() -> None:
    # Written one by one in file order: 1001 cannot take "bo" before 1002 leaves it.
    chain = "id,loginName\n1001,bo\n1002,cy2\n"
    assert problems(chain) == [
        "line 2: loginName: 'bo' is already the login name of user 1002 when this row is "
        "written: move line 3 (which changes it) above this one (two users swapping: "
        "import the change in two steps)"
    ]
    assert problems("id,loginName\n1002,cy2\n1001,bo\n") == []
    external = "id,loginName,externalIds\n1001,ann,twilio=WK2\n1002,bo,twilio=WK1\n"
    assert [p.split(":")[0:2] for p in problems(external)] == [["line 2", " externalIds.twilio"]]
    # New users are written after every update: they may take what any row gives up.
    assert problems("id,loginName\n2000,bo\n1002,bo2\n") == []
