"""Hostile input to people and teams: each a clear 4xx naming what is wrong, and nothing
stored in part (the revisions and the items as before). The store-backed refusals run
on both backends, as a deployment on either would meet them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import open_store
from tests.api.conftest import assert_error, client_for
from tests.api.test_directory_http import GROUPS, USERS, delete_many, ok, revision_of
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, make_credentials
from tests.store.conftest import BACKENDS, backend_url

BIG = str(2**63)


@pytest.fixture(params=BACKENDS)
def admin(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """An admin's client of a service on each backend, with groups Sales (1) > Tier 1
    (2) > Night (3), a deleted group Old (4) and users 1 (in Tier 1) and 2 (root)."""
    with backend_url(request.param, tmp_path) as url:
        store = open_store(url)
        service = ActivityService(store, Settings(db_url=url))
        with client_for(service, make_credentials(service, ACCOUNT, ("admin",))) as client:
            ok(client.post(GROUPS, json=[{"name": "Sales"}]), 201)
            ok(client.post(GROUPS, json={"name": "Tier 1", "parentGroupId": "1"}), 201)
            ok(
                client.post(
                    GROUPS, json=[{"name": "Night", "parentGroupId": "2"}, {"name": "Old"}]
                ),
                201,
            )
            ok(client.delete(f"{GROUPS}/4", headers={"If-Match": "3"}))
            users = [
                {"id": 1, "loginName": "Ann", "memberOf": {"agentGroupId": "2"}},
                {"id": 2, "loginName": "bob"},
            ]
            ok(client.post(USERS, json=users), 201)
            yield client
        store.close()


def unchanged(client: TestClient) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    users, groups = (
        client.get(USERS, params={"include_deleted": "true"}),
        client.get(GROUPS, params={"include_deleted": "true"}),
    )
    return revision_of(users), users.json(), revision_of(groups), groups.json()


def test_store_refusals_change_nothing(admin: TestClient) -> None:
    before = unchanged(admin)
    refusals = [
        # A group made its own grandparent (Sales under Night), or its own parent.
        (
            admin.put(
                f"{GROUPS}/1",
                json={"name": "Sales", "parentGroupId": "3"},
                headers={"If-Match": "4"},
            ),
            400,
            "parentGroupId",
            "own ancestor",
        ),
        (
            admin.put(
                f"{GROUPS}/2",
                json={"name": "Tier 1", "parentGroupId": 2},
                headers={"If-Match": "4"},
            ),
            400,
            "parentGroupId",
        ),
        # The root made a child; deleted; a group with members or subgroups deleted.
        (
            admin.put(
                f"{GROUPS}/-1",
                json={"name": "Main", "parentGroupId": "1"},
                headers={"If-Match": "4"},
            ),
            400,
            "parentGroupId",
            "root",
        ),
        (
            admin.delete(f"{GROUPS}/-1", headers={"If-Match": "4"}),
            409,
            "root group -1 cannot be deleted",
        ),
        (admin.delete(f"{GROUPS}/1", headers={"If-Match": "4"}), 409, "subgroups"),
        (delete_many(admin, GROUPS, ["3", "2"], "4"), 409, "items[1]", "member"),
        # A user moved into a deleted group, or into one of another account's ids.
        (
            admin.put(
                f"{USERS}/2",
                json={"loginName": "bob", "memberOf": {"agentGroupId": "4"}},
                headers={"If-Match": "1"},
            ),
            400,
            "memberOf.agentGroupId",
            "deleted",
        ),
        (
            admin.post(
                USERS,
                json=[
                    {"id": 3, "loginName": "c"},
                    {"id": 4, "loginName": "d", "memberOf": {"agentGroupId": 99}},
                ],
            ),
            400,
            "items[1].memberOf.agentGroupId",
            "no agent group 99",
        ),
        (
            admin.post(GROUPS, json={"name": "New", "parentGroupId": "4"}),
            400,
            "parentGroupId",
            "deleted",
        ),
        # Login names differing only in case or blanks; a sibling's name; ids taken.
        (
            admin.post(USERS, json=[{"id": 3, "loginName": "c"}, {"id": 4, "loginName": " ANN "}]),
            409,
            "items[1].loginName",
            "user 1",
        ),
        (
            admin.put(f"{USERS}/2", json={"loginName": "ann\u3000"}, headers={"If-Match": "1"}),
            409,
            "loginName",
        ),
        (
            admin.post(GROUPS, json={"name": "tier 1", "parentGroupId": "1"}),
            409,
            "name",
            "agent group 2",
        ),
        (
            admin.post(USERS, json={"id": "0001", "loginName": "x"}),
            409,
            "id",
            "user 1 already exists",
        ),
        (
            admin.post(USERS, json=[{"id": 3, "loginName": "c"}, {"id": 3, "loginName": "d"}]),
            409,
            "items[1].id",
            "items[0]",
        ),
        # Stale and unknown.
        (
            admin.post(USERS, json={"id": 3, "loginName": "c"}, headers={"If-Match": "0"}),
            412,
            "revision 1",
        ),
        (delete_many(admin, USERS, [2, 77], "1"), 404, "items[1]", "no user 77"),
    ]
    for answer, status, *names in refusals:
        assert_error(answer, status, *names)
    assert unchanged(admin) == before


def test_ten_thousand_users_in_one_create_are_refused_whole(admin: TestClient) -> None:
    before = unchanged(admin)
    users = [{"id": 10 + n, "loginName": f"agent{n}"} for n in range(10_000)]
    assert_error(admin.post(USERS, json=users), 413, "10000 items", "1000")
    assert_error(delete_many(admin, USERS, list(range(1, 1002)), "1"), 413, "1001 items")
    assert unchanged(admin) == before


def test_another_accounts_ids_are_invisible(admin: TestClient) -> None:
    app = admin.app
    service = app.state.service  # type: ignore[attr-defined]
    other = make_credentials(service, OTHER_ACCOUNT, ("read", "admin"))
    with client_for(service, other) as client:
        base_users = USERS.replace(ACCOUNT, OTHER_ACCOUNT)
        base_groups = GROUPS.replace(ACCOUNT, OTHER_ACCOUNT)
        assert ok(client.get(base_users)) == [] and len(ok(client.get(base_groups))) == 1
        assert_error(client.get(f"{base_users}/1"), 404, "no user 1")
        assert_error(client.get(f"{base_groups}/1"), 404, "no agent group 1")
        assert_error(
            client.put(f"{base_users}/1", json={"loginName": "x"}, headers={"If-Match": "0"}), 404
        )
        assert_error(delete_many(client, base_groups, ["2"], "0"), 404, "items[0]")
        # Group 2 of account A is no group of B: a member of it is refused.
        user = {"id": 9, "loginName": "x", "memberOf": {"agentGroupId": "2"}}
        assert_error(client.post(base_users, json=user), 400, "memberOf.agentGroupId")
        # Its own group 1 and user 1 are its own, beside A's.
        ok(client.post(base_groups, json={"name": "Sales"}), 201)
        ok(client.post(base_users, json={"id": 1, "loginName": "ann"}), 201)
    assert ok(admin.get(f"{USERS}/1"))["memberOf"]["agentGroupId"] == "2"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"{USERS}/{BIG}", None),
        ("GET", f"{USERS}/0", None),
        ("GET", f"{USERS}/-1", None),
        ("GET", f"{USERS}/01", None),
        ("GET", f"{USERS}/1.0", None),
        ("PUT", f"{USERS}/{BIG}", {"loginName": "x"}),
        ("DELETE", f"{USERS}/{'9' * 40}", None),
        ("GET", f"{GROUPS}/{BIG}", None),
        ("GET", f"{GROUPS}/-2", None),
        ("GET", f"{GROUPS}/007", None),
        ("PUT", f"{GROUPS}/x", {"name": "x"}),
    ],
)
def test_ids_that_cannot_be_are_404(admin: TestClient, method: str, path: str, body: Any) -> None:
    answer = admin.request(method, path, json=body, headers={"If-Match": "1"})
    assert_error(answer, 404, "Id: no ")


_USER_REFUSALS = [
    ({"id": BIG, "loginName": "x"}, "id"),
    ({"id": 2**64, "loginName": "x"}, "id"),
    ({"id": 1e300, "loginName": "x"}, "id"),
    ({"id": [1], "loginName": "x"}, "id"),
    ({"id": {"n": 1}, "loginName": "x"}, "id"),
    ({"id": 3, "loginName": ["x"]}, "loginName"),
    ({"id": 3, "loginName": "x\x00y"}, "loginName"),
    ({"id": 3, "loginName": "x", "isEnabled": [True]}, "isEnabled"),
    ({"id": 3, "loginName": "x", "maxChats": 1e6}, "maxChats"),
    ({"id": 3, "loginName": "x", "skillIds": [2**63]}, "skillIds[0]"),
    ({"id": 3, "loginName": "x", "skillIds": {"1": 1}}, "skillIds"),
    ({"id": 3, "loginName": "x", "memberOf": {"agentGroupId": BIG}}, "memberOf.agentGroupId"),
    ({"id": 3, "loginName": "x", "memberOf": {"agentGroupId": True}}, "memberOf.agentGroupId"),
    ({"id": 3, "loginName": "x", "externalIds": {"g": ["x"]}}, "externalIds.g"),
    ({"id": 3, "loginName": "x", "externalIds": "g:1"}, "externalIds"),
    ([{"id": 3, "loginName": "x"}, None], "items[1]"),
    (None, "body"),
    ("users", "body"),
]
_GROUP_REFUSALS = [
    ({"name": 5}, "name"),
    ({"name": "x", "parentGroupId": [1]}, "parentGroupId"),
    ({"name": "x", "parentGroupId": BIG}, "parentGroupId"),
    ({"name": "x", "isEnabled": "yes"}, "isEnabled"),
    ({"name": "x", "description": {"d": 1}}, "description"),
    ({"name": "x", "id": 7}, "id"),
    ([{"name": "x"}, {"name": "y", "deleted": True}], "items[1].deleted"),
]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [(USERS, *case) for case in _USER_REFUSALS] + [(GROUPS, *case) for case in _GROUP_REFUSALS],
)
def test_wrong_types_are_400_naming_the_field(
    admin: TestClient, path: str, body: Any, field: str
) -> None:
    before = unchanged(admin)
    error = assert_error(admin.post(path, json=body), 400, field)
    assert error["message"].startswith(field)
    assert unchanged(admin) == before


@pytest.mark.parametrize("body", [b"", b"{", b"[1,", b"\xff", b'"\\ud800"', b"null"])
def test_what_is_not_json_is_400(admin: TestClient, body: bytes) -> None:
    for path in (USERS, GROUPS):
        answer = admin.post(path, content=body, headers={"Content-Type": "application/json"})
        assert_error(answer, 400, "body")
