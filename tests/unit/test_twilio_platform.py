"""The Twilio TaskRouter translation and signature, as pure functions (platforms/)."""

from __future__ import annotations

from typing import Any

import pytest

from agentactivity.platforms.sightings import TWILIO, Sighting
from agentactivity.platforms.twilio import (
    CallbackError,
    SettingsProblem,
    TwilioSettings,
    event_time,
    parse_activity_option,
    translate,
)
from agentactivity.platforms.twilio_signature import is_valid, signature, url_variants

# Twilio's worked example (Security docs, "Validating requests"), recomputed.
EXAMPLE_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
EXAMPLE_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+12349013030"),
    ("Digits", "1234"),
    ("From", "+12349013030"),
    ("To", "+18005551212"),
]
EXAMPLE_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

SETTINGS = TwilioSettings(auth_token="secret")
WORKER = {
    "WorkerSid": "WK0001",
    "WorkerName": "alice",
    "WorkerAttributes": '{"full_name": "Alice Moreau", "maxChats": 2}',
}


def callback(event_type: str, **fields: str) -> dict[str, str]:
    return {
        "EventType": event_type,
        "Sid": "EV0001",
        "TimestampMs": "1710230400123",
        **WORKER,
        **fields,
    }


def test_the_worked_example_of_twilio_signs_as_documented() -> None:
    assert signature("12345", EXAMPLE_URL, EXAMPLE_PARAMS) == EXAMPLE_SIGNATURE
    # The order parameters arrive in does not matter: they are sorted by name.
    assert signature("12345", EXAMPLE_URL, list(reversed(EXAMPLE_PARAMS))) == EXAMPLE_SIGNATURE
    assert is_valid("12345", EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE)


@pytest.mark.parametrize(
    "token, url, params, given",
    [
        ("12345", EXAMPLE_URL, EXAMPLE_PARAMS, None),  # missing
        ("12345", EXAMPLE_URL, EXAMPLE_PARAMS, ""),
        ("12345", EXAMPLE_URL, EXAMPLE_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ"),  # cut short
        ("54321", EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE),  # another token
        ("12345", EXAMPLE_URL + "&baz=3", EXAMPLE_PARAMS, EXAMPLE_SIGNATURE),  # another URL
        ("12345", EXAMPLE_URL, [*EXAMPLE_PARAMS[:-1], ("To", "+18005551213")], EXAMPLE_SIGNATURE),
        ("12345", EXAMPLE_URL, [*EXAMPLE_PARAMS, ("Extra", "1")], EXAMPLE_SIGNATURE),
        ("12345", EXAMPLE_URL, EXAMPLE_PARAMS[1:], EXAMPLE_SIGNATURE),  # a field dropped
    ],
)
def test_anything_but_the_signed_request_is_refused(
    token: str, url: str, params: list[tuple[str, str]], given: str | None
) -> None:
    assert not is_valid(token, url, params, given)


def test_the_url_is_accepted_with_and_without_its_default_port() -> None:
    assert url_variants("https://a.example/x?y=1") == (
        "https://a.example/x?y=1",
        "https://a.example:443/x?y=1",
    )
    signed_with_port = signature("t", "https://a.example:443/x", [("A", "1")])
    assert is_valid("t", "https://a.example/x", [("A", "1")], signed_with_port)
    signed_without = signature("t", "http://a.example/x", [("A", "1")])
    assert is_valid("t", "http://a.example:80/x", [("A", "1")], signed_without)
    # Another host or scheme is never accepted.
    assert not is_valid("t", "https://b.example/x", [("A", "1")], signed_with_port)


def test_repeated_names_sign_every_distinct_value_sorted() -> None:
    params = [("B", "2"), ("A", "z"), ("A", "y"), ("A", "y")]
    expected = signature("t", "https://h/p", [("A", "y"), ("A", "z"), ("B", "2")])
    assert signature("t", "https://h/p", params) == expected
    assert signature("t", "https://h/p", [("A", "z"), ("B", "2")]) != expected


def test_activity_updates_become_states_through_the_mapping() -> None:
    settings = TwilioSettings("t", activities={"Wrap Up": "BACK_SOON", "Training": "AWAY"})
    cases = {
        "Available": ("ONLINE", None),
        "available": ("ONLINE", None),  # names are matched ignoring case
        "Offline": ("OFFLINE", None),
        "Break": ("AWAY", "Break"),
        "Wrap Up": ("BACK_SOON", None),
        "Training": ("AWAY", "Training"),
    }
    for activity, (state, reason) in cases.items():
        (event,) = translate(
            callback("worker.activity.update", WorkerActivityName=activity), settings
        )
        assert event.fields == {
            "type": "state",
            "time": 1710230400123,
            "eventId": "EV0001",
            "state": state,
        }
        assert event.reason_text == reason
        assert event.agent == Sighting(TWILIO, "WK0001", "alice", "Alice Moreau")


def test_an_account_mapping_overrides_the_defaults() -> None:
    settings = TwilioSettings("t", activities={"Available": "BACK_SOON"})
    (event,) = translate(
        callback("worker.activity.update", WorkerActivityName="Available"), settings
    )
    assert event.fields["state"] == "BACK_SOON"


def test_reservations_on_the_chat_channel_start_and_end_chats() -> None:
    chat = {"TaskSid": "WT0001", "TaskChannelUniqueName": "chat"}
    (start,) = translate(callback("reservation.accepted", **chat), SETTINGS)
    assert start.fields == {
        "type": "chat_start",
        "time": 1710230400123,
        "eventId": "EV0001",
        "chatId": "WT0001",
    }
    for ending in ("reservation.wrapup", "reservation.completed"):
        (end,) = translate(callback(ending, **chat), SETTINGS)
        assert end.fields["type"] == "chat_end" and end.fields["chatId"] == "WT0001"
    voice = {"TaskSid": "WT0002", "TaskChannelUniqueName": "voice"}
    assert translate(callback("reservation.accepted", **voice), SETTINGS) == []
    assert translate(callback("reservation.accepted", TaskSid="WT3"), SETTINGS) == []
    # Another chat channel name, set per account.
    sms = TwilioSettings("t", chat_channel="sms")
    assert translate(callback("reservation.accepted", **chat), sms) == []
    (start,) = translate(
        callback("reservation.accepted", TaskSid="WT4", TaskChannelUniqueName="sms"), sms
    )
    assert start.fields["chatId"] == "WT4"


def test_capacity_comes_from_the_callback_else_from_worker_attributes() -> None:
    on_chat = {"TaskChannelUniqueName": "chat"}
    (event,) = translate(
        callback("worker.capacity.update", WorkerChannelCapacity="5", **on_chat), SETTINGS
    )
    assert event.fields["type"] == "max_chats" and event.fields["maxChats"] == 5
    (event,) = translate(callback("worker.capacity.update", **on_chat), SETTINGS)
    assert event.fields["maxChats"] == 2  # WorkerAttributes.maxChats
    other_key = TwilioSettings("t", capacity_attribute="chatLimit")
    assert translate(callback("worker.capacity.update", **on_chat), other_key) == []
    fields = callback("worker.capacity.update", **on_chat)
    fields["WorkerAttributes"] = '{"chatLimit": "4"}'
    (event,) = translate(fields, other_key)
    assert event.fields["maxChats"] == 4
    voice = callback(
        "worker.capacity.update", WorkerChannelCapacity="1", TaskChannelUniqueName="voice"
    )
    assert translate(voice, SETTINGS) == []


@pytest.mark.parametrize(
    "event_type", ["task.created", "reservation.created", "worker.attributes.update", "x"]
)
def test_other_event_types_change_nothing(event_type: str) -> None:
    assert translate({"EventType": event_type}, SETTINGS) == []


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"EventType": ""}, "EventType"),
        (callback("worker.activity.update", WorkerActivityName="Break", WorkerSid=""), "WorkerSid"),
        (callback("worker.activity.update", WorkerActivityName="Break", Sid=""), "Sid"),
        (callback("worker.activity.update"), "WorkerActivityName"),
        (
            callback("worker.activity.update", WorkerActivityName="B", TimestampMs="1e12"),
            "TimestampMs",
        ),
        (
            callback("worker.activity.update", WorkerActivityName="B", TimestampMs="-5"),
            "TimestampMs",
        ),
        (callback("reservation.accepted", TaskChannelUniqueName="chat"), "TaskSid"),
        (
            callback("reservation.accepted", TaskChannelUniqueName="chat", TaskSid="W" * 129),
            "TaskSid",
        ),
        (
            callback(
                "worker.capacity.update", TaskChannelUniqueName="chat", WorkerChannelCapacity="x"
            ),
            "WorkerChannelCapacity",
        ),
        (
            callback(
                "worker.capacity.update", TaskChannelUniqueName="chat", WorkerChannelCapacity="1001"
            ),
            "WorkerChannelCapacity",
        ),
        (
            {
                **callback("worker.capacity.update", TaskChannelUniqueName="chat"),
                "WorkerAttributes": "[1",
            },
            "WorkerAttributes",
        ),
        (
            {
                **callback("worker.capacity.update", TaskChannelUniqueName="chat"),
                "WorkerAttributes": '{"maxChats": true}',
            },
            "WorkerAttributes.maxChats",
        ),
    ],
)
def test_missing_or_malformed_fields_are_named(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(CallbackError, match=named.replace(".", r"\.")):
        translate(fields, SETTINGS)


def test_names_are_taken_as_far_as_they_can_be() -> None:
    fields = callback("worker.activity.update", WorkerActivityName="Available", WorkerName="")
    fields["WorkerAttributes"] = "not json"  # names only: the state change still counts
    (event,) = translate(fields, SETTINGS)
    assert event.agent == Sighting(TWILIO, "WK0001", "WK0001", "")


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"TimestampMs": "1710230400123", "Timestamp": "1"}, 1710230400123),
        ({"Timestamp": "1710230400"}, 1710230400000),
        ({"Timestamp": "1710230400.5"}, 1710230400500),
        ({"Timestamp": "1710230400123"}, 1710230400123),
        ({"Timestamp": "2024-03-12T08:00:00Z"}, 1710230400000),
        ({"Timestamp": "2024-03-12T09:00:00.250+01:00"}, 1710230400250),
    ],
)
def test_the_time_is_timestamp_ms_else_timestamp_in_any_of_its_forms(
    fields: dict[str, str], expected: int
) -> None:
    assert event_time(fields) == expected


@pytest.mark.parametrize(
    "fields, named",
    [
        ({}, "Timestamp"),
        ({"Timestamp": "yesterday"}, "Timestamp"),
        ({"Timestamp": "2024-03-12T08:00:00"}, "UTC offset"),
        ({"TimestampMs": "12.5"}, "TimestampMs"),
    ],
)
def test_a_time_that_cannot_be_read_is_refused(fields: dict[str, str], named: str) -> None:
    with pytest.raises(CallbackError, match=named):
        event_time(fields)


def test_settings_round_trip_and_refuse_unknown_states() -> None:
    settings = TwilioSettings("tok", {"Break": "AWAY"}, "limit", "webchat")
    assert TwilioSettings.from_json(settings.to_json()) == settings
    assert "authToken" not in settings.public_json()
    assert parse_activity_option("Wrap up=back_soon") == ("Wrap up", "BACK_SOON")
    assert parse_activity_option("A=B=online") == ("A=B", "ONLINE")
    for bad in ("Break", "=AWAY", "Break=ASLEEP"):
        with pytest.raises(SettingsProblem):
            parse_activity_option(bad)
    with pytest.raises(SettingsProblem, match="authToken"):
        TwilioSettings.from_json({})
    with pytest.raises(SettingsProblem, match="Lunch"):
        TwilioSettings.from_json({"authToken": "t", "activities": {"Lunch": "NAP"}})
