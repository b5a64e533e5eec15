"""Amazon Connect's agent event stream, one event at a time, into our events (SPEC 10).

An agent event (a JSON object, model: "Agent event streams data model") carries the
agent's whole situation twice: `CurrentAgentSnapshot` and, except on LOGIN and LOGOUT,
`PreviousAgentSnapshot`. What we derive from one event:

- LOGIN / STATE_CHANGE: a `state` event from the current `AgentStatus` (`Available` ->
  ONLINE, `Offline` -> OFFLINE, any other name -> AWAY with that name as the status
  reason) at its `StartTimestamp`, on every such event, changed or not: a repeat at the
  same time changes no figure and makes no status-change record, and it puts an agent
  right even when the connector started after the agent logged in. On LOGIN the time is
  never before the login itself (a status kept from an earlier session would otherwise
  begin before that session's LOGOUT).
- LOGOUT: OFFLINE at `EventTimestamp`.
- CHAT contacts in CONNECTED now and not before: `chat_start` at the contact's
  `StateStartTimestamp`; in CONNECTED before and not now: `chat_end` at `EventTimestamp`.
  Without a previous snapshot (LOGIN) every CONNECTED chat is new.
- The routing profile's CHAT `MaximumSlots`: `max_chats` at `EventTimestamp`, on every
  LOGIN and STATE_CHANGE (the same reasoning as for the state).
- HEART_BEAT, and any event type not yet known: nothing (their fields are still checked).

Every derived event's `eventId` is the Connect `EventId` with a suffix naming what was
derived, so a redelivered record is all duplicates. Pure: no store, no clock.
"""

from __future__ import annotations

import hashlib
from typing import Any

from agentactivity.clock import parse_rfc3339
from agentactivity.configuration import text_problem
from agentactivity.events import MAX_CHAT_ID_LEN, MAX_CHATS_LIMIT, MAX_EVENT_ID_LEN
from agentactivity.platforms.sightings import AMAZON_CONNECT, PlatformEvent, Sighting
from agentactivity.reasons import MAX_TEXT_CHARS

EVENT_TYPES = ("LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT")
# The agent status names Connect always has; every other name is a custom status.
AVAILABLE, OFFLINE = "Available", "Offline"
CHAT, CONNECTED = "CHAT", "CONNECTED"


class ConnectEventError(ValueError):
    """An agent event we cannot read; the message names the field at fault."""


def epoch_ms(value: Any, field: str) -> int:
    """An ISO 8601 time with its zone (`2019-08-13T20:58:44.031Z`) as epoch ms, exactly."""
    if not isinstance(value, str) or not value:
        raise ConnectEventError(
            f"{field} must be an ISO 8601 time such as 2019-08-13T20:58:44.031Z"
        )
    try:
        return parse_rfc3339(value)  # exact to the ms; the zone is required
    except ValueError:
        raise ConnectEventError(
            f"{field} {value[:40]!r} is not an ISO 8601 time with its zone, such as "
            "2019-08-13T20:58:44.031Z"
        ) from None


def _object(value: Any, field: str, required: bool = True) -> dict[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ConnectEventError(f"{field} must be a JSON object")
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConnectEventError(f"{field} is required (a non-empty string)")
    return value


def _short_id(text: str, max_len: int, prefix: str) -> str:
    """`text` if it fits our id rules, else a stable digest of it (the same every retry)."""
    if len(text) <= max_len:
        return text
    return prefix + hashlib.sha256(text.encode()).hexdigest()


def _event_id(base: str, suffix: str) -> str:
    return _short_id(f"{base}:{suffix}", MAX_EVENT_ID_LEN, "amazon-connect:")


def _connected_chats(snapshot: dict[str, Any], field: str) -> dict[str, dict[str, Any]]:
    """The snapshot's CHAT contacts in CONNECTED, by ContactId."""
    contacts = snapshot.get("Contacts")
    if contacts is None:
        return {}
    if not isinstance(contacts, list):
        raise ConnectEventError(f"{field}.Contacts must be a JSON array")
    chats: dict[str, dict[str, Any]] = {}
    for number, contact in enumerate(contacts):
        where = f"{field}.Contacts[{number}]"
        contact = _object(contact, where)
        if contact.get("Channel") == CHAT and contact.get("State") == CONNECTED:
            chats[_text(contact.get("ContactId"), f"{where}.ContactId")] = contact
    return chats


def _chat_limit(snapshot: dict[str, Any], field: str) -> int | None:
    """The routing profile's CHAT MaximumSlots, or None when it has no CHAT channel."""
    configuration = _object(snapshot.get("Configuration"), f"{field}.Configuration", False)
    where = f"{field}.Configuration.RoutingProfile"
    profile = _object(configuration.get("RoutingProfile"), where, False)
    concurrency = profile.get("Concurrency")
    if concurrency is None:
        return None
    if not isinstance(concurrency, list):
        raise ConnectEventError(f"{where}.Concurrency must be a JSON array")
    for number, entry in enumerate(concurrency):
        entry = _object(entry, f"{where}.Concurrency[{number}]")
        if entry.get("Channel") != CHAT:
            continue
        slots = entry.get("MaximumSlots")
        if type(slots) is not int or not 0 <= slots <= MAX_CHATS_LIMIT:
            raise ConnectEventError(
                f"{where}.Concurrency[{number}].MaximumSlots must be an integer "
                f"from 0 to {MAX_CHATS_LIMIT}"
            )
        return slots
    return None


def _sighting(arn: str, snapshot: dict[str, Any]) -> Sighting:
    configuration = snapshot.get("Configuration")
    configuration = configuration if isinstance(configuration, dict) else {}
    username = configuration.get("Username")
    # Without a user name (not documented to happen) the ARN's last part names the agent.
    login = username if isinstance(username, str) and username.strip() else arn.rsplit("/", 1)[-1]
    names = (configuration.get("FirstName"), configuration.get("LastName"))
    full = " ".join(n.strip() for n in names if isinstance(n, str) and n.strip())
    return Sighting(AMAZON_CONNECT, arn, login.strip(), full)


def _state(status_name: str) -> tuple[str, str | None]:
    """Our state, and the status reason's text for an AWAY one."""
    if status_name == AVAILABLE:
        return "ONLINE", None
    if status_name == OFFLINE:
        return "OFFLINE", None
    # Our reason texts are at most 100 characters; Connect's names may be longer.
    text = status_name.strip()[:MAX_TEXT_CHARS]
    if (problem := text_problem(text, MAX_TEXT_CHARS)) is not None:
        raise ConnectEventError(f"CurrentAgentSnapshot.AgentStatus.Name {problem}")
    return "AWAY", text


def agent_events(event: Any, not_before: int | None = None) -> list[PlatformEvent]:
    """Our events for one Connect agent event, or ConnectEventError naming the field.

    `not_before` (epoch ms, optional): a start time carried from before it (a status or
    a chat begun long ago) is moved up to it, so that an agent who stayed in a status for
    longer than the live window does not make the whole delivery refused forever."""
    event = _object(event, "the record (an agent event)")
    event_type = _text(event.get("EventType"), "EventType")
    event_id = _text(event.get("EventId"), "EventId")
    arn = _text(event.get("AgentARN"), "AgentARN")
    at = epoch_ms(event.get("EventTimestamp"), "EventTimestamp")
    if event_type not in ("LOGIN", "LOGOUT", "STATE_CHANGE"):
        return []  # HEART_BEAT, or a type Connect adds later: no change of ours
    current = _object(event.get("CurrentAgentSnapshot"), "CurrentAgentSnapshot")
    agent = _sighting(arn, current)

    def since(time: int) -> int:
        return time if not_before is None or at < not_before else max(time, not_before)

    def emit(suffix: str, fields: dict[str, Any], reason: str | None = None) -> PlatformEvent:
        fields["eventId"] = _event_id(event_id, suffix)
        return PlatformEvent(agent, fields, reason)

    if event_type == "LOGOUT":
        return [emit("state", {"type": "state", "time": at, "state": "OFFLINE"})]
    out: list[PlatformEvent] = []
    status = _object(current.get("AgentStatus"), "CurrentAgentSnapshot.AgentStatus")
    name = _text(status.get("Name"), "CurrentAgentSnapshot.AgentStatus.Name")
    start = epoch_ms(
        status.get("StartTimestamp"), "CurrentAgentSnapshot.AgentStatus.StartTimestamp"
    )
    if event_type == "LOGIN":
        start = max(start, at)
    state, reason = _state(name)
    out.append(emit("state", {"type": "state", "time": since(start), "state": state}, reason))

    previous_field = "PreviousAgentSnapshot"
    previous = _object(event.get(previous_field), previous_field, required=False)
    before = _connected_chats(previous, previous_field)
    now = _connected_chats(current, "CurrentAgentSnapshot")
    for contact_id, contact in now.items():
        if contact_id in before:
            continue
        where = f"CurrentAgentSnapshot.Contacts[ContactId={contact_id[:64]}].StateStartTimestamp"
        began = since(epoch_ms(contact.get("StateStartTimestamp"), where))
        chat = {"type": "chat_start", "time": began, "chatId": _chat_id(contact_id)}
        out.append(emit(f"chat_start:{contact_id}", chat))
    for contact_id in sorted(before.keys() - now.keys()):
        chat = {"type": "chat_end", "time": at, "chatId": _chat_id(contact_id)}
        out.append(emit(f"chat_end:{contact_id}", chat))

    limit = _chat_limit(current, "CurrentAgentSnapshot")
    if limit is not None:
        out.append(emit("max_chats", {"type": "max_chats", "time": at, "maxChats": limit}))
    return out


def _chat_id(contact_id: str) -> str:
    return _short_id(contact_id, MAX_CHAT_ID_LEN, "contact:")
