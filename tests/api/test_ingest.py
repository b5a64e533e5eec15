"""SPEC section 2 through HTTP: body forms, field rules, atomic batches, idempotency, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentactivity.service import ActivityService
from tests.api.conftest import (
    ACTIVITY,
    EVENTS,
    HOUR,
    MINUTE,
    RETENTION,
    activity,
    assert_error,
    client_for,
    entry,
    ingest,
    per_agent,
    state,
)
from tests.conftest import ACCOUNT, FakeClock, OAuth1Auth, make_credentials

NDJSON = {"Content-Type": "application/x-ndjson"}


def _logged_in_seconds(body: dict[str, Any], agent: str) -> int:
    return entry(per_agent(body)[agent], -1)["value"]["total"]


def _nothing_stored(client, service: ActivityService) -> None:
    assert service.store.last_seq(ACCOUNT) == 0
    assert per_agent(activity(client, timeframe=1440)) == {}


# --- body forms -----------------------------------------------------------------------------


def test_json_array(client, clock: FakeClock):
    now = clock.now
    batch = [state(7, now - HOUR, "ONLINE"), state(8, now - HOUR, "AWAY")]
    answer = client.post(EVENTS, json=batch)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 2, "duplicates": 0}
    assert list(per_agent(activity(client, timeframe=30))) == ["7", "8"]


def test_events_object(client, clock: FakeClock):
    now = clock.now
    answer = client.post(EVENTS, json={"events": [state(7, now - HOUR, "ONLINE")], "source": "x"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 1, "duplicates": 0}
    assert _logged_in_seconds(activity(client, timeframe=30), "7") == 1800


def test_ndjson_with_blank_lines(client, clock: FakeClock):
    now = clock.now
    lines = [
        json.dumps(state(7, now - HOUR, "ONLINE")),
        "",
        "   ",
        json.dumps(state(8, now - HOUR, "BACK_SOON")),
        "",
    ]
    answer = client.post(EVENTS, content="\n".join(lines).encode(), headers=NDJSON)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 2, "duplicates": 0}
    assert list(per_agent(activity(client, timeframe=30))) == ["7", "8"]


def test_ndjson_with_crlf_and_charset(client, clock: FakeClock):
    now = clock.now
    body = "\r\n".join(json.dumps(state(a, now - HOUR, "ONLINE")) for a in (1, 2, 3)) + "\r\n"
    answer = client.post(
        EVENTS,
        content=body.encode(),
        headers={"Content-Type": "application/x-ndjson; charset=utf-8"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 3, "duplicates": 0}


def test_ndjson_bad_line_is_named(client, clock: FakeClock, service: ActivityService):
    now = clock.now
    lines = [
        json.dumps(state(7, now - HOUR, "ONLINE")),
        "",
        "{not json",
        json.dumps(state(8, now, "ONLINE")),
    ]
    answer = client.post(EVENTS, content="\n".join(lines).encode(), headers=NDJSON)
    body = assert_error(answer, 400, "line 3")
    _nothing_stored(client, service)
    assert body["status"] == 400


def test_ndjson_invalid_event_is_refused(client, clock: FakeClock, service: ActivityService):
    now = clock.now
    lines = [json.dumps(state(7, now - HOUR, "ONLINE")), json.dumps(state(8, now, "SLEEPING"))]
    answer = client.post(EVENTS, content="\n".join(lines).encode(), headers=NDJSON)
    body = assert_error(answer, 400, "state")
    assert body["details"] == [{"index": 1, "message": body["details"][0]["message"]}]
    _nothing_stored(client, service)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"events": 5}', b'{"type": "state"}', b"5", b'"x"', b"null", b"", b"\xff\xfe"],
)
def test_body_that_is_no_batch(client, service: ActivityService, body):
    answer = client.post(EVENTS, content=body, headers={"Content-Type": "application/json"})
    assert_error(answer, 400)
    assert service.store.last_seq(ACCOUNT) == 0


@pytest.mark.parametrize("body", [[], {"events": []}])
def test_empty_batch(client, body):
    answer = client.post(EVENTS, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 0, "duplicates": 0}


def test_empty_ndjson(client):
    answer = client.post(EVENTS, content=b"\n\n", headers=NDJSON)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 0, "duplicates": 0}


# --- field rules ----------------------------------------------------------------------------


def _valid(now: int, type_: str = "state") -> dict[str, Any]:
    base: dict[str, Any] = {"type": type_, "agentId": "7", "time": now - MINUTE}
    extra = {
        "state": {"state": "ONLINE"},
        "chat_start": {"chatId": "c1"},
        "chat_end": {"chatId": "c1"},
        "max_chats": {"maxChats": 2},
    }[type_]
    return {**base, **extra}


# (type, change: field -> value, or field -> None to remove, field named in the message)
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("state", {"type": None}, "type"),
    ("state", {"type": "login"}, "type"),
    ("state", {"type": "STATE"}, "type"),
    ("state", {"type": 1}, "type"),
    ("state", {"agentId": None}, "agentId"),
    ("state", {"agentId": ""}, "agentId"),
    ("state", {"agentId": "abc"}, "agentId"),
    ("state", {"agentId": "0"}, "agentId"),
    ("state", {"agentId": 0}, "agentId"),
    ("state", {"agentId": -7}, "agentId"),
    ("state", {"agentId": "-7"}, "agentId"),
    ("state", {"agentId": "+7"}, "agentId"),
    ("state", {"agentId": " 7"}, "agentId"),
    ("state", {"agentId": "7.0"}, "agentId"),
    ("state", {"agentId": float(2**53 + 2)}, "agentId"),  # a float too large to be exact
    ("state", {"agentId": 7.5}, "agentId"),
    ("state", {"agentId": True}, "agentId"),
    ("state", {"agentId": 2**63}, "agentId"),
    ("state", {"agentId": str(2**63)}, "agentId"),
    ("state", {"agentId": "9" * 30}, "agentId"),
    ("state", {"agentId": ["7"]}, "agentId"),
    ("state", {"agentId": "٧"}, "agentId"),
    ("state", {"time": None}, "time"),
    ("state", {"time": "1700000000000"}, "time"),
    ("state", {"time": True}, "time"),
    ("state", {"eventId": ""}, "eventId"),
    ("state", {"eventId": "e" * 129}, "eventId"),
    ("state", {"eventId": 12}, "eventId"),
    ("state", {"eventId": ["e"]}, "eventId"),
    ("state", {"state": None}, "state"),
    ("state", {"state": "online"}, "state"),
    ("state", {"state": "BUSY"}, "state"),
    ("state", {"state": 1}, "state"),
    ("state", {"reasonId": "lunch"}, "reasonId"),  # on ONLINE
    ("state", {"state": "BACK_SOON", "reasonId": "lunch"}, "reasonId"),
    ("state", {"state": "OFFLINE", "reasonId": "lunch"}, "reasonId"),
    ("state", {"state": "AWAY", "reasonId": ""}, "reasonId"),
    ("state", {"state": "AWAY", "reasonId": "r" * 65}, "reasonId"),
    ("state", {"state": "AWAY", "reasonId": 42}, "reasonId"),
    ("state", {"chatId": "c1"}, "chatId"),
    ("state", {"maxChats": 3}, "maxChats"),
    ("chat_start", {"chatId": None}, "chatId"),
    ("chat_start", {"chatId": ""}, "chatId"),
    ("chat_start", {"chatId": "c" * 129}, "chatId"),
    ("chat_start", {"chatId": 5}, "chatId"),
    ("chat_start", {"state": "ONLINE"}, "state"),
    ("chat_start", {"reasonId": "lunch"}, "reasonId"),
    ("chat_start", {"maxChats": 2}, "maxChats"),
    ("chat_end", {"chatId": None}, "chatId"),
    ("chat_end", {"chatId": ""}, "chatId"),
    ("chat_end", {"chatId": "c" * 129}, "chatId"),
    ("chat_end", {"maxChats": 2}, "maxChats"),
    ("chat_end", {"state": "AWAY"}, "state"),
    ("max_chats", {"maxChats": None}, "maxChats"),
    ("max_chats", {"maxChats": -1}, "maxChats"),
    ("max_chats", {"maxChats": 1001}, "maxChats"),
    ("max_chats", {"maxChats": 1001.0}, "maxChats"),
    ("max_chats", {"maxChats": 2.5}, "maxChats"),
    ("max_chats", {"maxChats": "2"}, "maxChats"),
    ("max_chats", {"maxChats": True}, "maxChats"),
    ("max_chats", {"chatId": "c1"}, "chatId"),
    ("max_chats", {"state": "ONLINE"}, "state"),
    ("max_chats", {"reasonId": "lunch"}, "reasonId"),
]


def _apply(event: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    event = dict(event)
    for field, value in change.items():
        if value is None:
            event.pop(field, None)
        else:
            event[field] = value
    return event


@pytest.mark.parametrize(
    "type_,change,field", INVALID, ids=[f"{t}-{json.dumps(c)[:40]}" for t, c, _ in INVALID]
)
def test_invalid_field(client, clock: FakeClock, service: ActivityService, type_, change, field):
    event = _apply(_valid(clock.now, type_), change)
    answer = client.post(EVENTS, json=[_valid(clock.now), event])
    body = assert_error(answer, 400, field)
    assert body["details"] == [{"index": 1, "message": body["details"][0]["message"]}], body
    assert field in body["details"][0]["message"], body
    assert service.store.last_seq(ACCOUNT) == 0


@pytest.mark.parametrize("item", [5, "event", None, ["state"], True])
def test_event_that_is_not_an_object(client, service: ActivityService, item):
    body = assert_error(client.post(EVENTS, json=[item]), 400)
    assert [d["index"] for d in body["details"]] == [0]
    assert service.store.last_seq(ACCOUNT) == 0


def test_time_as_float(client, clock: FakeClock, service: ActivityService):
    answer = client.post(EVENTS, json=[state(7, clock.now - 1000.5, "ONLINE")])
    body = assert_error(answer, 400, "time")
    assert body["details"][0]["index"] == 0
    assert service.store.last_seq(ACCOUNT) == 0
    # JSON does not tell 5 from 5.0: a whole number written with a fraction is taken.
    answer = client.post(EVENTS, json=[state(7, float(clock.now - 1000), "ONLINE")])
    assert answer.json() == {"accepted": 1, "duplicates": 0}


def test_whole_numbers_written_with_a_fraction_are_taken(client, clock: FakeClock):
    events = [
        {"type": "max_chats", "agentId": 7.0, "time": clock.now - 2000, "maxChats": 2.0},
        {"type": "state", "agentId": "7", "time": float(clock.now - 1000), "state": "ONLINE"},
    ]
    assert client.post(EVENTS, json=events).json() == {"accepted": 2, "duplicates": 0}
    # The same content with plain integers is the same events (same derived ids).
    events = [
        {"type": "max_chats", "agentId": 7, "time": clock.now - 2000, "maxChats": 2},
        {"type": "state", "agentId": 7, "time": clock.now - 1000, "state": "ONLINE"},
    ]
    assert client.post(EVENTS, json=events).json() == {"accepted": 0, "duplicates": 2}


def test_time_older_than_the_retention(client, clock: FakeClock, service: ActivityService):
    oldest = clock.now - RETENTION
    assert_error(client.post(EVENTS, json=[state(7, oldest - 1, "ONLINE")]), 400, "time")
    assert service.store.last_seq(ACCOUNT) == 0
    assert ingest(client, [state(7, oldest, "ONLINE")]) == {"accepted": 1, "duplicates": 0}


def test_time_more_than_60s_in_the_future(client, clock: FakeClock, service: ActivityService):
    newest = clock.now + 60_000
    assert_error(client.post(EVENTS, json=[state(7, newest + 1, "ONLINE")]), 400, "time")
    assert service.store.last_seq(ACCOUNT) == 0
    assert ingest(client, [state(7, newest, "ONLINE")]) == {"accepted": 1, "duplicates": 0}


VALID_EDGES: list[tuple[str, dict[str, Any]]] = [
    ("state", {"agentId": 7}),
    ("state", {"agentId": "1"}),
    ("state", {"agentId": 2**63 - 1}),
    ("state", {"agentId": str(2**63 - 1)}),
    ("state", {"eventId": "e"}),
    ("state", {"eventId": "é" * 128}),
    ("state", {"state": "AWAY", "reasonId": "r"}),
    ("state", {"state": "AWAY", "reasonId": "r" * 64}),
    ("state", {"state": "AWAY"}),
    ("state", {"state": "BACK_SOON"}),
    ("state", {"state": "OFFLINE"}),
    ("state", {"reasonId": None, "chatId": None}),
    ("chat_start", {"chatId": "c" * 128}),
    ("chat_end", {"chatId": "x"}),
    ("max_chats", {"maxChats": 0}),
    ("max_chats", {"maxChats": 1000}),
]


@pytest.mark.parametrize(
    "type_,change", VALID_EDGES, ids=[f"{t}-{json.dumps(c)[:40]}" for t, c in VALID_EDGES]
)
def test_valid_edge(client, clock: FakeClock, service: ActivityService, type_, change):
    event = _valid(clock.now, type_)
    event.update(change)
    assert ingest(client, [event]) == {"accepted": 1, "duplicates": 0}
    assert service.store.last_seq(ACCOUNT) == 1


def test_explicit_nulls_count_as_absent(client, clock: FakeClock):
    event = {
        **_valid(clock.now),
        "reasonId": None,
        "chatId": None,
        "maxChats": None,
        "eventId": None,
    }
    assert ingest(client, [event]) == {"accepted": 1, "duplicates": 0}
    assert ingest(client, [_valid(clock.now)]) == {"accepted": 0, "duplicates": 1}


# --- atomic batches -------------------------------------------------------------------------


def test_several_bad_events_are_all_listed_and_nothing_is_stored(
    client, clock: FakeClock, service: ActivityService
):
    now = clock.now
    batch = [
        state(7, now - HOUR, "ONLINE"),
        state(8, now - HOUR, "NAPPING"),
        {"type": "chat_start", "agentId": "7", "time": now - HOUR},
        state(9, now - HOUR, "ONLINE"),
        {"type": "max_chats", "agentId": "7", "time": now - HOUR, "maxChats": 5000},
        state(10, now - RETENTION - 1, "ONLINE"),
        "not an event",
        state(11, now - HOUR, "ONLINE"),
    ]
    body = assert_error(client.post(EVENTS, json=batch), 400)
    details = body["details"]
    assert [d["index"] for d in details] == [1, 2, 4, 5, 6], details
    assert all(set(d) == {"index", "message"} for d in details), details
    assert "state" in details[0]["message"]
    assert "chatId" in details[1]["message"]
    assert "maxChats" in details[2]["message"]
    assert "time" in details[3]["message"]
    _nothing_stored(client, service)
    # The good events of the refused batch were not stored: sending them now accepts them all.
    good = [batch[i] for i in (0, 3, 7)]
    assert ingest(client, good) == {"accepted": 3, "duplicates": 0}


def test_refused_batch_leaves_earlier_data_unchanged(
    client, clock: FakeClock, service: ActivityService
):
    now = clock.now
    ingest(client, [state(7, now - HOUR, "ONLINE")])
    before = activity(client, timeframe=60)
    answer = client.post(EVENTS, json=[state(7, now - 30 * MINUTE, "OFFLINE"), state(8, now, "X")])
    assert_error(answer, 400)
    assert service.store.last_seq(ACCOUNT) == 1
    assert activity(client, timeframe=60) == before


# --- idempotency ----------------------------------------------------------------------------


def test_same_event_id_again_is_a_duplicate(client, clock: FakeClock):
    now = clock.now
    event = state(7, now - HOUR, "ONLINE", eventId="e-1")
    assert ingest(client, [event]) == {"accepted": 1, "duplicates": 0}
    assert ingest(client, [event]) == {"accepted": 0, "duplicates": 1}
    # Same id, other content: still the same event (the id is the idempotency key).
    other = state(7, now - 30 * MINUTE, "OFFLINE", eventId="e-1")
    assert ingest(client, [other]) == {"accepted": 0, "duplicates": 1}
    assert _logged_in_seconds(activity(client, timeframe=60), "7") == 3600


def test_resent_batch_without_event_ids_is_all_duplicates(client, clock: FakeClock, service):
    now = clock.now
    batch = [
        state(7, now - HOUR, "ONLINE"),
        {"type": "max_chats", "agentId": "7", "time": now - HOUR, "maxChats": 1},
        {"type": "chat_start", "agentId": "7", "time": now - 50 * MINUTE, "chatId": "c1"},
        {"type": "chat_end", "agentId": "7", "time": now - 40 * MINUTE, "chatId": "c1"},
        state(7, now - 30 * MINUTE, "AWAY", "lunch"),
    ]
    assert ingest(client, batch) == {"accepted": 5, "duplicates": 0}
    first = activity(client, timeframe=60)
    assert ingest(client, batch) == {"accepted": 0, "duplicates": 5}
    # agentId as an integer is the same agent, hence the same event.
    as_int = [{**e, "agentId": 7} for e in batch]
    assert ingest(client, as_int) == {"accepted": 0, "duplicates": 5}
    assert service.store.last_seq(ACCOUNT) == 5
    assert activity(client, timeframe=60) == first


def test_events_differing_in_any_field_are_distinct(client, clock: FakeClock, service):
    now = clock.now
    t = now - HOUR
    base_state = state(7, t, "AWAY", "lunch")
    base_chat = {"type": "chat_start", "agentId": "7", "time": t, "chatId": "c1"}
    base_max = {"type": "max_chats", "agentId": "7", "time": t, "maxChats": 2}
    variants = [
        base_state,
        {**base_state, "agentId": "8"},
        {**base_state, "time": t + 1},
        {**base_state, "reasonId": "lunch2"},
        state(7, t, "AWAY"),
        state(7, t, "ONLINE"),
        state(7, t, "BACK_SOON"),
        state(7, t, "OFFLINE"),
        base_chat,
        {**base_chat, "chatId": "c2"},
        {**base_chat, "type": "chat_end"},
        base_max,
        {**base_max, "maxChats": 3},
        {**base_max, "maxChats": 0},
    ]
    assert ingest(client, variants) == {"accepted": len(variants), "duplicates": 0}
    assert ingest(client, variants) == {"accepted": 0, "duplicates": len(variants)}
    assert service.store.last_seq(ACCOUNT) == len(variants)


def test_repeat_inside_one_batch_is_a_duplicate(client, clock: FakeClock, service):
    now = clock.now
    derived = state(7, now - HOUR, "ONLINE")
    explicit = state(8, now - HOUR, "ONLINE", eventId="x")
    same_id = state(8, now - 10 * MINUTE, "OFFLINE", eventId="x")
    answer = ingest(client, [derived, explicit, derived, same_id, explicit])
    assert answer == {"accepted": 2, "duplicates": 3}
    assert service.store.last_seq(ACCOUNT) == 2
    figures = activity(client, timeframe=60)
    assert _logged_in_seconds(figures, "7") == 3600
    assert _logged_in_seconds(figures, "8") == 3600  # the OFFLINE with a repeated id was ignored


def test_event_ids_are_per_account(client, clock: FakeClock, service):
    other = make_credentials(service, "87654321", ("read", "ingest"))
    event = state(7, clock.now - HOUR, "ONLINE", eventId="shared")
    assert ingest(client, [event]) == {"accepted": 1, "duplicates": 0}
    answer = client.post("/api/account/87654321/events", json=[event], auth=OAuth1Auth(other))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 1, "duplicates": 0}


# --- late events and read-your-writes ----------------------------------------------------


def test_late_events_change_the_next_answer(client, clock: FakeClock):
    now = clock.now
    ingest(client, [state(7, now - 20 * MINUTE, "ONLINE")])
    agent = per_agent(activity(client, timeframe=60))["7"]
    assert entry(agent, 2)["value"]["total"] == 1200
    assert entry(agent, -1)["value"]["total"] == 1200

    # Earlier than everything ingested so far: Away (lunch) from -50 min.
    ingest(client, [state(7, now - 50 * MINUTE, "AWAY", "lunch")])
    agent = per_agent(activity(client, timeframe=60))["7"]
    assert entry(agent, 2)["value"]["total"] == 1200
    away = entry(agent, 4)
    assert away["value"]["total"] == 1800
    assert away["reasons"] == [
        {
            "id": "lunch",
            "value": {
                "total": 1800,
                "chatting": 0,
                "notChatting": 1800,
                "chattingInMaxConcurrency": 0,
            },
        }
    ]
    assert entry(agent, -1)["value"]["total"] == 3000

    # In between: logged out from -30 to -20 min.
    ingest(client, [state(7, now - 30 * MINUTE, "OFFLINE")])
    agent = per_agent(activity(client, timeframe=60))["7"]
    assert entry(agent, 4)["value"]["total"] == 1200
    assert entry(agent, 4)["reasons"][0]["value"]["total"] == 1200
    assert entry(agent, 2)["value"]["total"] == 1200
    assert entry(agent, -1)["value"]["total"] == 2400

    # A late chat inside the Online stretch, at the agent's limit of one chat.
    ingest(
        client,
        [
            {"type": "chat_start", "agentId": "7", "time": now - 15 * MINUTE, "chatId": "c"},
            {"type": "max_chats", "agentId": "7", "time": now - 55 * MINUTE, "maxChats": 1},
            {"type": "chat_end", "agentId": "7", "time": now - 5 * MINUTE, "chatId": "c"},
        ],
    )
    online = entry(per_agent(activity(client, timeframe=60))["7"], 2)["value"]
    assert online == {
        "total": 1200,
        "chatting": 600,
        "notChatting": 600,
        "chattingInMaxConcurrency": 600,
    }


def test_late_event_before_the_window_changes_the_window(client, clock: FakeClock):
    now = clock.now
    ingest(client, [state(7, now - 10 * MINUTE, "OFFLINE")])
    assert per_agent(activity(client, timeframe=60)) == {}
    ingest(client, [state(7, now - 3 * HOUR, "BACK_SOON")])
    agent = per_agent(activity(client, timeframe=60))["7"]
    assert entry(agent, 3)["value"]["total"] == 3000
    assert entry(agent, -1)["value"]["total"] == 3000


# --- limits ---------------------------------------------------------------------------------


def test_more_than_10000_events_is_413_and_nothing_stored(client, clock: FakeClock, service):
    now = clock.now
    batch = [
        state(1 + i % 50, now - HOUR + i, "ONLINE" if i % 2 else "AWAY") for i in range(10_001)
    ]
    assert_error(client.post(EVENTS, json=batch), 413, "10000")
    _nothing_stored(client, service)
    assert ingest(client, batch[:10_000])["accepted"] == 10_000


def test_more_than_10000_ndjson_lines_is_413(client, clock: FakeClock, service):
    now = clock.now
    body = "\n".join(json.dumps(state(7, now - HOUR + i, "ONLINE")) for i in range(10_001))
    assert_error(client.post(EVENTS, content=body.encode(), headers=NDJSON), 413)
    assert service.store.last_seq(ACCOUNT) == 0


def test_batch_limit_is_configurable(service, make_service, credentials, clock: FakeClock):
    small = make_service(service, max_batch_events=3)
    small.store.add_credentials(credentials)
    now = clock.now
    with client_for(small, credentials) as client:
        batch = [state(7, now - HOUR + i, "ONLINE") for i in range(4)]
        assert_error(client.post(EVENTS, json={"events": batch}), 413)
        assert small.store.last_seq(ACCOUNT) == 0
        assert ingest(client, batch[:3]) == {"accepted": 3, "duplicates": 0}


@pytest.fixture
def small_body_client(service, make_service, credentials):
    small = make_service(service, max_body_bytes=1000)
    small.store.add_credentials(credentials)
    with client_for(small, credentials) as client:
        yield client, small


def test_body_over_the_byte_limit_is_413(small_body_client, clock: FakeClock):
    client, small = small_body_client
    now = clock.now
    batch = [state(7, now - HOUR + i, "ONLINE", eventId=f"event-{i}") for i in range(20)]
    assert len(json.dumps(batch)) > 1000
    assert_error(client.post(EVENTS, json=batch), 413)
    assert small.store.last_seq(ACCOUNT) == 0
    assert ingest(client, batch[:5]) == {"accepted": 5, "duplicates": 0}


def test_chunked_body_over_the_byte_limit_is_413(small_body_client, clock: FakeClock):
    client, small = small_body_client
    line = json.dumps(state(7, clock.now - HOUR, "ONLINE")).encode() + b"\n"

    def chunks():
        for _ in range(40):
            yield line

    answer = client.post(EVENTS, content=chunks(), headers=NDJSON)
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert_error(answer, 413)
    assert small.store.last_seq(ACCOUNT) == 0


def test_query_body_over_the_byte_limit_is_413(small_body_client):
    client, _ = small_body_client
    body = {"timeframe": 60, "agentIds": ",".join(str(i) for i in range(1, 400)), "v": 1}
    assert_error(client.post(ACTIVITY, json=body), 413)
