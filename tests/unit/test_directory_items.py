"""The directory's items as JSON (directory_items.py): every rule of SPEC section 8's
tables, each refusal naming its field, the vendor's quoted booleans and numbers, and
answers that read back as the same item."""

from __future__ import annotations

from typing import Any

import pytest

from agentactivity.directory import ROOT_GROUP, AgentGroup, User
from agentactivity.directory_items import (
    group_json,
    parse_group,
    parse_groups,
    parse_user,
    parse_users,
    user_json,
)


def test_a_full_user_in_the_vendors_own_spelling() -> None:
    change, problems = parse_user(
        {
            "id": "987654321",
            "loginName": "unique@gmail.com",
            "fullName": "first last name",
            "nickname": "agent1",
            "employeeId": "EXT-123456789",
            "isEnabled": "true",
            "maxChats": "4",
            "skillIds": [2359235912, 7, 7.0],
            "profileIds": [2359273612],
            "deleted": "false",
            "userTypeId": 1,
            "memberOf": {"agentGroupId": "1", "assignmentDate": "2015-06-22 19:20:03"},
            "externalIds": {"genesys": "a-b-c", "five9": "42"},
        },
        creating=True,
    )
    assert problems == []
    assert change is not None and change.deleted is False
    assert change.item == User(
        987654321,
        "unique@gmail.com",
        "first last name",
        "agent1",
        "EXT-123456789",
        True,
        4,
        (7, 2359235912),
        "1",
        None,  # the server's to set
        (("five9", "42"), ("genesys", "a-b-c")),
    )


def test_defaults_of_a_user() -> None:
    change, problems = parse_user(
        {"id": 7, "loginName": "x", "fullName": "", "nickname": "  ", "memberOf": []},
        creating=True,
    )
    assert problems == [] and change is not None
    assert change.item == User(7, "x") and change.deleted is None
    for member_of in (None, {}, {"agentGroupId": None}, [{"agentGroupId": -1}]):
        parsed, _ = parse_user({"id": 7, "loginName": "x", "memberOf": member_of}, creating=True)
        assert parsed is not None and parsed.item.group_id == "-1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"loginName": "x"}, "id"),
        ({"id": 0, "loginName": "x"}, "id"),
        ({"id": -5, "loginName": "x"}, "id"),
        ({"id": 2**63, "loginName": "x"}, "id"),
        ({"id": str(2**63), "loginName": "x"}, "id"),
        ({"id": "9" * 400, "loginName": "x"}, "id"),
        ({"id": "12a", "loginName": "x"}, "id"),
        ({"id": " 12", "loginName": "x"}, "id"),
        ({"id": 1.5, "loginName": "x"}, "id"),
        ({"id": True, "loginName": "x"}, "id"),
        ({"id": 1}, "loginName"),
        ({"id": 1, "loginName": ""}, "loginName"),
        ({"id": 1, "loginName": "   "}, "loginName"),
        ({"id": 1, "loginName": "x" * 101}, "loginName"),
        ({"id": 1, "loginName": "a\tb"}, "loginName"),
        ({"id": 1, "loginName": 5}, "loginName"),
        ({"id": 1, "loginName": "x", "fullName": 3}, "fullName"),
        ({"id": 1, "loginName": "x", "nickname": "n" * 101}, "nickname"),
        ({"id": 1, "loginName": "x", "employeeId": "a\x00"}, "employeeId"),
        ({"id": 1, "loginName": "x", "isEnabled": "yes"}, "isEnabled"),
        ({"id": 1, "loginName": "x", "isEnabled": 1}, "isEnabled"),
        ({"id": 1, "loginName": "x", "maxChats": -1}, "maxChats"),
        ({"id": 1, "loginName": "x", "maxChats": 1001}, "maxChats"),
        ({"id": 1, "loginName": "x", "maxChats": "four"}, "maxChats"),
        ({"id": 1, "loginName": "x", "skillIds": 4}, "skillIds"),
        ({"id": 1, "loginName": "x", "skillIds": [1, "2"]}, "skillIds[1]"),
        ({"id": 1, "loginName": "x", "skillIds": [0]}, "skillIds[0]"),
        ({"id": 1, "loginName": "x", "skillIds": list(range(1, 1002))}, "skillIds"),
        ({"id": 1, "loginName": "x", "memberOf": "1"}, "memberOf"),
        ({"id": 1, "loginName": "x", "memberOf": [{}, {}]}, "memberOf"),
        ({"id": 1, "loginName": "x", "memberOf": {"agentGroupId": "x"}}, "memberOf.agentGroupId"),
        ({"id": 1, "loginName": "x", "memberOf": {"agentGroupId": 0}}, "memberOf.agentGroupId"),
        ({"id": 1, "loginName": "x", "memberOf": {"agentGroupId": -2}}, "memberOf.agentGroupId"),
        ({"id": 1, "loginName": "x", "externalIds": ["a"]}, "externalIds"),
        ({"id": 1, "loginName": "x", "externalIds": {"Genesys": "a"}}, "externalIds"),
        ({"id": 1, "loginName": "x", "externalIds": {"": "a"}}, "externalIds"),
        ({"id": 1, "loginName": "x", "externalIds": {"g": 5}}, "externalIds.g"),
        ({"id": 1, "loginName": "x", "externalIds": {"g": ""}}, "externalIds.g"),
        ({"id": 1, "loginName": "x", "externalIds": {"g": "x" * 257}}, "externalIds.g"),
        (
            {"id": 1, "loginName": "x", "externalIds": {f"s{n}": "a" for n in range(21)}},
            "externalIds",
        ),
        ({"id": 1, "loginName": "x", "deleted": True}, "deleted"),
        ({"id": 1, "loginName": "x", "deleted": "no"}, "deleted"),
        ("x", "body"),
        ([{"id": 1, "loginName": "x"}, 7], "items[1]"),
        ([{"id": 1, "loginName": "x"}, {"id": 2}], "items[1].loginName"),
    ],
)
def test_a_users_refusals_name_the_field(body: Any, field: str) -> None:
    items, _, problems = parse_users(body)
    assert problems and problems[0].field == field, problems
    assert len(items) == (1 if isinstance(body, list) else 0)


def test_every_problem_of_a_batch_is_listed() -> None:
    _, is_array, problems = parse_users([{"id": 0}, {"id": 1, "loginName": "x", "maxChats": -1}])
    assert is_array
    assert [p.field for p in problems] == ["items[0].id", "items[0].loginName", "items[1].maxChats"]


def test_a_put_takes_the_paths_id() -> None:
    change, problems = parse_user({"loginName": "x"}, creating=False, path_id=9)
    assert problems == [] and change is not None and change.item.id == 9
    assert parse_user({"id": "9", "loginName": "x"}, creating=False, path_id=9)[1] == []
    (problem,) = parse_user({"id": 8, "loginName": "x"}, creating=False, path_id=9)[1]
    assert problem.field == "id" and "userId 9" in problem.message
    # A PUT may delete or restore.
    change, _ = parse_user({"loginName": "x", "deleted": True}, creating=False, path_id=9)
    assert change is not None and change.deleted is True


def test_groups() -> None:
    change, problems = parse_group(
        {
            "id": None,
            "deleted": "false",
            "name": "Sales",
            "parentGroupId": "1",
            "isEnabled": "true",
        },
        creating=True,
    )
    assert problems == [] and change is not None
    assert change.item == AgentGroup("", "Sales", "1") and change.deleted is False
    # No parent means the root's child; the root itself has none.
    change, _ = parse_group({"name": "Sales", "parentGroupId": None}, creating=True)
    assert change is not None and change.item.parent_id == "-1"
    change, _ = parse_group({"id": -1, "name": "All"}, creating=False, path_id="-1")
    assert change is not None and change.item == AgentGroup("-1", "All", None)


@pytest.mark.parametrize(
    ("body", "field", "path_id"),
    [
        ({"name": "x", "id": "5"}, "id", None),
        ({"name": "x", "id": "5"}, "id", "6"),
        ({}, "name", None),
        ({"name": " "}, "name", None),
        ({"name": "x", "parentGroupId": "a"}, "parentGroupId", None),
        ({"name": "x", "parentGroupId": str(2**63)}, "parentGroupId", None),
        ({"name": "x", "parentGroupId": "-1"}, "parentGroupId", "-1"),
        ({"name": "x", "isEnabled": "0"}, "isEnabled", None),
        ({"name": "x", "description": "d" * 1001}, "description", None),
        ({"name": "x", "description": "\x7f"}, "description", None),
        ({"name": "x", "deleted": "true"}, "deleted", None),
        ([{"name": "x"}, []], "items[1]", None),
    ],
)
def test_a_groups_refusals_name_the_field(body: Any, field: str, path_id: str | None) -> None:
    if path_id is None:
        problems = parse_groups(body)[2]
    else:
        problems = parse_group(body, creating=False, path_id=path_id)[1]
    assert problems and problems[0].field == field, problems


def test_answers_read_back_as_the_same_item() -> None:
    user = User(
        5, "ann", "Ann", None, "E", False, 0, (1,), "3", "2024-01-02T03:04:05Z", (("g", "1"),)
    )
    answer = user_json(user)
    assert answer["id"] == "5" and answer["memberOf"] == {
        "agentGroupId": "3",
        "assignmentDate": "2024-01-02T03:04:05Z",
    }
    change, problems = parse_user(answer, creating=False, path_id=5)
    assert problems == [] and change is not None
    assert change.item == User(5, "ann", "Ann", None, "E", False, 0, (1,), "3", None, (("g", "1"),))
    assert group_json(ROOT_GROUP) == {
        "id": "-1",
        "name": "Main Group",
        "parentGroupId": None,
        "isEnabled": True,
        "description": None,
        "deleted": False,
    }
    change, problems = parse_group(group_json(ROOT_GROUP), creating=False, path_id="-1")
    assert problems == [] and change is not None and change.item == ROOT_GROUP
