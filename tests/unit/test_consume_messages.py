"""What a broker message carries (consume/messages.py): the account from the subject's
'*' token, and one batch's raw items from the body, or a refusal saying why."""

from __future__ import annotations

import orjson
import pytest

from agentactivity.consume.messages import MessageRefused, SubjectPattern, decode_items

EVENT = {"type": "state", "agentId": 7, "time": 1_714_557_600_000, "state": "ONLINE"}
OTHER = {**EVENT, "agentId": 8, "eventId": "e-8"}
LIMIT = 10 * 1024 * 1024


def test_one_event_array_wrapped_array_and_ndjson_give_the_same_items() -> None:
    assert decode_items(orjson.dumps(EVENT), LIMIT) == [EVENT]
    assert decode_items(orjson.dumps([EVENT, OTHER]), LIMIT) == [EVENT, OTHER]
    assert decode_items(orjson.dumps({"events": [EVENT, OTHER]}), LIMIT) == [EVENT, OTHER]
    ndjson = orjson.dumps(EVENT) + b"\n\n" + orjson.dumps(OTHER) + b"\n"
    assert decode_items(ndjson, LIMIT) == [EVENT, OTHER]
    assert decode_items(b"[]", LIMIT) == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"\xff\xfe{}", "not UTF-8 (byte 0)"),
        (b'{"type": "state", "agentId": 7, "time": 1, "state": "\xe9"}', "not UTF-8 (byte 53)"),
        (b"", "empty"),
        (b" \n\t\n", "empty"),
        (b'{"type": "state",', "not valid JSON"),
        (orjson.dumps(EVENT) + b"\n{oops\n", "NDJSON line 2 is not valid JSON"),
        (b"42", "JSON int"),
        (b'"text"', "JSON str"),
    ],
)
def test_bodies_that_are_not_events_are_refused_saying_why(body: bytes, words: str) -> None:
    with pytest.raises(MessageRefused) as refused:
        decode_items(body, LIMIT)
    assert words in str(refused.value)


def test_a_body_over_the_limit_is_refused_before_it_is_parsed() -> None:
    body = orjson.dumps([EVENT] * 20)
    assert decode_items(body, len(body)) == [EVENT] * 20
    with pytest.raises(MessageRefused, match=f"{len(body)} bytes; the limit is {len(body) - 1}"):
        decode_items(body, len(body) - 1)


def test_the_account_is_the_star_token_of_the_subject() -> None:
    pattern = SubjectPattern.parse("agents.*.events")
    assert pattern.account("agents.12345678.events") == "12345678"
    assert pattern.invalid == "agents.*.events.invalid"
    assert SubjectPattern.parse("*.activity").account("acme-1.activity") == "acme-1"
    for subject, words in [
        ("agents.bad!id.events", "account id 'bad!id'"),
        (f"agents.{'x' * 65}.events", "is not 1 to 64"),
        ("agents.1.events.invalid", "does not match"),
    ]:
        with pytest.raises(MessageRefused, match=words):
            pattern.account(subject)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("agents.>", "'>' is not allowed"),
        ("agents.events", "exactly one '*'"),
        ("agents.*.*", "exactly one '*'"),
        ("agents..*", "non-empty"),
    ],
)
def test_subject_patterns_need_exactly_one_star_and_no_tail_wildcard(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SubjectPattern.parse(text)
