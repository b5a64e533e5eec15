"""The status reasons over HTTP (the vendor's Agent Status Reason API): list, create,
update (PUT and POST + X-HTTP-Method-Override), soft delete, `ac-revision`, If-Match,
every refusal, scopes, and domain discovery of its service names."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.service import ActivityService
from tests.api.conftest import assert_error, client_for
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, make_credentials

REASONS = f"/api/account/{ACCOUNT}/configuration/le-agents/status-reasons"


def revision_of(answer: Any) -> int:
    return int(answer.headers["ac-revision"])


def create(client: TestClient, body: Any, **headers: str) -> Any:
    answer = client.post(REASONS, json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def listing(client: TestClient, **params: str) -> list[dict[str, Any]]:
    answer = client.get(REASONS, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()  # type: ignore[no-any-return]


def put(client: TestClient, reason_id: int | str, body: Any, if_match: str | None) -> Any:
    headers = {} if if_match is None else {"If-Match": if_match}
    return client.put(f"{REASONS}/{reason_id}", json=body, headers=headers)


# --- create and list ----------------------------------------------------------------


def test_create_one_then_several_and_list(admin: TestClient) -> None:
    empty = admin.get(REASONS, params={"v": "2.0"})
    assert (empty.status_code, empty.json(), revision_of(empty)) == (200, [], 0)

    one = create(admin, {"text": "Lunch"})
    assert one.json() == {
        "id": 1,
        "text": "Lunch",
        "state": "Away",
        "enabled": True,
        "deleted": False,
    }
    assert revision_of(one) == 1

    several = create(
        admin,
        [
            {"text": "Meeting", "state": "Away", "enabled": False, "order": 2},
            {"text": "Training", "deleted": False, "extra": "ignored", "id": None},
        ],
    )
    assert several.json() == [
        {
            "id": 2,
            "text": "Meeting",
            "state": "Away",
            "enabled": False,
            "deleted": False,
            "order": 2,
        },
        {"id": 3, "text": "Training", "state": "Away", "enabled": True, "deleted": False},
    ]
    assert revision_of(several) == 2
    # Items with an order first; then by id.
    assert [item["id"] for item in listing(admin, v="2.0")] == [2, 1, 3]
    assert create(admin, []).json() == []  # nothing to create: the revision stays
    assert revision_of(admin.get(REASONS)) == 2


def test_readers_may_list_and_only_admin_may_change(
    service: ActivityService, admin: TestClient, reader: TestClient
) -> None:
    create(admin, {"text": "Lunch"})
    assert [item["text"] for item in listing(reader)] == ["Lunch"]
    assert_error(reader.post(REASONS, json={"text": "Coffee"}), 403, "admin")
    assert_error(reader.put(f"{REASONS}/1", json={"text": "x"}, headers={"If-Match": "1"}), 403)
    assert_error(reader.delete(f"{REASONS}/1", headers={"If-Match": "1"}), 403, "admin")
    ingest_only = make_credentials(service, ACCOUNT, ("ingest",))
    with client_for(service, ingest_only) as client:
        assert_error(client.get(REASONS), 403, "read", "admin")
    other = make_credentials(service, OTHER_ACCOUNT, ("read", "admin"))
    with client_for(service, other) as client:
        assert_error(client.get(REASONS), 403, ACCOUNT)
        assert_error(client.post(REASONS, json={"text": "x"}), 403, ACCOUNT)
    assert_error(admin.get(REASONS, auth=None), 401)
    assert_error(admin.post(REASONS, json={"text": "x"}, auth=None), 401)
    assert [item["text"] for item in listing(admin)] == ["Lunch"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": None}, "text"),
        ({"text": 7}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x" * 101}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "a\nb"}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"text": "x", "state": "Online"}, "state"),
        ({"text": "x", "state": 4}, "state"),
        ({"text": "x", "enabled": "yes"}, "enabled"),
        ({"text": "x", "enabled": 1}, "enabled"),
        ({"text": "x", "order": -1}, "order"),
        ({"text": "x", "order": "3"}, "order"),
        ({"text": "x", "order": 2**31}, "order"),
        ({"text": "x", "order": True}, "order"),
        ({"text": "x", "id": 5}, "id"),
        ({"text": "x", "deleted": True}, "deleted"),
        ({"text": "x", "deleted": "no"}, "deleted"),
        ("Lunch", "body"),
        (7, "body"),
        ([{"text": "ok"}, {"text": "ok too"}, {"text": 3}], "items[2].text"),
        ([{"text": "ok"}, "Lunch"], "items[1]"),
        ([{"text": "ok", "order": 1.5}], "items[0].order"),
    ],
)
def test_create_refuses_bad_items_naming_the_field(
    admin: TestClient, body: Any, field: str
) -> None:
    error = assert_error(admin.post(REASONS, json=body), 400, field)
    assert error["message"].startswith(field)
    assert revision_of(admin.get(REASONS)) == 0 and listing(admin) == []


def test_create_lists_every_problem_of_a_batch(admin: TestClient) -> None:
    error = assert_error(
        admin.post(REASONS, json=[{"text": ""}, {"text": "ok"}, {"enabled": 0}]), 400
    )
    assert [problem["field"] for problem in error["details"]] == [
        "items[0].text",
        "items[2].text",
        "items[2].enabled",
    ]


@pytest.mark.parametrize("body", [b"", b"{", b'{"text": "x"', b"[1,", b"\xff"])
def test_create_refuses_what_is_not_json(admin: TestClient, body: bytes) -> None:
    answer = admin.post(REASONS, content=body, headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "body")


def test_texts_are_unique_ignoring_case_and_a_batch_is_atomic(admin: TestClient) -> None:
    create(admin, {"text": "Lunch"})
    error = assert_error(admin.post(REASONS, json={"text": "lunch "}), 409, "text", "1")
    assert error["message"].startswith("text:")
    answer = admin.post(REASONS, json=[{"text": "Coaching"}, {"text": "LUNCH"}])
    assert_error(answer, 409, "items[1].text")
    assert_error(admin.post(REASONS, json=[{"text": "A"}, {"text": "a"}]), 409, "items[1].text")
    assert [item["text"] for item in listing(admin)] == ["Lunch"]
    assert revision_of(admin.get(REASONS)) == 1


def test_a_batch_over_the_limit_is_413(admin: TestClient) -> None:
    answer = admin.post(REASONS, json=[{"text": f"r{n}"} for n in range(1001)])
    assert_error(answer, 413, "1000")
    assert listing(admin) == []


def test_create_with_if_match_is_checked(admin: TestClient) -> None:
    assert_error(admin.post(REASONS, json={"text": "A"}, headers={"If-Match": "1"}), 412, "0")
    assert revision_of(create(admin, {"text": "A"}, **{"If-Match": "0"})) == 1


# --- update ---------------------------------------------------------------------------


def test_put_replaces_the_item_and_increments_the_revision(admin: TestClient) -> None:
    create(admin, [{"text": "Lunch", "order": 1}, {"text": "Meeting"}])
    answer = put(admin, 1, {"id": 1, "text": "Long lunch", "enabled": False}, "1")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": 1,
        "text": "Long lunch",
        "state": "Away",
        "enabled": False,
        "deleted": False,
    }
    assert revision_of(answer) == 2
    assert listing(admin)[0] == answer.json()
    # An entity tag form of the revision works too; the same values change nothing.
    again = put(admin, 1, {"text": "Long lunch", "enabled": False}, '"2"')
    assert (again.status_code, revision_of(again)) == (200, 2)
    assert revision_of(put(admin, 1, {"text": "Lunch"}, 'W/"2"')) == 3


def test_put_refusals(admin: TestClient) -> None:
    create(admin, [{"text": "Lunch"}, {"text": "Meeting"}])
    assert_error(put(admin, 1, {"text": "x"}, None), 428, "If-Match")
    for bad in ("one", "", "1.0", "-1", '"1', "*"):
        assert_error(put(admin, 1, {"text": "x"}, bad), 400, "If-Match")
    stale = put(admin, 1, {"text": "x"}, "0")
    assert_error(stale, 412, "revision 1")
    assert stale.headers["ac-revision"] == "1"
    assert_error(put(admin, 3, {"text": "x"}, "1"), 404, "statusReasonId", "3")
    for bad_id in ("0", "abc", "-1", "1.0", str(2**63)):
        assert_error(put(admin, bad_id, {"text": "x"}, "1"), 404, "statusReasonId")
    assert_error(put(admin, 1, {"id": 2, "text": "x"}, "1"), 400, "id")
    assert_error(put(admin, 1, {"id": "1", "text": "x"}, "1"), 400, "id")
    assert_error(put(admin, 1, {"state": "Away"}, "1"), 400, "text")
    assert_error(put(admin, 1, {"text": "meeting"}, "1"), 409, "text", "2")
    assert_error(put(admin, 1, ["Lunch"], "1"), 400, "body")
    assert revision_of(admin.get(REASONS)) == 1
    assert [item["text"] for item in listing(admin)] == ["Lunch", "Meeting"]


def test_post_with_method_override_is_a_put(admin: TestClient) -> None:
    create(admin, {"text": "Lunch"})
    answer = admin.post(
        f"{REASONS}/1",
        json={"text": "Brunch"},
        headers={"X-HTTP-Method-Override": "PUT", "If-Match": "1"},
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["text"], revision_of(answer)) == ("Brunch", 2)
    for override in (None, "DELETE", "PATCH"):
        headers = {"If-Match": "2"}
        if override:
            headers["X-HTTP-Method-Override"] = override
        answer = admin.post(f"{REASONS}/1", json={"text": "x"}, headers=headers)
        assert_error(answer, 400, "X-HTTP-Method-Override")
    assert listing(admin)[0]["text"] == "Brunch"


# --- delete -----------------------------------------------------------------------------


def test_delete_is_soft_and_include_deleted_shows_it(admin: TestClient) -> None:
    create(admin, [{"text": "Lunch"}, {"text": "Meeting"}])
    assert_error(admin.delete(f"{REASONS}/1"), 428, "If-Match")
    assert_error(admin.delete(f"{REASONS}/1", headers={"If-Match": "0"}), 412, "revision 1")
    assert_error(admin.delete(f"{REASONS}/9", headers={"If-Match": "1"}), 404, "9")
    answer = admin.delete(f"{REASONS}/1", headers={"If-Match": "1"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": 1,
        "text": "Lunch",
        "state": "Away",
        "enabled": True,
        "deleted": True,
    }
    assert revision_of(answer) == 2
    assert [item["id"] for item in listing(admin)] == [2]
    assert [item["id"] for item in listing(admin, include_deleted="false")] == [2]
    for value in ("true", "TRUE", "1"):
        shown = listing(admin, include_deleted=value)
        assert [(item["id"], item["deleted"]) for item in shown] == [(1, True), (2, False)]
    assert_error(admin.get(REASONS, params={"include_deleted": "yes"}), 400, "include_deleted")
    answer = admin.get(f"{REASONS}?include_deleted=true&include_deleted=false")
    assert_error(answer, 400, "include_deleted")
    # Deleting again changes nothing; the text is free for a new item.
    assert revision_of(admin.delete(f"{REASONS}/1", headers={"If-Match": "2"})) == 2
    assert create(admin, {"text": "LUNCH"}).json()["id"] == 3


def test_the_revision_counts_every_change(admin: TestClient) -> None:
    seen = [revision_of(admin.get(REASONS))]
    seen.append(revision_of(create(admin, {"text": "Lunch"})))
    seen.append(revision_of(create(admin, [{"text": "A"}, {"text": "B"}])))
    seen.append(revision_of(put(admin, 2, {"text": "AA"}, str(seen[-1]))))
    seen.append(revision_of(admin.delete(f"{REASONS}/3", headers={"If-Match": str(seen[-1])})))
    seen.append(revision_of(put(admin, 3, {"text": "B", "deleted": False}, str(seen[-1]))))
    assert seen == [0, 1, 2, 3, 4, 5]
    assert revision_of(admin.get(REASONS)) == 5


# --- domain discovery -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["accountConfigReadOnly", "accountConfigReadWrite"])
def test_discovery_answers_the_configuration_services(admin: TestClient, name: str) -> None:
    answer = admin.get(
        f"/api/account/{ACCOUNT}/service/{name}/baseURI.json", params={"version": "1.0"}, auth=None
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"service": name, "account": ACCOUNT, "baseURI": "127.0.0.1:8080"}
