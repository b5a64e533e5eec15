"""What one broker message carries: the account, from a token of its subject, and the raw
items of one atomic batch, from its body (one JSON event, a JSON array or `{"events":
[...]}`, or NDJSON). Anything else is a `MessageRefused` whose text goes, as the error,
with the message onto `<subject>.invalid`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from agentactivity.accounts import ACCOUNT_ID

INVALID_SUFFIX = ".invalid"


class MessageRefused(ValueError):
    """A message that can never be stored as it is (retrying cannot help)."""


@dataclass(frozen=True)
class SubjectPattern:
    """A subject with one `*` token, the account: `agents.*.events` takes
    `agents.<accountId>.events`. No `>`: then `<subject>.invalid` (one token more) can
    never match the pattern, so the consumer never reads back what it republished."""

    text: str
    account_token: int

    @classmethod
    def parse(cls, text: str) -> SubjectPattern:
        tokens = text.split(".")
        if any(not token or any(c.isspace() for c in token) for token in tokens):
            raise ValueError(f"subject {text!r}: tokens are non-empty, without blanks or dots")
        if ">" in tokens:
            raise ValueError(
                f"subject {text!r}: '>' is not allowed; use one '*' where the account id "
                "goes, e.g. agents.*.events"
            )
        stars = [i for i, token in enumerate(tokens) if token == "*"]
        if len(stars) != 1:
            raise ValueError(
                f"subject {text!r}: use exactly one '*' token, where the account id goes, "
                "e.g. agents.*.events"
            )
        return cls(text, stars[0])

    @property
    def invalid(self) -> str:
        """The subjects invalid messages are republished on."""
        return self.text + INVALID_SUFFIX

    def account(self, subject: str) -> str:
        """The account id of a message's subject, or MessageRefused."""
        tokens = subject.split(".")
        if len(tokens) != len(self.text.split(".")):
            raise MessageRefused(f"subject {subject!r} does not match {self.text!r}")
        account = tokens[self.account_token]
        if not ACCOUNT_ID.fullmatch(account):
            raise MessageRefused(
                f"subject {subject!r}: account id {account!r} is not 1 to 64 letters, "
                "digits, '-' or '_'"
            )
        return account


def decode_items(body: bytes, max_bytes: int) -> list[Any]:
    """The raw events of a message body, to be validated as one batch."""
    if len(body) > max_bytes:
        raise MessageRefused(
            f"message is {len(body)} bytes; the limit is {max_bytes} bytes: split it"
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageRefused(f"message is not UTF-8 (byte {exc.start}): send JSON") from exc
    if not body.strip():
        raise MessageRefused("message is empty: send a JSON event, an array of them, or NDJSON")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if len([line for line in body.splitlines() if line.strip()]) < 2:
            raise MessageRefused(f"message is not valid JSON: {exc}") from exc
        return _ndjson(body)
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        events = value.get("events")
        return events if isinstance(events, list) else [value]
    raise MessageRefused(
        f"message is a JSON {type(value).__name__}: send an event (object), an array of "
        "events, or NDJSON"
    )


def _ndjson(body: bytes) -> list[Any]:
    items = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue  # blank lines (a trailing one) carry nothing
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise MessageRefused(f"NDJSON line {number} is not valid JSON: {exc}") from exc
    return items
