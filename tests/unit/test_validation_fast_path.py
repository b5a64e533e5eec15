"""The quick pass for well-formed events (`events._well_formed`) accepts nothing the
full checks (`events.checked_event`) refuse, and gives the very same Event for what it
accepts; `parse_event` as a whole answers exactly as the full checks.

Exhaustive near the line between accepted and refused: from a valid event of each type,
every change of one or two fields (to each value of the field's pool, valid or just past
a boundary, in every JSON type) or removal of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from agentactivity.events import EventError, TimeBounds, _well_formed, checked_event, parse_event

BOUNDS = TimeBounds(oldest=1_000_000, newest=2_000_000)
LOW, HIGH = BOUNDS.oldest, BOUNDS.newest
REMOVED = object()
POOLS: dict[str, list[Any]] = {
    "type": ["state", "chat_start", "chat_end", "max_chats", "chat", None, 1],
    "agentId": ["7", "007", 7, 7.0, "1" * 18, "1" * 19, "9" * 19, "9" * 20, 2**63 - 1, 2**63]
    + ["0", 0, -1, True, "", "12a", "１２", None],
    "time": [LOW, HIGH, LOW - 1, HIGH + 1, 1_500_000.0, 1_500_000.5, True, "1500000", None],
    "eventId": ["x" * 128, "x" * 129, "", 5, None],
    "state": ["ONLINE", "BACK_SOON", "AWAY", "OFFLINE", "online", "", 1, None],
    "reasonId": ["r1", "x" * 64, "x" * 65, "", 3, None],
    "chatId": ["c1", "x" * 128, "x" * 129, "", 4, None],
    "maxChats": [0, 1000, 1001, -1, 2.0, 2.5, True, "2", None],
}
BASES: list[dict[str, Any]] = [
    {"type": "state", "agentId": "7", "time": 1_500_000, "eventId": "e1", "state": "ONLINE"},
    {"type": "state", "agentId": 7, "time": LOW, "eventId": "e", "state": "AWAY", "reasonId": "r"},
    {"type": "chat_start", "agentId": "7", "time": HIGH, "eventId": "e1", "chatId": "c"},
    {"type": "chat_end", "agentId": "7", "time": 1_500_000, "eventId": "e1", "chatId": "c"},
    {"type": "max_chats", "agentId": "7", "time": 1_500_000, "eventId": "e1", "maxChats": 3},
]


def changes() -> Iterator[tuple[str, Any]]:
    for field, pool in POOLS.items():
        yield field, REMOVED
        for value in pool:
            yield field, value


def candidates() -> Iterator[dict[str, Any]]:
    one = list(changes())
    for base in BASES:
        yield base
        for count in (1, 2):
            for picked in itertools.combinations(one, count):
                if count == 2 and picked[0][0] == picked[1][0]:
                    continue
                event = dict(base)
                for field, value in picked:
                    if value is REMOVED:
                        event.pop(field, None)
                    else:
                        event[field] = value
                yield event


def answer(check: Any, obj: Any) -> object:
    try:
        return check(obj, BOUNDS)
    except EventError as exc:
        return f"error: {exc}"


def test_the_quick_pass_agrees_with_the_full_checks() -> None:
    checked = quick_accepted = 0
    for obj in [*candidates(), None, [], "event", 5]:
        expected = answer(checked_event, obj)
        quick = _well_formed(obj, BOUNDS)
        if quick is not None:
            assert quick == expected, obj
            quick_accepted += 1
        assert answer(parse_event, obj) == expected, obj
        checked += 1
    # The quick pass is taken for the usual events, not only checked against.
    assert quick_accepted > 500 and checked > 10_000, (quick_accepted, checked)
