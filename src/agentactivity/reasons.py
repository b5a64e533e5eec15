"""Away reasons: the items of the vendor's Agent Status Reason API, and the rules a
request's item must follow (docs/api.md, "Status reasons").

An item names a `reasonId` of the events: an event's reasonId equal to `str(item.id)`
is shown with the item's `text`. Parsing turns one raw JSON item into `ReasonFields` or
a list of `ReasonProblem`s naming the field at fault (`items[2].text` inside an array).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentactivity.configuration import (
    TEXT_PATTERN,
    CollectionError,
    FieldProblem,
    ItemConflict,
    ItemNotFound,
    StaleRevision,
    parse_batch,
    text_key,
    text_problem,
)
from agentactivity.events import whole

# TEXT_PATTERN, StaleRevision and text_key are the status reasons' as much as any
# collection's: importers of this module find them here too.
__all__ = [
    "MAX_ORDER",
    "MAX_REASON_ID",
    "MAX_TEXT_CHARS",
    "STATES",
    "TEXT_PATTERN",
    "ReasonError",
    "ReasonFields",
    "ReasonNotFound",
    "ReasonProblem",
    "StaleRevision",
    "StatusReason",
    "TextTaken",
    "parse_reason",
    "parse_reasons",
    "text_key",
]

MAX_TEXT_CHARS = 100
MAX_ORDER = 2**31 - 1
MAX_REASON_ID = 2**63 - 1
# Away is the only state whose events carry a reasonId (SPEC section 2); the vendor's
# spelling is canonical, the events' spelling is taken too.
STATES = {"Away": "Away", "AWAY": "Away"}


@dataclass(frozen=True, slots=True)
class ReasonFields:
    """What a client sets on an item. `deleted` None: leave as it is (PUT) / not deleted."""

    text: str
    state: str = "Away"
    enabled: bool = True
    order: int | None = None
    deleted: bool | None = None

    @property
    def text_key(self) -> str:
        return text_key(self.text)


@dataclass(frozen=True, slots=True)
class StatusReason:
    id: int
    text: str
    state: str
    enabled: bool
    deleted: bool
    order: int | None = None

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "state": self.state,
            "enabled": self.enabled,
            "deleted": self.deleted,
        }
        if self.order is not None:
            item["order"] = self.order
        return item


# The problems and refusals of every configuration collection (configuration.py), under
# the names this module has always given them.
ReasonProblem = FieldProblem
ReasonError = CollectionError


class ReasonNotFound(ItemNotFound):
    """No item of that id in the account."""


class TextTaken(ItemConflict):
    """Another item not deleted has the same text (by `text_key`); `index`: the item
    of the batch that met it (0 for a single item)."""

    def __init__(self, message: str, revision: int, index: int = 0) -> None:
        super().__init__(message, revision, "text", index)


# --- parsing -----------------------------------------------------------------------


def parse_reason(
    raw: Any, where: str = "", *, creating: bool, path_id: int | None = None
) -> tuple[ReasonFields | None, list[ReasonProblem]]:
    """One item of a request. `where` prefixes field names (`items[2].`); `creating`:
    a POST item (no `id`, not deleted); `path_id`: the id a PUT names in its path.
    Unknown fields are ignored."""
    if not isinstance(raw, dict):
        name = where.rstrip(".") or "body"
        return None, [ReasonProblem(name, "must be a JSON object (a status reason)")]
    problems: list[ReasonProblem] = []

    def problem(name: str, message: str) -> None:
        problems.append(ReasonProblem(f"{where}{name}", message))

    text = raw.get("text")
    if (message := text_problem(text, MAX_TEXT_CHARS)) is not None:
        problem("text", message)

    state = raw.get("state", "Away")
    state = "Away" if state is None else state
    if not isinstance(state, str) or state not in STATES:
        problem("state", 'must be "Away": reasons name the Away state\'s reasonIds')

    enabled = raw.get("enabled", True)
    enabled = True if enabled is None else enabled
    if not isinstance(enabled, bool):
        problem("enabled", "must be true or false")

    order = raw.get("order")
    if order is not None:
        order = whole(order)
        if order is None or not 0 <= order <= MAX_ORDER:
            problem("order", f"must be a whole number from 0 to {MAX_ORDER}")

    deleted = raw.get("deleted")
    if deleted is not None and not isinstance(deleted, bool):
        problem("deleted", "must be true or false")
    elif creating and deleted:
        problem("deleted", "a new status reason cannot be deleted; leave deleted out")

    if "id" in raw and raw["id"] is not None:
        if creating:
            problem("id", "ids are assigned by the server; leave id out (PUT changes an item)")
        elif whole(raw["id"]) != path_id:
            problem("id", f"{raw['id']!r} differs from statusReasonId {path_id} in the path")

    if problems:
        return None, problems
    assert isinstance(text, str) and isinstance(state, str) and isinstance(enabled, bool)
    return ReasonFields(text, STATES[state], enabled, order, deleted), []


def parse_reasons(raw: Any) -> tuple[list[ReasonFields], bool, list[ReasonProblem]]:
    """A POST body: one item or an array of them. Returns (items in order, whether it
    was an array, problems). Texts repeated inside a batch are the store's to refuse
    (a conflict, like a text already taken)."""
    return parse_batch(raw, lambda element, where: parse_reason(element, where, creating=True))
