"""SPEC section 4, "No input yields a 500": arbitrary parameters and batches never produce a
5xx; every answer is JSON with status 200, 400 or 413."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from agentactivity.service import ActivityService
from tests.api.conftest import ACTIVITY, EVENTS, HOUR, MINUTE, client_for, state
from tests.conftest import FakeClock

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ALLOWED = {200, 400, 413}
NAMES = ("timeframe", "agentIds", "v", "interval", "to", "totals")


@pytest.fixture
def fuzz_client(service: ActivityService, credentials, clock: FakeClock) -> Iterator[TestClient]:
    # Server exceptions come back as 500 answers (and fail the check) instead of raising.
    with client_for(service, credentials, raise_server_exceptions=False) as client:
        now = clock.now
        answer = client.post(
            EVENTS,
            json=[
                state(7, now - 2 * HOUR, "ONLINE"),
                state(8, now - HOUR, "AWAY", "lunch"),
                {"type": "max_chats", "agentId": "7", "time": now - 2 * HOUR, "maxChats": 1},
                {"type": "chat_start", "agentId": "7", "time": now - 30 * MINUTE, "chatId": "c"},
            ],
        )
        assert answer.status_code == 200, answer.text
        yield client


def _check(answer: Any) -> Any:
    assert answer.status_code in ALLOWED, (answer.status_code, answer.text[:500])
    event(f"status {answer.status_code}")
    assert answer.headers["content-type"].startswith("application/json"), answer.headers
    body = answer.json()
    if answer.status_code != 200:
        assert body["status"] == answer.status_code, body
        assert isinstance(body["message"], str) and body["message"], body
    return body


def _plausible(now: int) -> dict[str, st.SearchStrategy[str]]:
    """Values near the valid ones, so that the fuzzing also reaches the deeper checks."""
    return {
        "timeframe": st.sampled_from(["1", "5", "60", "120", "1440", "1441", "0"]),
        "agentIds": st.sampled_from(
            ["all", "ALL", "7", "7,8", " 7 , 8 ", "1,,2", "0", str(2**63 - 1), str(2**63)]
        ),
        "v": st.sampled_from(["1", "2", "3"]),
        "interval": st.sampled_from(["5", "15", "30", "60", "7", "4", "1440"]),
        "to": st.integers(now - 8 * 24 * HOUR, now + HOUR).map(str),
        "totals": st.sampled_from(["true", "false", "1", "0"]),
    }


TEXT = st.text(max_size=30)
NUMERIC_TEXT = st.integers(-(2**70), 2**70).map(str)


ARBITRARY = st.one_of(st.none(), TEXT, NUMERIC_TEXT)


def _params(now: int) -> st.SearchStrategy[dict[str, str]]:
    """Mostly plausible parameters with up to three of them replaced by arbitrary text."""
    plausible = _plausible(now)
    optional = ("interval", "to", "totals")
    base = st.fixed_dictionaries(
        {n: plausible[n] for n in NAMES if n not in optional},
        optional={n: plausible[n] for n in optional},
    )
    changes = st.dictionaries(st.sampled_from(NAMES), ARBITRARY, max_size=3)
    return st.tuples(base, changes).map(
        lambda pair: {k: v for k, v in {**pair[0], **pair[1]}.items() if v is not None}
    )


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)


def _dumps(value: Any) -> bytes:
    # Python's json writes NaN/Infinity and >4300-digit ints can't occur here; bytes as sent.
    return json.dumps(value).encode()


@FUZZ
@given(data=st.data())
def test_get_never_fails(fuzz_client, clock: FakeClock, data):
    params = data.draw(_params(clock.now))
    body = _check(fuzz_client.get(ACTIVITY, params=params))
    assert isinstance(body, dict)


@FUZZ
@given(data=st.data())
def test_post_strings_never_fail(fuzz_client, clock: FakeClock, data):
    params = data.draw(_params(clock.now))
    answer = fuzz_client.post(
        ACTIVITY, content=_dumps(params), headers={"Content-Type": "application/json"}
    )
    _check(answer)


@FUZZ
@given(data=st.data())
def test_post_json_values_never_fail(fuzz_client, clock: FakeClock, data):
    plausible = _plausible(clock.now)
    as_number = {
        n: plausible[n].map(lambda s: int(s) if s.lstrip("-").isdigit() else s) for n in NAMES
    }
    values = {
        name: data.draw(st.one_of(plausible[name], as_number[name], JSON_VALUES), label=name)
        for name in NAMES
        if name in ("timeframe", "agentIds", "v") or data.draw(st.booleans(), label=f"send {name}")
    }
    for name in data.draw(st.sets(st.sampled_from(NAMES), max_size=2), label="dropped"):
        values.pop(name, None)
    values.update(
        data.draw(
            st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=3), label="unknown fields"
        )
    )
    answer = fuzz_client.post(
        ACTIVITY, content=_dumps(values), headers={"Content-Type": "application/json"}
    )
    _check(answer)


@FUZZ
@given(body=st.one_of(st.binary(max_size=200), JSON_VALUES.map(_dumps)))
def test_post_arbitrary_bodies_never_fail(fuzz_client, body):
    answer = fuzz_client.post(ACTIVITY, content=body, headers={"Content-Type": "application/json"})
    _check(answer)


@FUZZ
@given(query=st.lists(st.tuples(st.sampled_from(NAMES + ("x",)), TEXT), max_size=8))
def test_get_repeated_and_odd_parameters_never_fail(fuzz_client, query):
    _check(fuzz_client.get(ACTIVITY, params=query))


# --- ingest -----------------------------------------------------------------------------------


def _event_like(now: int) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts with the event fields, each plausible or arbitrary, some left out."""
    time = st.one_of(st.integers(now - 8 * 24 * HOUR, now + 2 * MINUTE), JSON_SCALARS)
    fields = {
        "type": st.one_of(
            st.sampled_from(["state", "chat_start", "chat_end", "max_chats"]), JSON_SCALARS
        ),
        "agentId": st.one_of(st.integers(-5, 2**64), st.integers(1, 50).map(str), JSON_SCALARS),
        "time": time,
        "eventId": st.one_of(st.text(max_size=140), JSON_SCALARS),
        "state": st.one_of(
            st.sampled_from(["ONLINE", "BACK_SOON", "AWAY", "OFFLINE"]), JSON_SCALARS
        ),
        "reasonId": st.one_of(st.text(max_size=70), JSON_SCALARS),
        "chatId": st.one_of(st.text(max_size=130), JSON_SCALARS),
        "maxChats": st.one_of(st.integers(-2, 1002), JSON_SCALARS),
    }
    return st.fixed_dictionaries({}, optional=fields)


def _valid_event(now: int) -> st.SearchStrategy[dict[str, Any]]:
    agent = st.one_of(st.integers(1, 30), st.integers(1, 30).map(str), st.just(2**63 - 1))
    time = st.integers(now - 7 * 24 * HOUR, now + MINUTE)
    chat = st.text(min_size=1, max_size=3)
    return st.one_of(
        st.builds(
            lambda a, t, s: state(a, t, s),
            agent,
            time,
            st.sampled_from(["ONLINE", "BACK_SOON", "AWAY", "OFFLINE"]),
        ),
        st.builds(
            lambda a, t, r: state(a, t, "AWAY", r), agent, time, st.text(min_size=1, max_size=3)
        ),
        st.builds(
            lambda ty, a, t, c: {"type": ty, "agentId": a, "time": t, "chatId": c},
            st.sampled_from(["chat_start", "chat_end"]),
            agent,
            time,
            chat,
        ),
        st.builds(
            lambda a, t, m: {"type": "max_chats", "agentId": a, "time": t, "maxChats": m},
            agent,
            time,
            st.integers(0, 3),
        ),
    )


@FUZZ
@given(data=st.data())
def test_ingest_never_fails(fuzz_client, clock: FakeClock, data):
    items = data.draw(
        st.one_of(
            st.lists(_valid_event(clock.now), max_size=12),
            st.lists(
                st.one_of(_valid_event(clock.now), _event_like(clock.now), JSON_VALUES), max_size=8
            ),
        )
    )
    wrap = data.draw(st.sampled_from(["array", "object", "ndjson"]))
    if wrap == "ndjson":
        content = b"\n".join(_dumps(item) for item in items)
        headers = {"Content-Type": "application/x-ndjson"}
    else:
        content = _dumps(items if wrap == "array" else {"events": items})
        headers = {"Content-Type": "application/json"}
    body = _check(fuzz_client.post(EVENTS, content=content, headers=headers))
    if isinstance(body, dict) and "accepted" in body:
        assert body["accepted"] + body["duplicates"] == len(items)
        event(f"accepted some: {body['accepted'] > 0}")
    # Whatever was stored, the queries still answer.
    _check(
        fuzz_client.get(
            ACTIVITY,
            params={"timeframe": 1440, "agentIds": "all", "v": 1, "interval": 60, "totals": "true"},
        )
    )


@FUZZ
@given(body=st.binary(max_size=300), ndjson=st.booleans())
def test_ingest_arbitrary_bytes_never_fail(fuzz_client, body, ndjson):
    ctype = "application/x-ndjson" if ndjson else "application/json"
    _check(fuzz_client.post(EVENTS, content=body, headers={"Content-Type": ctype}))
