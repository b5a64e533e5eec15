"""The event model and its validation: what producers send to the ingest endpoint.

Every rule here comes from SPEC section 2. Validation collects one message per bad
event so that a refused batch tells the producer everything that is wrong at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from agentactivity.clock import MINUTE_MS

EVENT_TYPES = ("state", "chat_start", "chat_end", "max_chats")
STATES = ("ONLINE", "BACK_SOON", "AWAY", "OFFLINE")
MAX_AGENT_ID = 2**63 - 1
MAX_EVENT_ID_LEN = 128
MAX_REASON_ID_LEN = 64
MAX_CHAT_ID_LEN = 128
MAX_CHATS_LIMIT = 1000
FUTURE_TOLERANCE_MS = MINUTE_MS
DERIVED_ID_PREFIX = "derived:"


@dataclass(frozen=True, slots=True)
class Event:
    """One validated fact about one agent at one millisecond."""

    type: str
    agent_id: int
    time: int
    event_id: str
    state: str | None = None
    reason_id: str | None = None
    chat_id: str | None = None
    max_chats: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as the ingest API accepts it (and as `export` writes it)."""
        out: dict[str, Any] = {
            "type": self.type,
            "agentId": str(self.agent_id),
            "time": self.time,
            "eventId": self.event_id,
        }
        if self.state is not None:
            out["state"] = self.state
        if self.reason_id is not None:
            out["reasonId"] = self.reason_id
        if self.chat_id is not None:
            out["chatId"] = self.chat_id
        if self.max_chats is not None:
            out["maxChats"] = self.max_chats
        return out


# A stored event as the retention rules read it (retention.py): (time, seq, type, state,
# reasonId, chatId, maxChats); the store's rows and the engine's columns both give it.
Record = tuple[int, int, str, "str | None", "str | None", "str | None", "int | None"]


class EventError(ValueError):
    """One event is invalid; the message names the field at fault."""


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """The times an event may carry: inside retention, at most 60 s in the future."""

    oldest: int
    newest: int
    # What `oldest` is the edge of, for the message of an event older than it.
    window: str = "the retention window"

    @classmethod
    def around(cls, now_ms: int, retention_ms: int) -> TimeBounds:
        return cls(oldest=now_ms - retention_ms, newest=now_ms + FUTURE_TOLERANCE_MS)


def derived_event_id(
    type_: str,
    agent_id: int,
    time: int,
    state: str | None,
    reason_id: str | None,
    chat_id: str | None,
    max_chats: int | None,
) -> str:
    """The idempotency key of an event sent without `eventId`: same content, same key."""
    content = "\x1f".join(
        "" if v is None else str(v)
        for v in (type_, agent_id, time, state, reason_id, chat_id, max_chats)
    )
    return DERIVED_ID_PREFIX + hashlib.sha256(content.encode()).hexdigest()[:40]


EXACT_FLOAT_LIMIT = 2**53


def whole(value: Any) -> int | None:
    """A JSON whole number (`5` or `5.0`: JSON does not tell them apart), else None.

    Numbers written with a fraction are only taken while exactly representable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_FLOAT_LIMIT:
        return int(value)
    return None


def _agent_id(raw: Any) -> int:
    value = whole(raw)
    if value is None and isinstance(raw, str) and raw.isascii() and raw.isdigit():
        value = int(raw) if len(raw) <= 19 else MAX_AGENT_ID + 1
    if value is None:
        raise EventError(
            "agentId must be a positive integer or a string of digits "
            "(send ids above 2^53 as strings: JSON numbers that large lose precision)"
        )
    if not 1 <= value <= MAX_AGENT_ID:
        raise EventError(f"agentId must be between 1 and {MAX_AGENT_ID}")
    return value


def _text(raw: Any, field: str, max_len: int) -> str:
    if not isinstance(raw, str):
        raise EventError(f"{field} must be a string")
    if not 1 <= len(raw) <= max_len:
        raise EventError(f"{field} must be 1 to {max_len} characters long")
    return raw


def _forbid(obj: dict[str, Any], fields: tuple[str, ...], type_: str) -> None:
    for field in fields:
        if obj.get(field) is not None:
            raise EventError(f"{field} is not allowed on a {type_} event")


def _well_formed(obj: Any, bounds: TimeBounds) -> Event | None:
    """The usual event (eventId given, plain JSON types) checked in one pass, else None.

    It accepts exactly what the full checks of `parse_event` accept for these shapes, and
    leaves everything else (a problem to name, an id to derive, `5.0` for 5) to them."""
    if type(obj) is not dict:
        return None
    get = obj.get
    time, agent, event_id = get("time"), get("agentId"), get("eventId")
    if type(time) is not int or not bounds.oldest <= time <= bounds.newest:
        return None
    if type(event_id) is not str or not 1 <= len(event_id) <= MAX_EVENT_ID_LEN:
        return None
    if type(agent) is str and 0 < len(agent) <= 18 and agent.isascii() and agent.isdigit():
        agent_id = int(agent)
    elif type(agent) is int:
        agent_id = agent
    else:
        return None
    if not 1 <= agent_id <= MAX_AGENT_ID:
        return None
    type_ = get("type")
    if type_ == "state":
        state, reason = get("state"), get("reasonId")
        if state not in STATES or get("chatId") is not None or get("maxChats") is not None:
            return None
        if reason is not None and (
            state != "AWAY" or type(reason) is not str or not 1 <= len(reason) <= MAX_REASON_ID_LEN
        ):
            return None
        return Event(type_, agent_id, time, event_id, state, reason)
    if type_ == "chat_start" or type_ == "chat_end":
        chat = get("chatId")
        if type(chat) is not str or not 1 <= len(chat) <= MAX_CHAT_ID_LEN:
            return None
        if get("state") is not None or get("reasonId") is not None or get("maxChats") is not None:
            return None
        return Event(type_, agent_id, time, event_id, chat_id=chat)
    if type_ == "max_chats":
        limit = get("maxChats")
        if type(limit) is not int or not 0 <= limit <= MAX_CHATS_LIMIT:
            return None
        if get("state") is not None or get("reasonId") is not None or get("chatId") is not None:
            return None
        return Event(type_, agent_id, time, event_id, max_chats=limit)
    return None


def parse_event(obj: Any, bounds: TimeBounds) -> Event:
    """Validate one decoded JSON value into an Event, or raise EventError."""
    # Most events are well formed: one quick pass; anything else gets the full checks.
    return _well_formed(obj, bounds) or checked_event(obj, bounds)


def checked_event(obj: Any, bounds: TimeBounds) -> Event:
    """Every rule, one at a time, each failure named: the reference for `_well_formed`."""
    if not isinstance(obj, dict):
        raise EventError("each event must be a JSON object")
    type_ = obj.get("type")
    if type_ not in EVENT_TYPES:
        raise EventError(f"type must be one of {', '.join(EVENT_TYPES)}")
    if obj.get("agentId") is None:
        raise EventError("agentId is required")
    agent_id = _agent_id(obj["agentId"])
    time = obj.get("time")
    if time is None:
        raise EventError("time is required (epoch milliseconds, UTC)")
    time = whole(time)
    if time is None:
        raise EventError("time must be an integer (epoch milliseconds, UTC)")
    if time < bounds.oldest:
        raise EventError(
            f"time {time} is older than {bounds.window} (oldest accepted: {bounds.oldest})"
        )
    if time > bounds.newest:
        raise EventError(
            f"time {time} is more than 60 s in the future (newest accepted: {bounds.newest})"
        )
    event_id = obj.get("eventId")
    if event_id is not None:
        event_id = _text(event_id, "eventId", MAX_EVENT_ID_LEN)

    state = reason_id = chat_id = None
    max_chats = None
    if type_ == "state":
        _forbid(obj, ("chatId", "maxChats"), type_)
        state = obj.get("state")
        if state not in STATES:
            raise EventError(f"state must be one of {', '.join(STATES)}")
        if obj.get("reasonId") is not None:
            if state != "AWAY":
                raise EventError("reasonId is only allowed with state AWAY")
            reason_id = _text(obj["reasonId"], "reasonId", MAX_REASON_ID_LEN)
    elif type_ in ("chat_start", "chat_end"):
        _forbid(obj, ("state", "reasonId", "maxChats"), type_)
        if obj.get("chatId") is None:
            raise EventError(f"chatId is required on a {type_} event")
        chat_id = _text(obj["chatId"], "chatId", MAX_CHAT_ID_LEN)
    else:
        _forbid(obj, ("state", "reasonId", "chatId"), type_)
        raw = obj.get("maxChats")
        if raw is None:
            raise EventError("maxChats is required on a max_chats event")
        max_chats = whole(raw)
        if max_chats is None or not 0 <= max_chats <= MAX_CHATS_LIMIT:
            raise EventError(f"maxChats must be an integer from 0 to {MAX_CHATS_LIMIT}")

    if event_id is None:
        event_id = derived_event_id(type_, agent_id, time, state, reason_id, chat_id, max_chats)
    return Event(type_, agent_id, time, event_id, state, reason_id, chat_id, max_chats)


@dataclass(frozen=True, slots=True)
class BatchProblem:
    index: int
    message: str


class BatchRefused(ValueError):
    """A batch that is stored not at all: over the size limit (`too_large`), or with
    invalid events (`problems`, one per bad event). Its message says what to do."""

    def __init__(self, message: str, problems: list[BatchProblem], too_large: bool = False):
        super().__init__(message)
        self.problems = problems
        self.too_large = too_large


def checked_batch(items: list[Any], bounds: TimeBounds, max_events: int) -> list[Event]:
    """A whole batch as SPEC section 2 takes it, or BatchRefused: the one set of rules
    for every producer (HTTP ingest, the message broker, the webhooks)."""
    if len(items) > max_events:
        raise BatchRefused(
            f"events: the batch has {len(items)} events; the limit is {max_events} per "
            "request, split it",
            [],
            too_large=True,
        )
    events, problems = parse_batch(items, bounds)
    if problems:
        raise BatchRefused(
            f"events[{problems[0].index}]: {problems[0].message} "
            f"({len(problems)} invalid event(s); nothing was stored)",
            problems,
        )
    return events


def parse_batch(items: list[Any], bounds: TimeBounds) -> tuple[list[Event], list[BatchProblem]]:
    """Validate a whole batch; any problem means the batch is refused as a whole."""
    events: list[Event] = []
    problems: list[BatchProblem] = []
    for index, item in enumerate(items):
        try:
            events.append(parse_event(item, bounds))
        except EventError as exc:
            problems.append(BatchProblem(index, str(exc)))
    return events, problems
