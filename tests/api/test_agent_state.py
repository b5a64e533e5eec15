"""`GET /api/account/{accountId}/agents/state` (SPEC section 7, current state) over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.credentials import Credentials
from agentactivity.events import Event
from agentactivity.service import ActivityService
from tests.api.conftest import (
    BASE_URL,
    HOUR,
    MINUTE,
    RETENTION,
    assert_error,
    client_for,
    ingest,
    state,
)
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, OAuth1Auth, make_credentials

STATE = f"/api/account/{ACCOUNT}/agents/state"


def current(client: TestClient, **params: Any) -> dict[str, Any]:
    params.setdefault("agentIds", "all")
    answer = client.get(STATE, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()  # type: ignore[no-any-return]


def test_shape_and_values(client: TestClient, clock: FakeClock) -> None:
    now = clock.now
    ingest(
        client,
        [
            {"type": "max_chats", "agentId": "10", "time": now - 5 * HOUR, "maxChats": 2},
            state(10, now - 4 * HOUR, "ONLINE"),
            {"type": "chat_start", "agentId": "10", "time": now - 3 * HOUR, "chatId": "a"},
            state(10, now - 2 * HOUR, "AWAY", "lunch"),
            state(10, now - HOUR, "AWAY", "lunch"),  # a repeat: `since` stays
            {"type": "chat_start", "agentId": "10", "time": now - MINUTE, "chatId": "b"},
            state(9, now - HOUR, "OFFLINE"),
            {"type": "chat_start", "agentId": "9", "time": now - 1, "chatId": "z"},
        ],
    )
    body = current(client)
    assert body["asOf"] == now
    assert list(body["agents"]) == ["9", "10"]  # numeric order, not string order
    assert body["agents"]["10"] == {
        "state": "AWAY",
        "reasonId": "lunch",
        "reasonName": None,
        "since": now - 2 * HOUR,
        "loggedInSince": now - 4 * HOUR,
        "activeChats": 2,
        "maxChats": 2,
        "atMaxConcurrency": True,
        # No directory entry (SPEC 8): no name fields, in the root group.
        "agentName": None,
        "employeeId": None,
        "agentGroupId": "-1",
    }
    assert body["agents"]["9"] == {
        "state": "OFFLINE",
        "reasonId": None,
        "reasonName": None,
        "since": None,  # never changed from the initial logged-out state
        "loggedInSince": None,
        "activeChats": 1,  # started while logged out: counts
        "maxChats": 0,
        "atMaxConcurrency": False,
        "agentName": None,
        "employeeId": None,
        "agentGroupId": "-1",
    }
    # `to`: the state as events up to that instant left it (inclusive).
    earlier = current(client, to=now - 3 * HOUR)
    assert earlier["asOf"] == now - 3 * HOUR
    assert list(earlier["agents"]) == ["10"]
    assert earlier["agents"]["10"]["state"] == "ONLINE"
    assert earlier["agents"]["10"]["activeChats"] == 1
    assert earlier["agents"]["10"]["since"] == now - 4 * HOUR
    # An id list: those among the listed agents, unknown ids left out.
    assert list(current(client, agentIds=" 10 ,10, 77")["agents"]) == ["10"]


def test_listing_follows_the_retention_window(
    service: ActivityService, client: TestClient, clock: FakeClock
) -> None:
    now = clock.now
    ingest(client, [state(1, now - RETENTION + MINUTE, "ONLINE"), state(2, now - HOUR, "ONLINE")])
    assert list(current(client)["agents"]) == ["1", "2"]
    # Later, agent 1's only event has left the window ending at now: not listed.
    clock.now = now + 2 * MINUTE
    assert list(current(client)["agents"]) == ["2"]
    # ... but a `to` whose window still holds it lists it again.
    assert list(current(client, to=now)["agents"]) == ["1", "2"]
    # Before an agent's first event it is not listed.
    assert list(current(client, to=now - 2 * HOUR)["agents"]) == ["1"]


def test_read_your_writes(service: ActivityService, client: TestClient, clock: FakeClock) -> None:
    now = clock.now
    assert current(client) == {"asOf": now, "agents": {}}
    ingest(client, [state(5, now, "BACK_SOON")])
    assert current(client)["agents"]["5"]["state"] == "BACK_SOON"
    # A write by another process sharing the store (straight to the store): seen too.
    service.store.append(ACCOUNT, [Event("state", 5, now, "direct", state="OFFLINE")])
    assert current(client)["agents"]["5"]["state"] == "OFFLINE"


def test_authentication_and_scope(service: ActivityService, client: TestClient) -> None:
    assert_error(client.get(STATE, params={"agentIds": "all"}, auth=None), 401)
    writer = make_credentials(service, ACCOUNT, ("ingest",))
    with client_for(service, writer) as ingest_only:
        assert_error(ingest_only.get(STATE, params={"agentIds": "all"}), 403)
    foreign = make_credentials(service, OTHER_ACCOUNT, ("read", "ingest"))
    with client_for(service, foreign) as other:
        assert_error(other.get(STATE, params={"agentIds": "all"}), 403)
    assert_error(client.get("/api/account/no%20such/agents/state?agentIds=all"), 404)
    assert_error(client.post(STATE, params={"agentIds": "all"}), 405)


def test_agent_ids_are_checked(client: TestClient) -> None:
    assert_error(client.get(STATE), 400, "agentIds")
    for bad in ("", "  ", "1,,2", "x", "0", "-3", "1;2", str(2**63), "1.5"):
        assert_error(client.get(STATE, params={"agentIds": bad}), 400, "agentIds")
    answer = client.get(f"{STATE}?agentIds=all&agentIds=1")
    assert_error(answer, 400, "agentIds")
    assert current(client, agentIds="ALL")["agents"] == {}


def test_too_many_agent_ids(
    service: ActivityService, make_service: Callable[..., ActivityService]
) -> None:
    small = make_service(service, max_agent_ids=2)
    with client_for(small, make_credentials(small, ACCOUNT, ("read",))) as client:
        assert client.get(STATE, params={"agentIds": "1,2,2"}).status_code == 200
        assert_error(client.get(STATE, params={"agentIds": "1,2,3"}), 400, "agentIds")


def test_to_is_checked(client: TestClient, clock: FakeClock) -> None:
    now = clock.now
    assert current(client, to=now)["asOf"] == now
    assert current(client, to=f" {now - RETENTION} ")["asOf"] == now - RETENTION
    assert current(client, to="")["asOf"] == now  # blank = absent
    for bad in (now + 1, now - RETENTION - 1, "soon", "1.5", -1):
        assert_error(client.get(STATE, params={"agentIds": "all", "to": bad}), 400, "to")
    both = client.get(STATE, params={"agentIds": "x", "to": "y"})
    assert len(assert_error(both, 400, "agentIds")["details"]) == 2
    assert_error(client.get(f"{STATE}?agentIds=all&to={now}&to={now}"), 400, "to")


def test_rate_limited_like_queries(service: ActivityService, credentials: Credentials) -> None:
    app = create_app(service, limiter=RateLimiter(max_concurrent=1, rate_per_second=1))
    with TestClient(app, base_url=BASE_URL) as client:
        client.auth = OAuth1Auth(credentials)
        answers = [client.get(STATE, params={"agentIds": "all"}) for _ in range(3)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert limited[0].headers["retry-after"] == "1"
