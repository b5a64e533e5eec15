"""Twilio TaskRouter event callbacks turned into our events (SPEC section 10).

TaskRouter POSTs one event per request, as form fields, to the Workspace's
EventCallbackUrl. Four event types matter; every other one changes nothing:

- `worker.activity.update` -> `state`, through the account's activity mapping (default
  `Offline` -> OFFLINE, `Available` -> ONLINE, any other activity -> AWAY with the
  activity's name as the status reason's text);
- `reservation.accepted` -> `chat_start`, `reservation.wrapup` / `reservation.completed`
  -> `chat_end` (chatId = TaskSid), on the chat channel only (`TaskChannelUniqueName`);
- `worker.capacity.update` on the chat channel -> `max_chats`: `WorkerChannelCapacity`
  if the callback carries it, else a number under a key of the JSON `WorkerAttributes`,
  else nothing.

The event's `Sid` (EV...) is the eventId, so a callback delivered twice is a duplicate.
A task both wrapped up and completed gives two chat_end events with different eventIds:
the second ends a chat no longer active, a no-op (SPEC section 2), so it counts once.
The time is `TimestampMs`, else `Timestamp` (epoch seconds, epoch ms or ISO 8601).

Also the account's connector settings (auth token, mapping, capacity key, chat channel)
as the JSON object the store keeps. Pure: no store, no clock, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentactivity.clock import parse_rfc3339
from agentactivity.directory_items import MAX_NAME_CHARS
from agentactivity.platforms.sightings import TWILIO, PlatformEvent, Sighting
from agentactivity.reasons import MAX_TEXT_CHARS

CONNECTOR = "twilio"  # the connector's name in the store's settings
STATES = ("ONLINE", "BACK_SOON", "AWAY", "OFFLINE")
DEFAULT_ACTIVITIES = {"Offline": "OFFLINE", "Available": "ONLINE"}
DEFAULT_CAPACITY_ATTRIBUTE = "maxChats"
DEFAULT_CHAT_CHANNEL = "chat"
MAX_CHATS = 1000
MAX_TEXT = 128  # eventIds and chatIds (SPEC section 2)

ACTIVITY_UPDATE = "worker.activity.update"
CAPACITY_UPDATE = "worker.capacity.update"
CHAT_STARTS = frozenset({"reservation.accepted"})
CHAT_ENDS = frozenset({"reservation.wrapup", "reservation.completed"})
TRANSLATED = frozenset({ACTIVITY_UPDATE, CAPACITY_UPDATE, *CHAT_STARTS, *CHAT_ENDS})

_DIGITS = re.compile(r"[0-9]{1,16}")
_SECONDS = re.compile(r"[0-9]{1,11}(\.[0-9]{1,6})?")
# Epoch values below this are seconds, above it milliseconds (the year 5138 in seconds,
# March 1973 in ms): Timestamp has no documented unit, and both are seen in the field.
_MS_THRESHOLD = 100_000_000_000


class CallbackError(ValueError):
    """A callback that cannot be read; the message names the field at fault."""


class SettingsProblem(ValueError):
    """Connector settings that cannot be used; the message names the option."""


@dataclass(frozen=True)
class TwilioSettings:
    """One account's Twilio connector: the auth token that keys the signature, the
    activity names mapped to our states (on top of the defaults), the WorkerAttributes
    key holding the chat capacity, and the task channel whose tasks are chats."""

    auth_token: str
    activities: Mapping[str, str] = field(default_factory=dict)
    capacity_attribute: str = DEFAULT_CAPACITY_ATTRIBUTE
    chat_channel: str = DEFAULT_CHAT_CHANNEL

    def state_of(self, activity: str) -> str:
        """Our state for an activity name: the account's mapping, then the defaults, each
        by exact name first and then ignoring case; anything else is AWAY."""
        for table in (self.activities, DEFAULT_ACTIVITIES):
            if activity in table:
                return table[activity]
            folded = activity.casefold()
            for name, state in table.items():
                if name.casefold() == folded:
                    return state
        return "AWAY"

    def to_json(self) -> dict[str, Any]:
        return {
            "authToken": self.auth_token,
            "activities": dict(self.activities),
            "capacityAttribute": self.capacity_attribute,
            "chatChannel": self.chat_channel,
        }

    def public_json(self) -> dict[str, Any]:
        """The settings without the secret, for people and logs."""
        shown = self.to_json()
        del shown["authToken"]
        return shown

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> TwilioSettings:
        """The settings as stored (see to_json); SettingsProblem if unusable."""
        token = value.get("authToken")
        if not isinstance(token, str) or not token:
            raise SettingsProblem("authToken: missing; set it with --auth-token")
        activities = value.get("activities", {})
        if not isinstance(activities, dict):
            raise SettingsProblem("activities: must be an object of name -> state")
        return cls(
            auth_token=token,
            activities=checked_activities(activities.items()),
            capacity_attribute=str(value.get("capacityAttribute") or DEFAULT_CAPACITY_ATTRIBUTE),
            chat_channel=str(value.get("chatChannel") or DEFAULT_CHAT_CHANNEL),
        )


def checked_activities(pairs: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Activity name -> state, every state one of STATES (any case on input)."""
    result: dict[str, str] = {}
    for name, state in pairs:
        if not isinstance(name, str) or not name.strip():
            raise SettingsProblem("activity names must not be empty")
        upper = state.strip().upper().replace(" ", "_") if isinstance(state, str) else ""
        if upper not in STATES:
            raise SettingsProblem(
                f"activity {name!r}: state {state!r} is not one of {', '.join(STATES)}"
            )
        result[name.strip()] = upper
    return result


def parse_activity_option(text: str) -> tuple[str, str]:
    """`Name=STATE` as the CLI's --activity takes it."""
    name, sep, state = text.rpartition("=")
    if not sep or not name.strip():
        raise SettingsProblem(f"--activity {text!r}: write NAME=STATE, e.g. 'Break=AWAY'")
    ((checked_name, checked_state),) = checked_activities([(name, state)]).items()
    return checked_name, checked_state


def translate(fields: Mapping[str, str], settings: TwilioSettings) -> list[PlatformEvent]:
    """The events of one callback's form fields: none for event types that change
    nothing (or chats on another channel); CallbackError naming the field if a field
    the event needs is missing or malformed."""
    event_type = _required(fields, "EventType")
    if event_type not in TRANSLATED:
        return []
    if event_type == ACTIVITY_UPDATE:
        return [_state_event(fields, settings)]
    if not _on_chat_channel(fields, settings):
        return []
    if event_type == CAPACITY_UPDATE:
        return _capacity_events(fields, settings)
    chat_id = _text(fields, "TaskSid")
    kind = "chat_start" if event_type in CHAT_STARTS else "chat_end"
    return [PlatformEvent(_sighting(fields), {**_common(fields, kind), "chatId": chat_id})]


def event_time(fields: Mapping[str, str]) -> int:
    """Epoch ms of the event: `TimestampMs` (integer ms), else `Timestamp`."""
    given_ms = fields.get("TimestampMs", "").strip()
    if given_ms:
        if not _DIGITS.fullmatch(given_ms):
            raise CallbackError(f"TimestampMs {given_ms!r}: must be epoch milliseconds")
        return int(given_ms)
    stamp = fields.get("Timestamp", "").strip()
    if not stamp:
        raise CallbackError("TimestampMs and Timestamp: missing; one is needed for the time")
    if _SECONDS.fullmatch(stamp) or _DIGITS.fullmatch(stamp):
        number = float(stamp)
        return int(number if number >= _MS_THRESHOLD else round(number * 1000))
    try:
        return parse_rfc3339(stamp)  # exact to the ms; the offset is required
    except ValueError:
        raise CallbackError(
            f"Timestamp {stamp!r}: must be epoch seconds, epoch ms or an ISO 8601 time "
            "with its UTC offset (2024-03-12T08:00:00Z)"
        ) from None


def _state_event(fields: Mapping[str, str], settings: TwilioSettings) -> PlatformEvent:
    activity = _required(fields, "WorkerActivityName")
    state = settings.state_of(activity)
    reason = activity[:MAX_TEXT_CHARS] if state == "AWAY" else None
    return PlatformEvent(_sighting(fields), {**_common(fields, "state"), "state": state}, reason)


def _capacity_events(fields: Mapping[str, str], settings: TwilioSettings) -> list[PlatformEvent]:
    capacity = fields.get("WorkerChannelCapacity", "").strip()
    if capacity:
        limit = _chat_limit(capacity, "WorkerChannelCapacity")
    else:
        key = settings.capacity_attribute
        value = _attributes(fields, required=True).get(key)
        if value is None:
            return []  # nothing says the limit: it stays as it was (SPEC section 10)
        limit = _chat_limit(value, f"WorkerAttributes.{key}")
    return [PlatformEvent(_sighting(fields), {**_common(fields, "max_chats"), "maxChats": limit})]


def _chat_limit(value: Any, name: str) -> int:
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if type(value) is not int or not 0 <= value <= MAX_CHATS:
        raise CallbackError(f"{name} {value!r}: must be a whole number 0..{MAX_CHATS}")
    return value


def _on_chat_channel(fields: Mapping[str, str], settings: TwilioSettings) -> bool:
    channel = fields.get("TaskChannelUniqueName", "").strip()
    return channel.casefold() == settings.chat_channel.casefold()


def _common(fields: Mapping[str, str], kind: str) -> dict[str, Any]:
    return {"type": kind, "time": event_time(fields), "eventId": _text(fields, "Sid")}


def _sighting(fields: Mapping[str, str]) -> Sighting:
    worker = _text(fields, "WorkerSid")
    login = fields.get("WorkerName", "").strip() or worker
    full_name = _attributes(fields, required=False).get("full_name")
    return Sighting(
        TWILIO,
        worker,
        login[:MAX_NAME_CHARS],
        full_name.strip()[:MAX_NAME_CHARS] if isinstance(full_name, str) else "",
    )


def _attributes(fields: Mapping[str, str], required: bool) -> dict[str, Any]:
    """The JSON object of `WorkerAttributes`; `{}` when absent, or when malformed and
    only names are read from it (a name must not cost a state change)."""
    text = fields.get("WorkerAttributes", "").strip()
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        return value
    if required:
        raise CallbackError("WorkerAttributes: must be a JSON object")
    return {}


def _required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise CallbackError(f"{name}: missing")
    return value


def _text(fields: Mapping[str, str], name: str) -> str:
    value = _required(fields, name)
    if len(value) > MAX_TEXT:
        raise CallbackError(f"{name}: longer than {MAX_TEXT} characters")
    return value
