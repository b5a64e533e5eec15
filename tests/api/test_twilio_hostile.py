"""The Twilio TaskRouter callback endpoint under hostile and broken input: every refusal a
clear 4xx that names what is wrong, nothing stored by a refused callback, nothing counted
twice. The store-backed cases run on both backends."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.platforms.twilio_signature import signature
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import open_store
from tests.api.conftest import BASE_URL, DAY, assert_error
from tests.api.twilio_support import (
    FORM,
    assert_no_content,
    callback_path,
    post_callback,
    set_up,
)
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock
from tests.store.conftest import BACKENDS, backend_url

TOKEN = "token-of-account-a"
OTHER_TOKEN = "token-of-account-b"
PUBLIC = "https://agents.example.com"


@dataclasses.dataclass
class World:
    url: str
    service: ActivityService
    client: TestClient
    clock: FakeClock

    def stored(self, account: str = ACCOUNT) -> int:
        return self.service.store.last_seq(account)

    def users(self, account: str = ACCOUNT) -> list[Any]:
        return self.service.store.directory.users.listing(account)[1]


def activity_update(clock: FakeClock, sid: str = "EV01", **fields: str) -> dict[str, str]:
    return {
        "EventType": "worker.activity.update",
        "Sid": sid,
        "TimestampMs": str(clock.now - 60_000),
        "WorkerSid": "WK0001",
        "WorkerName": "alice",
        "WorkerAttributes": '{"full_name": "Alice Moreau"}',
        "WorkerActivityName": "Available",
        **fields,
    }


def build(url: str, clock: FakeClock, **changes: Any) -> ActivityService:
    settings = dataclasses.replace(Settings(db_url=url), **changes)
    return ActivityService(open_store(url), settings, clock=clock)


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[World]:
    """Accounts A (token TOKEN) and B (OTHER_TOKEN) with the connector set up, on each
    backend, behind no proxy."""
    with backend_url(request.param, tmp_path) as url:
        service = build(url, clock)
        set_up(service, ACCOUNT, TOKEN)
        set_up(service, OTHER_ACCOUNT, OTHER_TOKEN)
        with TestClient(create_app(service), base_url=BASE_URL) as client:
            yield World(url, service, client, clock)
        service.store.close()


def test_a_signed_callback_is_stored_and_answered_204(world: World) -> None:
    assert_no_content(post_callback(world.client, ACCOUNT, activity_update(world.clock), TOKEN))
    assert world.stored() == 1
    (user,) = world.users()
    assert (user.login_name, user.full_name) == ("alice", "Alice Moreau")
    assert user.external_ids == (("twilio", "WK0001"),)
    # An event type that changes nothing is answered the same way, and stores nothing.
    ignored = {**activity_update(world.clock, "EV02"), "EventType": "task.created"}
    assert_no_content(post_callback(world.client, ACCOUNT, ignored, TOKEN))
    assert world.stored() == 1


@pytest.mark.parametrize(
    "case", ["missing", "garbage", "altered", "added", "dropped", "other account's token"]
)
def test_a_bad_or_missing_signature_is_403_and_stores_nothing(world: World, case: str) -> None:
    fields = activity_update(world.clock)
    if case == "missing":
        answer = world.client.post(
            callback_path(ACCOUNT), content=urlencode(fields), headers={"Content-Type": FORM}
        )
    elif case == "garbage":
        answer = post_callback(
            world.client, ACCOUNT, fields, TOKEN, headers={"X-Twilio-Signature": "bm90IGl0"}
        )
    elif case == "other account's token":
        answer = post_callback(world.client, ACCOUNT, fields, OTHER_TOKEN)
    else:
        # A valid signature of the callback Twilio sent, over fields altered on the way.
        sent = dict(fields)
        if case == "altered":
            sent["WorkerActivityName"] = "Offline"
        elif case == "added":
            sent["WorkerName"] = "mallory"
            sent["Extra"] = "1"
        else:
            del sent["WorkerAttributes"]
        answer = post_callback(world.client, ACCOUNT, sent, TOKEN, sign_fields=fields)
    assert_error(answer, 403, "X-Twilio-Signature")
    assert world.stored() == 0 and world.users() == []


def test_an_account_without_the_connector_is_404_saying_how_to_set_it_up(world: World) -> None:
    answer = post_callback(world.client, "99999", activity_update(world.clock), TOKEN)
    assert_error(answer, 404, "connectors twilio", "--auth-token")
    answer = post_callback(world.client, "not%20an%20id", activity_update(world.clock), TOKEN)
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "change, named",
    [
        ({"WorkerSid": ""}, "WorkerSid"),
        ({"TimestampMs": "soon"}, "TimestampMs"),
        ({"TimestampMs": "", "Timestamp": ""}, "Timestamp"),
        ({"Sid": ""}, "Sid"),
        ({"WorkerActivityName": ""}, "WorkerActivityName"),
    ],
)
def test_malformed_fields_are_400_naming_the_field(
    world: World, change: dict[str, str], named: str
) -> None:
    fields = {k: v for k, v in {**activity_update(world.clock), **change}.items() if v}
    assert_error(post_callback(world.client, ACCOUNT, fields, TOKEN), 400, named)
    assert world.stored() == 0 and world.users() == []


def test_an_event_outside_the_window_is_400_and_stores_nothing(world: World) -> None:
    old = activity_update(world.clock, TimestampMs=str(world.clock.now - 8 * DAY))
    assert_error(post_callback(world.client, ACCOUNT, old, TOKEN), 400, "time")
    future = activity_update(world.clock, TimestampMs=str(world.clock.now + DAY))
    assert_error(post_callback(world.client, ACCOUNT, future, TOKEN), 400, "time")
    assert world.stored() == 0


def test_what_is_not_a_form_is_refused(world: World) -> None:
    path = callback_path(ACCOUNT)
    answer = world.client.post(path, json=activity_update(world.clock))
    assert answer.status_code == 415 and "x-www-form-urlencoded" in answer.json()["message"]
    answer = world.client.post(path, content=b"A=\xff\xfe", headers={"Content-Type": FORM})
    assert_error(answer, 400, "UTF-8")
    answer = world.client.post(path, content=b"A=1&B", headers={"Content-Type": FORM})
    assert_error(answer, 400, "form")
    answer = world.client.post(path, content=b"A=" + b"x" * 300_000, headers={"Content-Type": FORM})
    assert_error(answer, 413)
    assert world.stored() == 0


def test_a_callback_delivered_again_counts_once(world: World) -> None:
    fields = activity_update(world.clock, WorkerActivityName="Break")
    for _ in range(3):
        assert_no_content(post_callback(world.client, ACCOUNT, fields, TOKEN))
    assert world.stored() == 1
    assert len(world.users()) == 1


def test_two_first_sightings_at_once_make_one_user(world: World) -> None:
    """Two servers on one database each get the first callback of a new worker at the
    same moment: one user, both events stored."""
    second = build(world.url, world.clock)
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]
    with TestClient(create_app(second), base_url=BASE_URL) as other:

        def send(n: int, client: TestClient) -> None:
            fields = activity_update(
                world.clock, f"EV-race-{n}", WorkerSid="WK-new", WorkerName="new"
            )
            barrier.wait()
            answers[n] = post_callback(client, ACCOUNT, fields, TOKEN)

        threads = [
            threading.Thread(target=send, args=(0, world.client)),
            threading.Thread(target=send, args=(1, other)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    second.store.close()
    for answer in answers:
        assert_no_content(answer)
    assert [user.external_ids for user in world.users()] == [(("twilio", "WK-new"),)]
    assert world.stored() == 2


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Twilio called https://agents.example.com/...; the proxy forwarded it to us over
    plain HTTP on another host and port. With --public-url the signature holds; without,
    it cannot (and a signature over the forwarded URL is not Twilio's)."""
    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    path = callback_path(ACCOUNT) + "?workspace=support"
    fields = activity_update(clock)
    twilios = signature(TOKEN, PUBLIC + path, list(fields.items()))
    forwarded = signature(TOKEN, BASE_URL + path, list(fields.items()))
    for public_url in (PUBLIC, None):
        service = build(url, clock, public_url=public_url)
        set_up(service, ACCOUNT, TOKEN)
        with TestClient(create_app(service), base_url=BASE_URL) as client:

            def post(signed: str) -> Any:
                headers = {"Content-Type": FORM, "X-Twilio-Signature": signed}
                return client.post(path, content=urlencode(fields), headers=headers)

            if public_url:
                assert_no_content(post(twilios))
                assert_error(post(forwarded), 403, "X-Twilio-Signature")
            else:
                assert_error(post(twilios), 403, "X-Twilio-Signature", BASE_URL)
        service.store.close()


def test_a_flood_is_limited_and_what_was_acknowledged_is_stored_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    service = build(f"sqlite:///{tmp_path / 'flood.db'}", clock, connector_rate_per_second=3)
    set_up(service, ACCOUNT, TOKEN)
    set_up(service, OTHER_ACCOUNT, OTHER_TOKEN)
    with TestClient(create_app(service), base_url=BASE_URL) as client:
        answers = [
            post_callback(client, ACCOUNT, activity_update(clock, f"EV{n}"), TOKEN)
            for n in range(12)
        ]
        limited = [a for a in answers if a.status_code == 429]
        accepted = [a for a in answers if a.status_code == 204]
        assert limited and len(limited) + len(accepted) == 12, [a.status_code for a in answers]
        for answer in limited:
            assert answer.headers["Retry-After"] == "1"
            assert "per second" in answer.json()["message"]
        assert service.store.last_seq(ACCOUNT) == len(accepted)
        # Refused signatures spend none of the budget, and another account has its own.
        other = post_callback(client, OTHER_ACCOUNT, activity_update(clock), OTHER_TOKEN)
        assert_no_content(other)
    service.store.close()
