"""Configuration collections: what the status reasons, the users and the agent groups
share (docs/api.md, "Status reasons" and "People and teams").

Each is an account's collection of items, changed through the vendor's account
configuration APIs, with one revision that every change increments. What they have in
common is here, once: problems that name the field at fault, the refusals a change can
meet against what is stored (each becomes one HTTP status), the `If-Match` check, the
text rule, whole numbers as the vendor's clients write them, and a batch of items parsed
one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from agentactivity.events import whole

T = TypeVar("T")

# Text (reason texts, login names, group names): no control characters, and at least one
# character that is not blank. The same expression is the OpenAPI document's pattern, so
# both sides agree on every string.
_CONTROL = "\\x00-\\x1f\\x7f"
_BLANK = " \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
TEXT_PATTERN = f"^[^{_CONTROL}]*[^{_CONTROL}{_BLANK}][^{_CONTROL}]*$"
TEXT = re.compile(TEXT_PATTERN)
# Optional texts (names, descriptions) may be empty or blank, still without controls.
PLAIN_PATTERN = f"^[^{_CONTROL}]*$"
PLAIN = re.compile(PLAIN_PATTERN)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One rule an item breaks; `field` as the client wrote it (`items[2].text`)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def text_key(text: str) -> str:
    """Two texts that differ only in case or surrounding blanks name the same thing."""
    return text.strip().casefold()


def text_problem(value: Any, max_chars: int) -> str | None:
    """What is wrong with a required text (1 to `max_chars` characters, not blank, no
    control characters), or None."""
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return "must be a string"
    if not 1 <= len(value) <= max_chars:
        return f"must be 1 to {max_chars} characters (it has {len(value)})"
    if not TEXT.fullmatch(value):
        return "must not be blank nor hold control characters"
    return None


# --- the refusals of a change, found against what is stored ----------------------------


class CollectionError(Exception):
    """A change the collection refuses; `revision`: the collection's current one."""

    def __init__(self, message: str, revision: int) -> None:
        super().__init__(message)
        self.message = message
        self.revision = revision


class StaleRevision(CollectionError):
    """If-Match is not the collection's current revision (412)."""


class ItemRefusal(CollectionError):
    """A refusal about one item of the request: `index` in the batch (0 for a single
    item), `field` inside it (None: the item itself, i.e. its id). The message does not
    name them: the API does, as the client wrote the request (`items[2].loginName`)."""

    def __init__(
        self, message: str, revision: int, field: str | None = None, index: int = 0
    ) -> None:
        super().__init__(message, revision)
        self.field = field
        self.index = index


class ItemNotFound(ItemRefusal):
    """No item of that id in the account (404)."""


class ItemConflict(ItemRefusal):
    """The item clashes with another (a unique text, an id taken) or the change would
    leave the collection inconsistent (a group still has members) (409)."""


class ItemInvalid(ItemRefusal):
    """A field names something the account does not have (a group unknown or deleted,
    a group's own descendant as its parent) (400)."""


def check_revision(if_match: int | None, revision: int, plural: str) -> None:
    """Refuse a change based on another revision than the current one (None: no check)."""
    if if_match is not None and if_match != revision:
        raise StaleRevision(
            f"If-Match: revision {if_match} is not the current one; the {plural} are at "
            f"revision {revision} (read them again, then retry with If-Match: {revision})",
            revision,
        )


# --- parsing ---------------------------------------------------------------------------


def whole_or_digits(value: Any) -> int | None:
    """A whole number, or a string of ASCII digits (the vendor's examples quote numbers:
    `"maxChats": "4"`, `"id": "987654321"`), else None. Very long digit strings stay
    out of range rather than cost a big conversion."""
    if isinstance(value, str):
        if value.isascii() and value.isdigit():
            digits = value.lstrip("0") or "0"  # leading zeros change nothing
            return int(digits) if len(digits) <= 20 else 10**20
        return None
    return whole(value)


def boolean(value: Any) -> bool | None:
    """true/false, or the vendor examples' "true"/"false" (any case), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


class Problems:
    """The problems of one item, its fields named after `where` (`items[2].`)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.found: list[FieldProblem] = []

    def add(self, name: str, message: str) -> None:
        self.found.append(FieldProblem(f"{self.where}{name}", message))


def not_an_object(where: str, what: str) -> list[FieldProblem]:
    """The problem of an item that is not a JSON object (`what`: "a user")."""
    return [FieldProblem(where.rstrip(".") or "body", f"must be a JSON object ({what})")]


Parse = Callable[[Any, str], tuple[T | None, list[FieldProblem]]]


def parse_batch(raw: Any, parse_one: Parse[T]) -> tuple[list[T], bool, list[FieldProblem]]:
    """A POST body: one item or an array of them, each parsed by `parse_one(element,
    prefix)` (prefix `items[2].` inside an array, `` for a lone item). Returns (items in
    order, whether it was an array, every problem of every item)."""
    if not isinstance(raw, list):
        item, found = parse_one(raw, "")
        return ([item] if item is not None else []), False, found
    items: list[T] = []
    problems: list[FieldProblem] = []
    for index, element in enumerate(raw):
        item, found = parse_one(element, f"items[{index}].")
        problems.extend(found)
        if item is not None:
            items.append(item)
    return items, True, problems
