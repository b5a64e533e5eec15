"""SPEC section 3: every 400 rule of the Agent Activity parameters, on GET and on POST."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.api.conftest import (
    ACTIVITY,
    DAY,
    HISTORY,
    HOUR,
    MINUTE,
    assert_error,
    client_for,
    ingest,
    per_agent,
    state,
)
from tests.conftest import FakeClock

VALID = {"timeframe": "60", "agentIds": "all", "v": "1"}


def _get(client, params: dict[str, Any]):
    # Built by hand with commas left as they are, so that 10,000 ids fit httpx's URL limit.
    query = urlencode({k: v for k, v in params.items() if v is not None}, safe=",")
    return client.get(f"{ACTIVITY}?{query}")


def _post(client, params: dict[str, Any]):
    return client.post(ACTIVITY, json=params)


def _numbers(params: dict[str, Any]) -> dict[str, Any]:
    """The same parameters with every all-digit string sent as a JSON number."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        numeric = (
            isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19
        )
        out[key] = int(value) if numeric else value
    return out


SENDERS = {
    "GET": _get,
    "POST-strings": _post,
    "POST-numbers": lambda client, params: _post(client, _numbers(params)),
}


@pytest.fixture(params=list(SENDERS))
def send(request, client):
    sender = SENDERS[request.param]
    return lambda **params: sender(client, params)


def _with(**changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = dict(VALID)
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


# --- the baseline ----------------------------------------------------------------------


def test_valid_query_is_accepted(send):
    answer = send(**_with())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"agentsMetrics": {"metricsPerAgent": {}, "metricsTotals": []}}


# --- timeframe ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   "])
def test_timeframe_missing(send, value):
    params = _with()
    params["timeframe"] = value
    if value is None:
        del params["timeframe"]
    assert_error(send(**params), 400, "timeframe")


@pytest.mark.parametrize("value", ["abc", "60.5", "1e2", "-5", "0x10", "six", "60 minutes", "-0.5"])
def test_timeframe_not_an_integer(send, value):
    assert_error(send(**_with(timeframe=value)), 400, "timeframe")


@pytest.mark.parametrize("value", ["0", "1441", "100000", "-1"])
def test_timeframe_out_of_range(send, value):
    assert_error(send(**_with(timeframe=value)), 400, "timeframe")


@pytest.mark.parametrize("value", ["1", "1440"])
def test_timeframe_bounds_are_valid(send, value):
    assert send(**_with(timeframe=value)).status_code == 200


def test_timeframe_max_is_configurable(service, make_service, credentials):
    small = make_service(service, max_timeframe_minutes=120)
    small.store.add_credentials(credentials)
    with client_for(small, credentials) as client:
        assert client.get(ACTIVITY, params=_with(timeframe="120")).status_code == 200
        body = assert_error(client.get(ACTIVITY, params=_with(timeframe="121")), 400, "timeframe")
        assert "120" in body["message"]


def test_timeframe_as_json_float_with_fraction(client):
    answer = client.post(ACTIVITY, json={**_numbers(VALID), "timeframe": 60.5})
    assert_error(answer, 400, "timeframe")


@pytest.mark.parametrize("value", [True, False, [60], {"minutes": 60}])
def test_timeframe_of_wrong_json_type(client, value):
    assert_error(client.post(ACTIVITY, json={**VALID, "timeframe": value}), 400, "timeframe")


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", ["timeframe", "agentIds", "v", "interval", "to"])
def test_thousands_of_digits_names_the_parameter(client, method, name):
    # Python refuses to convert >4300-digit strings; the error must still be a 400 that
    # names the parameter (SPEC section 4), not the interpreter's own message.
    sender = SENDERS["GET" if method == "GET" else "POST-strings"]
    answer = sender(client, _with(**{name: "9" * 5000}))
    body = assert_error(answer, 400)
    assert re.search(rf"(?<![A-Za-z]){name}(?![A-Za-z])", body["message"]), body
    assert "set_int_max_str_digits" not in body["message"], body


# --- agentIds -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "  "])
def test_agent_ids_missing_or_empty(send, value):
    params = _with()
    if value is None:
        del params["agentIds"]
    else:
        params["agentIds"] = value
    assert_error(send(**params), 400, "agentIds")


@pytest.mark.parametrize(
    "value",
    [
        "1,,2",
        "1,",
        ",1",
        "abc",
        "1,abc",
        "0",
        "1,0",
        str(2**63),
        "-5",
        "1.5",
        "1;2",
        "al",
        "none",
        "٣",
        "1 2",
    ],
)
def test_agent_ids_invalid(send, value):
    assert_error(send(**_with(agentIds=value)), 400, "agentIds")


def test_agent_ids_max_id_is_valid(send):
    assert send(**_with(agentIds=str(2**63 - 1))).status_code == 200


@pytest.mark.parametrize("value", ["all", "ALL", "All", " all "])
def test_agent_ids_all_any_case(send, value):
    assert send(**_with(agentIds=value)).status_code == 200


def test_agent_ids_as_json_number(client):
    assert client.post(ACTIVITY, json={**_numbers(VALID), "agentIds": 7}).status_code == 200
    assert_error(client.post(ACTIVITY, json={**_numbers(VALID), "agentIds": 0}), 400, "agentIds")
    answer = client.post(ACTIVITY, json={**_numbers(VALID), "agentIds": 2**63})
    assert_error(answer, 400, "agentIds")


@pytest.mark.parametrize("value", [True, {"id": 1}, 1.5])
def test_agent_ids_of_wrong_json_type(client, value):
    assert_error(client.post(ACTIVITY, json={**VALID, "agentIds": value}), 400, "agentIds")


def test_agent_ids_spaces_around_items_are_allowed(client, clock: FakeClock):
    now = clock.now
    ingest(
        client,
        [
            state(7, now - HOUR, "ONLINE"),
            state(8, now - HOUR, "ONLINE"),
            state(9, now - HOUR, "ONLINE"),
        ],
    )
    for sender in SENDERS.values():
        answer = sender(client, _with(agentIds=" 7 , 9,  8 "))
        assert answer.status_code == 200, answer.text
        assert list(per_agent(answer.json())) == ["7", "8", "9"]


def test_agent_ids_more_than_the_limit(send):
    ids = ",".join(str(i) for i in range(1, 10_002))
    body = assert_error(send(**_with(agentIds=ids)), 400, "agentIds")
    assert "10000" in body["message"] or "10,000" in body["message"]


def test_agent_ids_at_the_limit_with_duplicates_is_valid(send):
    # 10,000 distinct ids plus repeats: duplicates do not count toward the limit.
    ids = [str(i) for i in range(1, 10_001)] + [str(i) for i in range(1, 501)]
    assert send(**_with(agentIds=",".join(ids))).status_code == 200


# --- v ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, ""])
def test_v_missing(send, value):
    params = _with()
    if value is None:
        del params["v"]
    else:
        params["v"] = value
    assert_error(send(**params), 400, "v ")


@pytest.mark.parametrize("value", ["3", "0", "x", "1.5", "-1", "v1"])
def test_v_invalid(send, value):
    body = assert_error(send(**_with(v=value)), 400)
    assert body["message"].startswith("v "), body


@pytest.mark.parametrize("value", ["1", "2"])
def test_v_valid(send, value):
    assert send(**_with(v=value)).status_code == 200


# --- interval -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["4", "1", "0"])
def test_interval_below_five(send, value):
    assert_error(send(**_with(interval=value)), 400, "interval")


def test_interval_above_timeframe(send):
    assert_error(send(**_with(timeframe="60", interval="120")), 400, "interval", "timeframe")


def test_interval_must_divide_timeframe(send):
    body = assert_error(send(**_with(timeframe="60", interval="31")), 400)
    assert body["message"] == "interval must divide timeframe (timeframe=60, interval=31)"


@pytest.mark.parametrize("value", ["abc", "15.5", "-15"])
def test_interval_not_an_integer(send, value):
    assert_error(send(**_with(interval=value)), 400, "interval")


@pytest.mark.parametrize(
    "timeframe,interval", [("60", "5"), ("60", "15"), ("60", "60"), ("1440", "60"), ("120", "40")]
)
def test_interval_valid(send, timeframe, interval):
    answer = send(**_with(timeframe=timeframe, interval=interval))
    assert answer.status_code == 200, answer.text
    assert "metricsByIntervals" in answer.json()


# --- to ---------------------------------------------------------------------------------------


def test_to_in_the_future(send, clock: FakeClock):
    assert_error(send(**_with(to=str(clock.now + 1))), 400, "to ")


def test_to_too_old_for_the_history(send, clock: FakeClock):
    # S = to - timeframe would start 1 ms before now - 400 days (the default history).
    to = clock.now - HISTORY + 60 * MINUTE - 1
    assert_error(send(**_with(timeframe="60", to=str(to))), 400, "to ")
    assert_error(send(**_with(timeframe="60", to=str(clock.now - 401 * DAY))), 400, "to ")


@pytest.mark.parametrize("days_back", [8, 30])
def test_to_beyond_the_live_window_is_valid(send, clock: FakeClock, days_back):
    assert send(**_with(timeframe="60", to=str(clock.now - days_back * DAY))).status_code == 200


def test_to_at_the_oldest_allowed_start_is_valid(send, clock: FakeClock):
    to = clock.now - HISTORY + 60 * MINUTE
    assert send(**_with(timeframe="60", to=str(to))).status_code == 200


@pytest.mark.parametrize("offset", [0, 1, DAY, 3 * DAY])
def test_to_valid(send, clock: FakeClock, offset):
    assert send(**_with(to=str(clock.now - offset))).status_code == 200


@pytest.mark.parametrize("value", ["yesterday", "1.5", "-1"])
def test_to_not_an_integer(send, value):
    assert_error(send(**_with(to=value)), 400, "to ")


# --- totals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "false", "TRUE", "False"])
def test_totals_valid(send, value):
    answer = send(**_with(totals=value))
    assert answer.status_code == 200, answer.text
    totals = answer.json()["agentsMetrics"]["metricsTotals"]
    assert (len(totals) == 4) == (value.lower() == "true")


@pytest.mark.parametrize("value", ["maybe", "yes", "2", "truee"])
def test_totals_invalid(send, value):
    assert_error(send(**_with(totals=value)), 400, "totals")


@pytest.mark.parametrize("value", [True, False])
def test_totals_as_json_boolean(client, value):
    answer = client.post(ACTIVITY, json={**_numbers(VALID), "totals": value})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["agentsMetrics"]["metricsTotals"] != []) is value


# --- several problems at once ---------------------------------------------------------------


def test_several_problems_are_all_listed(send):
    body = assert_error(send(), 400)
    details = body["details"]
    assert isinstance(details, list) and len(details) == 3, body
    for name in ("timeframe", "agentIds", "v "):
        assert any(name in str(d) for d in details), (name, details)


def test_post_empty_body_lists_the_missing_parameters(client):
    answer = client.post(ACTIVITY, content=b"", headers={"Content-Type": "application/json"})
    body = assert_error(answer, 400)
    assert len(body["details"]) == 3, body


def test_several_invalid_values_are_all_listed(send):
    body = assert_error(send(timeframe="0", agentIds="x", v="3", interval="3", totals="maybe"), 400)
    details = [str(d) for d in body["details"]]
    assert len(details) == 5, body
    for name in ("timeframe", "agentIds", "v ", "interval", "totals"):
        assert any(name in d for d in details), (name, details)


def test_one_problem_has_no_details(send):
    body = assert_error(send(**_with(v="3")), 400, "v")
    assert "details" not in body


# --- GET specifics ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["timeframe", "agentIds", "v", "interval", "totals"])
def test_repeated_get_parameter(client, name):
    values = {"timeframe": "60", "agentIds": "all", "v": "1", "interval": "15", "totals": "true"}
    query = [(k, v) for k, v in values.items()] + [(name, values[name])]
    assert_error(client.get(ACTIVITY, params=query), 400, name)


def test_repeated_to_parameter(client, clock: FakeClock):
    query = [
        ("timeframe", "60"),
        ("agentIds", "all"),
        ("v", "1"),
        ("to", str(clock.now)),
        ("to", str(clock.now - 1)),
    ]
    assert_error(client.get(ACTIVITY, params=query), 400, "to ")


def test_get_unknown_parameters_are_ignored(client):
    answer = client.get(ACTIVITY, params={**VALID, "foo": "bar", "source": "x"})
    assert answer.status_code == 200, answer.text


# --- POST specifics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"[1, 2]",
        b'"timeframe=60"',
        b"60",
        b"null",
        b"true",
        b"{not json",
        b"\xff\xfe",
        b'{"timeframe": 60,}',
    ],
)
def test_post_body_not_a_json_object(client, body):
    answer = client.post(ACTIVITY, content=body, headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "body")


def test_post_null_means_absent(client):
    body = {**_numbers(VALID), "interval": None, "to": None, "totals": None}
    answer = client.post(ACTIVITY, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"agentsMetrics": {"metricsPerAgent": {}, "metricsTotals": []}}
    for name in ("timeframe", "agentIds", "v"):
        assert_error(client.post(ACTIVITY, json={**VALID, name: None}), 400, name)


def test_post_unknown_fields_are_ignored(client):
    body = {**VALID, "foo": [1, {"x": None}], "source": "etl", "TIMEFRAME": "abc"}
    answer = client.post(ACTIVITY, json=body)
    assert answer.status_code == 200, answer.text


def test_post_accepts_numbers_and_strings_mixed(client, clock: FakeClock):
    body = {
        "timeframe": 60,
        "agentIds": "1,2",
        "v": "2",
        "interval": 15,
        "to": clock.now - 1,
        "totals": "true",
    }
    answer = client.post(ACTIVITY, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["meta"] == {"responseCode": 200}


def test_post_integral_json_floats_are_whole_numbers(client):
    body = {"timeframe": 60.0, "agentIds": "all", "v": 1.0, "interval": 15.0}
    assert client.post(ACTIVITY, json=body).status_code == 200


def test_valid_post_gives_the_same_body_as_get(client, clock: FakeClock):
    now = clock.now
    ingest(
        client,
        [
            state(7, now - 2 * HOUR, "ONLINE"),
            state(9, now - 50 * MINUTE, "AWAY", "lunch"),
            {"type": "max_chats", "agentId": 7, "time": now - 2 * HOUR, "maxChats": 1},
            {"type": "chat_start", "agentId": 7, "time": now - 40 * MINUTE, "chatId": "c1"},
            state(9, now - 20 * MINUTE, "BACK_SOON"),
        ],
    )
    queries = [
        {"timeframe": "60", "agentIds": "all", "v": "1"},
        {"timeframe": "60", "agentIds": "7,9", "v": "2", "interval": "15", "totals": "true"},
        {
            "timeframe": "120",
            "agentIds": "9",
            "v": "1",
            "interval": "30",
            "to": str(now - 10 * MINUTE),
        },
    ]
    for query in queries:
        got = client.get(ACTIVITY, params=query)
        assert got.status_code == 200, got.text
        assert per_agent(got.json().get("body", got.json())), got.json()
        as_strings = client.post(ACTIVITY, json=query)
        as_numbers = client.post(ACTIVITY, json=_numbers(query))
        assert as_strings.status_code == as_numbers.status_code == 200
        assert as_strings.json() == got.json()
        assert as_numbers.json() == got.json()
        assert json.loads(as_strings.content) == json.loads(got.content)
