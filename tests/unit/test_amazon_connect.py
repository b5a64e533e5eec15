"""Amazon Connect agent events -> our events (platforms/amazon_connect.py), SPEC 10."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from agentactivity.platforms.amazon_connect import ConnectEventError, agent_events, epoch_ms
from agentactivity.platforms.sightings import AMAZON_CONNECT, Sighting

FIXTURES = Path(__file__).parents[1] / "fixtures" / "amazon_connect"
SAMPLE = json.loads((FIXTURES / "sample-agent-event-stream.json").read_text())
ARN = SAMPLE["AgentARN"]
T0 = epoch_ms("2019-08-13T20:58:44.031Z", "t")


def event(kind: str = "STATE_CHANGE", status: str = "Available", **changes: Any) -> dict[str, Any]:
    """AWS's sample turned into another event type and status."""
    value = copy.deepcopy(SAMPLE)
    value["EventType"] = kind
    value["CurrentAgentSnapshot"]["AgentStatus"]["Name"] = status
    if kind in ("LOGIN", "LOGOUT"):
        del value["PreviousAgentSnapshot"]
    value.update(changes)
    return value


def chat(contact_id: str, state: str, start: str, channel: str = "CHAT") -> dict[str, Any]:
    return {
        "ContactId": contact_id,
        "Channel": channel,
        "InitiationMethod": "API",
        "State": state,
        "StateStartTimestamp": start,
    }


def fields(value: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [e.fields for e in agent_events(value, **kwargs)]


def test_times_are_exact_epoch_ms() -> None:
    assert epoch_ms("2019-08-13T20:58:44.031Z", "f") == 1565729924031
    assert epoch_ms("1970-01-01T00:00:00.001Z", "f") == 1
    assert epoch_ms("2019-08-13T22:58:44.031+02:00", "f") == 1565729924031
    assert epoch_ms("2024-03-05T23:59:59.999Z", "f") == 1709683199999


@pytest.mark.parametrize("bad", ["", "yesterday", "2019-08-13T20:58:44.031", 1565729924031, None])
def test_a_bad_time_names_the_field(bad: Any) -> None:
    with pytest.raises(ConnectEventError, match="EventTimestamp"):
        agent_events(event(EventTimestamp=bad))


def test_the_documented_sample_is_a_heartbeat_and_changes_nothing() -> None:
    assert agent_events(SAMPLE) == []


def test_status_available_is_online_at_its_start_with_the_chat_limit() -> None:
    (state, limit) = agent_events(event())
    assert state.agent == Sighting(AMAZON_CONNECT, ARN, "aestest", "AgentEventStreamTest Agent")
    start = epoch_ms("2019-08-13T20:52:30.704Z", "t")
    assert state.fields == {
        "type": "state",
        "time": start,
        "state": "ONLINE",
        "eventId": "EventId-1:state",
    }
    assert state.reason_text is None
    assert limit.fields == {
        "type": "max_chats",
        "time": T0,
        "maxChats": 3,
        "eventId": "EventId-1:max_chats",
    }


def test_offline_and_custom_statuses() -> None:
    assert fields(event(status="Offline"))[0]["state"] == "OFFLINE"
    (away, _) = agent_events(event(status="Lunch"))
    assert away.fields["state"] == "AWAY" and "reasonId" not in away.fields
    assert away.reason_text == "Lunch"


def test_logout_is_offline_at_the_event_time() -> None:
    assert fields(event("LOGOUT", status="Available")) == [
        {"type": "state", "time": T0, "state": "OFFLINE", "eventId": "EventId-1:state"}
    ]


def test_login_never_starts_before_the_login() -> None:
    # The status started at 20:52:30 (an earlier session); the login is at 20:58:44.
    (state, _) = agent_events(event("LOGIN"))
    assert state.fields["time"] == T0


def test_chats_appearing_and_leaving_connected() -> None:
    value = event()
    value["PreviousAgentSnapshot"]["Contacts"] = [
        chat("old", "CONNECTED", "2019-08-13T20:40:00.000Z"),
        chat("stays", "CONNECTED", "2019-08-13T20:41:00.000Z"),
        chat("new", "CONNECTING", "2019-08-13T20:58:40.000Z"),
        chat("voice", "CONNECTED", "2019-08-13T20:41:00.000Z", channel="VOICE"),
    ]
    value["CurrentAgentSnapshot"]["Contacts"] = [
        chat("old", "ENDED", "2019-08-13T20:58:44.031Z"),
        chat("stays", "CONNECTED", "2019-08-13T20:41:00.000Z"),
        chat("new", "CONNECTED", "2019-08-13T20:58:43.500Z"),
        chat("voice2", "CONNECTED", "2019-08-13T20:58:00.000Z", channel="VOICE"),
    ]
    chats = [f for f in fields(value) if f["type"].startswith("chat")]
    assert chats == [
        {
            "type": "chat_start",
            "time": epoch_ms("2019-08-13T20:58:43.500Z", "t"),
            "chatId": "new",
            "eventId": "EventId-1:chat_start:new",
        },
        {"type": "chat_end", "time": T0, "chatId": "old", "eventId": "EventId-1:chat_end:old"},
    ]


def test_login_without_previous_snapshot_starts_every_connected_chat() -> None:
    value = event("LOGIN")
    value["CurrentAgentSnapshot"]["Contacts"] = [chat("a", "CONNECTED", "2019-08-13T20:58:44.031Z")]
    assert [f["chatId"] for f in fields(value) if f["type"] == "chat_start"] == ["a"]


def test_long_ids_become_stable_digests_within_our_limits() -> None:
    contact_id = "x" * 200
    value = event("LOGIN", EventId="e" * 100)
    value["CurrentAgentSnapshot"]["Contacts"] = [
        chat(contact_id, "CONNECTED", "2019-08-13T20:58:44.031Z")
    ]
    first, again = fields(value), fields(copy.deepcopy(value))
    assert first == again
    for item in first:
        assert len(item["eventId"]) <= 128
    (start,) = [f for f in first if f["type"] == "chat_start"]
    assert len(start["chatId"]) <= 128 and start["chatId"].startswith("contact:")


def test_old_starts_move_up_to_the_floor_but_not_old_events() -> None:
    floor = T0 - 1_000
    (state, _) = agent_events(event(), not_before=floor)
    assert state.fields["time"] == floor
    # An event itself older than the floor keeps its times (the window refuses it).
    (state, _) = agent_events(event(), not_before=T0 + 1)
    assert state.fields["time"] == epoch_ms("2019-08-13T20:52:30.704Z", "t")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda e: e["CurrentAgentSnapshot"].pop("AgentStatus"),
            "CurrentAgentSnapshot.AgentStatus",
        ),
        (
            lambda e: e["CurrentAgentSnapshot"]["AgentStatus"].pop("Name"),
            "CurrentAgentSnapshot.AgentStatus.Name",
        ),
        (
            lambda e: e["CurrentAgentSnapshot"]["AgentStatus"].update(StartTimestamp="soon"),
            "CurrentAgentSnapshot.AgentStatus.StartTimestamp",
        ),
        (lambda e: e.pop("CurrentAgentSnapshot"), "CurrentAgentSnapshot"),
        (lambda e: e.pop("AgentARN"), "AgentARN"),
        (lambda e: e.pop("EventId"), "EventId"),
        (lambda e: e.pop("EventTimestamp"), "EventTimestamp"),
        (lambda e: e.update(EventType=7), "EventType"),
        (
            lambda e: e["CurrentAgentSnapshot"]["Configuration"]["RoutingProfile"]["Concurrency"][
                0
            ].update(MaximumSlots="3"),
            "MaximumSlots",
        ),
        (lambda e: e["CurrentAgentSnapshot"].update(Contacts={}), "CurrentAgentSnapshot.Contacts"),
        (
            lambda e: e["CurrentAgentSnapshot"].update(Contacts=[chat("c", "CONNECTED", "later")]),
            "StateStartTimestamp",
        ),
        (
            lambda e: e["CurrentAgentSnapshot"]["AgentStatus"].update(Name="\u0007"),
            "AgentStatus.Name",
        ),
    ],
)
def test_each_unreadable_field_is_named(change: Any, named: str) -> None:
    value = event()
    change(value)
    with pytest.raises(ConnectEventError, match=named.replace(".", r"\.")):
        agent_events(value)


def test_not_an_object() -> None:
    with pytest.raises(ConnectEventError, match="JSON object"):
        agent_events([SAMPLE])


def test_heartbeats_need_no_status_and_unknown_types_change_nothing() -> None:
    value = event("HEART_BEAT")
    del value["CurrentAgentSnapshot"]["AgentStatus"]
    assert agent_events(value) == []
    assert agent_events(event("SOMETHING_NEW")) == []
