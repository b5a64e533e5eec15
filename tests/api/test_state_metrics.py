"""The per-account live-state gauges on /metrics, checked against the current-state
listing (SPEC section 7) at the same instant."""

from __future__ import annotations

from collections import Counter
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from agentactivity.service import ActivityService
from tests.api.conftest import MINUTE, ingest, state
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, make_credentials

STATES = ("ONLINE", "BACK_SOON", "AWAY", "OFFLINE")


def families(client: TestClient) -> dict[str, Any]:
    answer = client.get("/metrics", auth=None)
    assert answer.status_code == 200, answer.text
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def values(family: Any) -> dict[frozenset[tuple[str, str]], float]:
    return {frozenset(s.labels.items()): s.value for s in family.samples}


def chat(agent: int, time: int, chat_id: str) -> dict[str, Any]:
    return {"type": "chat_start", "agentId": str(agent), "time": time, "chatId": chat_id}


def test_agent_gauges_match_the_current_state_listing(
    client: TestClient, service: ActivityService, clock: FakeClock
) -> None:
    now = clock.now
    make_credentials(service, OTHER_ACCOUNT, ("read",))  # an account without agents
    ingest(
        client,
        [
            {"type": "max_chats", "agentId": "1", "time": now - 9 * MINUTE, "maxChats": 1},
            state(1, now - 8 * MINUTE, "ONLINE"),
            chat(1, now - 7 * MINUTE, "a"),  # chatting, at its limit
            state(2, now - 8 * MINUTE, "AWAY", "lunch"),
            chat(2, now - 7 * MINUTE, "b"),  # chatting, no limit
            state(3, now - 8 * MINUTE, "BACK_SOON"),
            state(4, now - 8 * MINUTE, "ONLINE"),
            state(4, now - 7 * MINUTE, "OFFLINE"),
            chat(5, now - 7 * MINUTE, "c"),  # logged out with a chat: not chatting
            state(6, now + 30_000, "ONLINE"),  # future: not listed yet
        ],
    )
    found = families(client)
    listing = service.live.current_state(ACCOUNT, None, now)["agents"]
    expected = Counter(agent["state"] for agent in listing.values())
    agents = values(found["agentactivity_agents"])
    for name in STATES:
        assert agents[frozenset({("account", ACCOUNT), ("state", name)})] == expected[name]
        assert agents[frozenset({("account", OTHER_ACCOUNT), ("state", name)})] == 0
    assert sum(expected.values()) == 5 and expected["OFFLINE"] == 2

    chatting = values(found["agentactivity_agents_chatting"])
    busy = [a for a in listing.values() if a["state"] != "OFFLINE" and a["activeChats"] > 0]
    assert chatting[frozenset({("account", ACCOUNT)})] == len(busy) == 2
    at_max = values(found["agentactivity_agents_at_max_concurrency"])
    full = [a for a in listing.values() if a["atMaxConcurrency"]]
    assert at_max[frozenset({("account", ACCOUNT)})] == len(full) == 1

    # The future event takes effect: the gauges move with the clock.
    clock.now += 30_000
    agents = values(families(client)["agentactivity_agents"])
    assert agents[frozenset({("account", ACCOUNT), ("state", "ONLINE")})] == expected["ONLINE"] + 1


def test_help_and_type_lines(client: TestClient) -> None:
    text = client.get("/metrics", auth=None).text
    for name in (
        "agentactivity_agents",
        "agentactivity_agents_chatting",
        "agentactivity_agents_at_max_concurrency",
        "agentactivity_streams_open",
    ):
        assert f"# TYPE {name} gauge\n" in text
        assert f"# HELP {name} " in text


def test_open_streams_gauge(client: TestClient) -> None:
    hub = client.app.state.streams  # type: ignore[attr-defined]
    assert hub.acquire(ACCOUNT) and hub.acquire(ACCOUNT) and hub.acquire(OTHER_ACCOUNT)
    hub.release(OTHER_ACCOUNT)
    streams = values(families(client)["agentactivity_streams_open"])
    assert streams == {
        frozenset({("account", ACCOUNT)}): 2,
        frozenset({("account", OTHER_ACCOUNT)}): 0,
    }
