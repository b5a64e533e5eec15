"""People and teams over HTTP (the vendor's Users and Agent Groups APIs): list, get one,
create (201 and Location), replace (PUT, POST + X-HTTP-Method-Override), soft delete of
one id or of an array of ids, `ac-revision`, If-Match, scopes, and the answers' shape.
Hostile input is tests/api/test_directory_hostile.py's."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from agentactivity.directory import ROOT_GROUP
from agentactivity.directory_items import group_json
from agentactivity.service import ActivityService
from tests.api.conftest import assert_error, client_for
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, make_credentials

USERS = f"/api/account/{ACCOUNT}/configuration/le-users/users"
GROUPS = f"/api/account/{ACCOUNT}/configuration/le-users/agentGroups"
ROOT = group_json(ROOT_GROUP)  # its JSON is pinned in tests/unit/test_directory_items.py


def revision_of(answer: Any) -> int:
    return int(answer.headers["ac-revision"])


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()


def delete_many(client: TestClient, path: str, ids: Any, if_match: str | None) -> Any:
    headers = {} if if_match is None else {"If-Match": if_match}
    return client.request("DELETE", path, json=ids, headers=headers)


def test_groups_start_with_the_root_and_nest(admin: TestClient) -> None:
    empty = admin.get(GROUPS, params={"v": "4.0", "select": "$all"})
    assert (ok(empty), revision_of(empty)) == ([ROOT], 0)
    sales = admin.post(GROUPS, json={"name": "Sales", "description": "Outbound"})
    assert ok(sales, 201) == {
        "id": "1",
        "name": "Sales",
        "parentGroupId": "-1",
        "isEnabled": True,
        "description": "Outbound",
        "deleted": False,
    }
    assert sales.headers["location"] == f"{GROUPS}/1" and revision_of(sales) == 1
    # The vendor's own example: strings for ids and booleans.
    tiers = admin.post(
        GROUPS,
        json=[
            {"name": "Tier 1", "parentGroupId": "1", "isEnabled": "true", "deleted": "false"},
            {"name": "Tier 2", "parentGroupId": 1, "isEnabled": False},
        ],
    )
    assert [(g["id"], g["parentGroupId"], g["isEnabled"]) for g in ok(tiers, 201)] == [
        ("2", "1", True),
        ("3", "1", False),
    ]
    assert "location" not in tiers.headers and revision_of(tiers) == 2
    assert [g["name"] for g in ok(admin.get(GROUPS))] == ["Main Group", "Sales", "Tier 1", "Tier 2"]
    assert ok(admin.get(f"{GROUPS}/-1")) == ROOT
    assert ok(admin.get(f"{GROUPS}/3"))["name"] == "Tier 2"
    assert_error(admin.get(f"{GROUPS}/9"), 404, "agentGroupId", "9")
    # Nothing to create: 200, the revision as it is.
    nothing = admin.post(GROUPS, json=[])
    assert (ok(nothing), revision_of(nothing)) == ([], 2)


def test_a_user_round_trips(admin: TestClient) -> None:
    ok(admin.post(GROUPS, json={"name": "Sales"}), 201)
    created = admin.post(
        USERS,
        json={
            "id": "1001",
            "loginName": "ann@example.com",
            "fullName": "Ann Lee",
            "nickname": "Ann",
            "employeeId": "E-1",
            "maxChats": "4",
            "skillIds": [12, 3],
            "memberOf": {"agentGroupId": "1", "assignmentDate": "2015-06-22 19:20:03"},
            "externalIds": {"genesys": "8c1f"},
            "profileIds": [1],
            "email": "ann@example.com",
        },
    )
    user = ok(created, 201)
    assert created.headers["location"] == f"{USERS}/1001" and revision_of(created) == 1
    assigned = user["memberOf"]["assignmentDate"]
    assert user == {
        "id": "1001",
        "loginName": "ann@example.com",
        "fullName": "Ann Lee",
        "nickname": "Ann",
        "employeeId": "E-1",
        "isEnabled": True,
        "maxChats": 4,
        "skillIds": [3, 12],
        "memberOf": {"agentGroupId": "1", "assignmentDate": assigned},
        "externalIds": {"genesys": "8c1f"},
        "deleted": False,
    }
    assert assigned.endswith("Z") and "T" in assigned
    assert ok(admin.get(f"{USERS}/1001")) == user
    assert ok(admin.get(USERS, params={"v": "6.0"})) == [user]
    # What was read goes back as it is (a PUT of the same values changes nothing).
    same = admin.put(f"{USERS}/1001", json=user, headers={"If-Match": "1"})
    assert (ok(same), revision_of(same)) == (user, 1)


def test_readers_may_read_and_only_admin_may_change(
    service: ActivityService, admin: TestClient, reader: TestClient
) -> None:
    ok(admin.post(USERS, json={"id": 7, "loginName": "ann"}), 201)
    assert [u["id"] for u in ok(reader.get(USERS))] == ["7"]
    assert ok(reader.get(f"{USERS}/7"))["loginName"] == "ann"
    assert ok(reader.get(GROUPS)) == [ROOT]
    assert_error(reader.post(USERS, json={"id": 8, "loginName": "b"}), 403, "admin")
    assert_error(reader.put(f"{USERS}/7", json={"loginName": "b"}, headers={"If-Match": "1"}), 403)
    assert_error(reader.delete(f"{GROUPS}/1", headers={"If-Match": "0"}), 403, "admin")
    assert_error(delete_many(reader, USERS, [7], "1"), 403, "admin")
    ingest_only = make_credentials(service, ACCOUNT, ("ingest",))
    with client_for(service, ingest_only) as client:
        assert_error(client.get(f"{USERS}/7"), 403, "read", "admin")
    other = make_credentials(service, OTHER_ACCOUNT, ("read", "admin"))
    with client_for(service, other) as client:
        assert_error(client.get(USERS), 403, ACCOUNT)
        assert_error(client.post(GROUPS, json={"name": "x"}), 403, ACCOUNT)
    assert_error(admin.get(f"{USERS}/7", auth=None), 401)
    assert_error(admin.post(GROUPS, json={"name": "x"}, auth=None), 401)
    assert revision_of(admin.get(USERS)) == 1 and revision_of(admin.get(GROUPS)) == 0


def test_put_and_its_override(admin: TestClient) -> None:
    ok(admin.post(USERS, json=[{"id": 1, "loginName": "ann"}, {"id": 2, "loginName": "bob"}]), 201)
    assert_error(admin.put(f"{USERS}/1", json={"loginName": "x"}), 428, "If-Match", "users")
    for bad in ("one", "", "*", "-1"):
        assert_error(
            admin.put(f"{USERS}/1", json={"loginName": "x"}, headers={"If-Match": bad}), 400
        )
    stale = admin.put(f"{USERS}/1", json={"loginName": "x"}, headers={"If-Match": "0"})
    assert_error(stale, 412, "the users are at revision 1")
    assert stale.headers["ac-revision"] == "1"
    body = {"id": "1", "loginName": "Ann", "nickname": "A"}
    changed = admin.post(
        f"{USERS}/1", json=body, headers={"If-Match": '"1"', "X-HTTP-Method-Override": "put"}
    )
    assert ok(changed)["nickname"] == "A" and revision_of(changed) == 2
    for override in (None, "PATCH", "GET"):
        headers = {"If-Match": "2", **({"X-HTTP-Method-Override": override} if override else {})}
        answer = admin.post(f"{USERS}/1", json=body, headers=headers)
        assert_error(answer, 400, "X-HTTP-Method-Override: PUT or DELETE")
    assert_error(
        admin.put(f"{USERS}/1", json={"id": 2, "loginName": "x"}, headers={"If-Match": "2"}),
        400,
        "id",
        "userId 1",
    )
    assert_error(
        admin.put(f"{USERS}/5", json={"loginName": "x"}, headers={"If-Match": "2"}),
        404,
        "userId: no user 5",
    )
    assert_error(
        admin.put(f"{GROUPS}/4", json={"name": "x"}, headers={"If-Match": "0"}), 404, "agentGroupId"
    )
    renamed = admin.put(f"{GROUPS}/-1", json={"name": "Everyone"}, headers={"If-Match": "0"})
    assert ok(renamed)["name"] == "Everyone" and revision_of(renamed) == 1
    assert revision_of(admin.get(USERS)) == 2


def test_deletes_one_or_an_array(admin: TestClient) -> None:
    ok(admin.post(USERS, json=[{"id": n, "loginName": f"u{n}"} for n in (1, 2, 3)]), 201)
    assert_error(admin.delete(f"{USERS}/1"), 428, "If-Match")
    assert_error(delete_many(admin, USERS, [1], None), 428, "If-Match")
    one = admin.delete(f"{USERS}/1", headers={"If-Match": "1"})
    assert ok(one)["deleted"] is True and revision_of(one) == 2
    # The vendor's form: a JSON array of ids, all deleted or none.
    missing = delete_many(admin, USERS, [2, "9"], "2")
    assert_error(missing, 404, "items[1]", "no user 9")
    error = assert_error(delete_many(admin, USERS, [2, "x", 0], "2"), 400, "items[1]", "a user id")
    assert [problem["field"] for problem in error["details"]] == ["items[1]", "items[2]"]
    assert_error(delete_many(admin, USERS, {"ids": [2]}, "2"), 400, "body", "JSON array")
    assert_error(admin.request("DELETE", USERS, headers={"If-Match": "2"}), 400, "body")
    many = delete_many(admin, USERS, ["3", 2, 1], "2")
    assert [(u["id"], u["deleted"]) for u in ok(many)] == [("3", True), ("2", True), ("1", True)]
    assert revision_of(many) == 3 and ok(admin.get(USERS)) == []
    shown = ok(admin.get(USERS, params={"include_deleted": "TRUE"}))
    assert [u["id"] for u in shown] == ["1", "2", "3"]
    assert_error(admin.get(USERS, params={"include_deleted": "yes"}), 400, "include_deleted")
    # Again: nothing changes; an empty array neither.
    assert revision_of(delete_many(admin, USERS, [1], "3")) == 3
    assert (ok(delete_many(admin, USERS, [], "3")), revision_of(admin.get(USERS))) == ([], 3)
    # A deleted user is still there by id; the override deletes too.
    assert ok(admin.get(f"{USERS}/2"))["deleted"] is True
    ok(admin.post(GROUPS, json={"name": "Sales"}), 201)
    gone = admin.post(f"{GROUPS}/1", headers={"If-Match": "1", "X-HTTP-Method-Override": "DELETE"})
    assert ok(gone)["deleted"] is True and revision_of(gone) == 2


def test_a_restored_user_gets_its_fields_back(admin: TestClient) -> None:
    ok(admin.post(USERS, json={"id": 5, "loginName": "ann"}), 201)
    ok(admin.delete(f"{USERS}/5", headers={"If-Match": "1"}))
    assert_error(admin.post(USERS, json={"id": 5, "loginName": "x"}), 409, "id", "restore")
    restored = admin.put(
        f"{USERS}/5", json={"loginName": "ann", "deleted": False}, headers={"If-Match": "2"}
    )
    assert ok(restored)["deleted"] is False and revision_of(restored) == 3
