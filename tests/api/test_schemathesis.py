"""Schemathesis against the app, in-process (ASGI), with every request signed by OAuth 1.0a.

The schema is the app's own `GET /openapi.json`. Every operation is tested in the phases
schemathesis runs under pytest (coverage: boundary and missing values, wrong methods;
fuzzing: MAX_EXAMPLES drawn cases), with positive and negative data, and every response
goes through all of schemathesis' default checks (not_a_server_error,
status_code_conformance, content_type_conformance, response_schema_conformance,
response_headers_conformance, positive_data_acceptance, negative_data_rejection,
missing_required_header, ignored_auth, unsupported_method, ...).

Signing: `requests_oauthlib.OAuth1` is passed to `case.call_and_validate(auth=...)`. The
ASGI transport is a `requests` session, so the signature covers the final method and URL
exactly as a real client sends them. Cases whose point is a missing or malformed
`Authorization` header go out unsigned, as drawn; ignored_auth re-sends signed requests
that succeeded without credentials and expects a 401.

A few rules cannot be written in JSON Schema because they depend on the server clock or
relate two fields (an event's `time` inside the retention window, `to` not in the future,
`interval` dividing `timeframe`). Drawn values would almost always break them and every
"valid" case would be a 400. `_within_server_rules` moves such values to where the server
accepts them, in a way that keeps a valid case valid and an invalid one invalid (the
document gives those fields no bound the move could cross), so positive_data_acceptance
keeps its meaning. NDJSON bodies are free text in the document; for them only the 400 of
a drawn (not JSON) text is expected, so positive_data_acceptance is left out there.
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from requests_oauthlib import OAuth1
from schemathesis.checks import CheckFunction
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.applications import Starlette

from agentactivity.api.app import create_app
from agentactivity.api.openapi import NDJSON
from agentactivity.api.paths import (
    ACTIVITY_PATH,
    AGENT_GROUP_PATH,
    AGENT_GROUPS_PATH,
    AMAZON_CONNECT_PATH,
    EVENTS_PATH,
    REASON_PATH,
    REASONS_PATH,
    REPORT_PATH,
    STATE_PATH,
    STATUS_CHANGES_PATH,
    STREAM_PATH,
    TWILIO_PATH,
    USER_PATH,
    USERS_PATH,
)
from agentactivity.api.reasons import IF_MATCH_PATTERN
from agentactivity.clock import RFC3339_PATTERN, rfc3339_ms
from agentactivity.credentials import Credentials
from agentactivity.directory import AgentGroup, User
from agentactivity.directory_items import Change, group_id
from agentactivity.local_days import find_zone, local_date
from agentactivity.reasons import ReasonFields
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.api.test_openapi import seed_events
from tests.conftest import ACCOUNT, FakeClock, make_credentials

# Drawn cases per operation in the fuzzing phase (the coverage phase adds its own
# deterministic ones); AGENTACTIVITY_SCHEMATHESIS_EXAMPLES=1500 for a deeper run (~2 min).
MAX_EXAMPLES = int(os.environ.get("AGENTACTIVITY_SCHEMATHESIS_EXAMPLES", "60"))
RETENTION_MS = Settings().retention_ms
MAX_TIMEFRAME = Settings().max_timeframe_minutes

CONFIG = schemathesis.Config.from_dict(
    {
        # The credentials of the `credentials` fixture are for this account; other ids
        # only ever get 403 (covered by test_auth_http.py).
        "parameters": {"accountId": ACCOUNT},
        "checks": {
            # schemathesis' default list plus 413: a batch over the limits (documented).
            "negative_data_rejection": {
                "expected-statuses": [
                    *("400", "401", "403", "404", "405", "406", "409"),
                    *("412", "413", "415", "422", "428", "429", "5xx"),
                ]
            },
            # 428 Precondition Required: a status reason change without If-Match.
            "missing_required_header": {
                "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]
            },
        },
    }
)


@schemathesis.serializer(NDJSON)
def _ndjson(ctx: Any, value: Any) -> bytes:
    """NDJSON bodies are text in the document; anything else (negative data) as JSON."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


def _schema_app() -> Starlette:
    """An app to read the document from, with the settings of the `service` fixture (the
    query rate limits aside, which only change a description); requests go to the
    per-test app of `api_app`, so that each operation starts on a fresh store."""
    return create_app(ActivityService(SQLiteStore(":memory:"), Settings(db_url=":memory:")))


schema = schemathesis.openapi.from_asgi("/openapi.json", _schema_app(), config=CONFIG)


@pytest.fixture
def api_app(service: ActivityService, clock: FakeClock) -> Starlette:
    # Agents with every kind of figure, so that answers to "all" have entries to check;
    # status reasons 1 to 3, so that drawn ids (often small) find items to change.
    seed_events(service, clock.now)
    service.store.reasons.create(
        ACCOUNT, [ReasonFields("Lunch"), ReasonFields("Meeting", order=2), ReasonFields("x")]
    )
    # Groups 1 to 3 and users 1 to 3 (drawn ids are often small), one of them in a group.
    directory = service.store.directory
    directory.groups.create(ACCOUNT, [Change(AgentGroup("", f"G{n}", "-1")) for n in range(3)])
    users = [Change(User(n, f"u{n}", group_id="1" if n == 1 else "-1")) for n in (1, 2, 3)]
    directory.users.create(ACCOUNT, users)
    return create_app(service)


@pytest.fixture
def credentials(service: ActivityService) -> Credentials:
    """Keys that may also change status reasons."""
    return make_credentials(service, ACCOUNT, ("read", "ingest", "admin"))


class _OAuth1(OAuth1):
    """requests_oauthlib's signer; its header values may be bytes, which the ASGI
    transport of schemathesis cannot send: as str (latin-1, like HTTP headers)."""

    def __call__(self, request: Any) -> Any:
        request = super().__call__(request)
        for name, value in list(request.headers.items()):
            if isinstance(value, bytes):
                request.headers[name] = value.decode("latin-1")
        return request


@pytest.fixture
def oauth(credentials: Credentials) -> OAuth1:
    return _OAuth1(
        credentials.app_key,
        client_secret=credentials.app_secret,
        resource_owner_key=credentials.access_token,
        resource_owner_secret=credentials.access_token_secret,
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_DIGITS = re.compile(r"\+?[0-9]+")


def _whole(value: Any) -> int | None:
    """The non-negative whole number a parameter stands for, as the server reads one
    (a JSON integer, an integral float, or a string of ASCII digits), else None."""
    if _is_int(value) or (isinstance(value, float) and value.is_integer()):
        return int(value) if value >= 0 else None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        digits = value.strip().lstrip("+").lstrip("0") or "0"
        # Longer ones are out of every bound here (and beyond Python's int() digit limit).
        return int(digits) if len(digits) <= 19 else 10**19
    return None


def _like(original: Any, number: int) -> Any:
    """`number` in the form of `original` (a JSON integer or float, or a string)."""
    if isinstance(original, str):
        return str(number)
    return float(number) if isinstance(original, float) else number


_REVISION = re.compile(IF_MATCH_PATTERN)
_GROUP_ID_TEXT = re.compile(r"-1|0*[0-9]{1,19}")


def _known_group(item: Any, known: list[str]) -> Any:
    """A group id the document accepts becomes one of the account's groups (the cases
    on the directory's paths may have deleted some), in the same form: an unknown one is
    a 400 the document cannot foresee. Anything else stays."""
    if isinstance(item, str) and _GROUP_ID_TEXT.fullmatch(item.strip()):
        return known[int(item.strip()) % len(known)]
    if _is_int(item) and -1 <= item < 2**63:
        return int(known[item % len(known)])
    if isinstance(item, float) and item.is_integer() and -1 <= item < 2**63:
        return float(known[int(item) % len(known)])
    return item


def _known_groups(value: Any, known: list[str]) -> Any:
    """`agentGroupIds` (a list in text or JSON, or one number) with its ids moved."""
    if isinstance(value, str) and "," in value:
        items = value.split(",")
        if all(_GROUP_ID_TEXT.fullmatch(item.strip()) for item in items):
            return ",".join(_known_group(item, known) for item in items)
        return value
    if isinstance(value, list):
        return [_known_group(item, known) for item in value]
    return _known_group(value, known)


# The configuration collections: the path's id parameter and the current revision.
_COLLECTIONS = {
    REASONS_PATH: ("statusReasonId", lambda store: store.reasons.revision(ACCOUNT)),
    USERS_PATH: ("userId", lambda store: store.directory.revisions(ACCOUNT)[0]),
    AGENT_GROUPS_PATH: ("agentGroupId", lambda store: store.directory.revisions(ACCOUNT)[1]),
}
_ITEM_PATHS = {
    REASON_PATH: REASONS_PATH,
    USER_PATH: USERS_PATH,
    AGENT_GROUP_PATH: AGENT_GROUPS_PATH,
}


def _collections_within_server_rules(case: Any, service: ActivityService) -> None:
    """A valid If-Match becomes the current revision (any other is a 412 the document
    cannot foresee), and a body's `id` the path's (the server checks they match). In a
    case invalid in its path, a valid If-Match becomes a stale one instead: the invalid
    part may be `accountId`, which CONFIG pins to the real account, so that nothing else
    would keep the request from succeeding. (Cases invalid elsewhere keep the current
    revision: the coverage phase re-sends such a case's headers with valid parts, which
    a stale revision would make a 412.) Valid group references become the root: whether
    a group is unknown, deleted or below another is the store's to know."""
    stale = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    collection = _ITEM_PATHS.get(case.path, case.path)
    id_name, revision_of = _COLLECTIONS[collection]
    headers = case.headers  # a case-insensitive mapping
    value = headers.get("If-Match") if headers is not None else None
    if isinstance(value, str) and _REVISION.fullmatch(value.strip()):
        revision = revision_of(service.store)
        # A copy: the coverage phase may share one mapping between cases of both kinds.
        case.headers = headers = type(headers)(headers)
        headers["If-Match"] = str(revision + 1 if stale else revision)
    raw_id = (case.path_parameters or {}).get(id_name)
    path_id = raw_id if isinstance(raw_id, str) and raw_id == "-1" else _whole(raw_id)
    body = case.body
    if case.path != collection and isinstance(body, dict) and path_id is not None:
        value = body.get("id")
        if case.path == REASON_PATH:
            if _is_int(value) or (isinstance(value, float) and value.is_integer()):
                body["id"] = path_id
        elif value is not None:
            body["id"] = str(path_id)
    if collection != REASONS_PATH:
        for item in body if isinstance(body, list) else [body]:
            if not isinstance(item, dict):
                continue
            # A valid group reference may name a group unknown, deleted or below the
            # group: the root, always there, keeps a valid case valid (and an invalid
            # one invalid: only valid references are moved).
            member_of = item.get("memberOf")
            if isinstance(member_of, list) and len(member_of) == 1:
                member_of = member_of[0]
            if isinstance(member_of, dict) and group_id(member_of.get("agentGroupId")):
                item["memberOf"] = None
            if group_id(item.get("parentGroupId")):
                item["parentGroupId"] = None


def _within_server_rules(case: Any, now: int, service: ActivityService) -> None:
    """Move clock-dependent and cross-field values to where the server accepts them.

    Only values the document accepts are moved, and only to values it accepts too, so a
    case keeps its positive or negative nature.
    """
    if case.path == EVENTS_PATH and case.media_type == "application/json":
        body = case.body
        events = body.get("events") if isinstance(body, dict) else body
        if not isinstance(events, list):
            return
        for event in events:
            if not isinstance(event, dict):
                continue
            for name in ("agentId", "time", "maxChats"):
                # 446.0 is an integer to JSON Schema, not to the server: see
                # test_openapi.py::test_events_take_integers_written_with_a_fraction.
                value = event.get(name)
                if isinstance(value, float) and value.is_integer():
                    event[name] = int(value)
            if _is_int(event.get("time")):  # any integer is valid to the document
                event["time"] = now - abs(event["time"]) % (RETENTION_MS - 60_000)
    elif case.path == REPORT_PATH:
        _report_within_server_rules(case, now, service)
    elif case.path in (ACTIVITY_PATH, STATE_PATH):  # STATE_PATH: agentIds, groups and `to`
        params = case.body if case.method == "POST" else case.query
        if not isinstance(params, dict):
            return
        if case.method == "GET":
            for name, value in params.items():
                # An integer drawn as 7.0 goes out as "7.0": no whole number in a query
                # string (the server reads "7"; a JSON 7.0 in a POST body is fine).
                if isinstance(value, float) and value.is_integer():
                    params[name] = int(value)
        timeframe, interval = _whole(params.get("timeframe")), _whole(params.get("interval"))
        if (
            timeframe is not None
            and interval is not None
            and 1 <= timeframe <= MAX_TIMEFRAME
            and 5 <= interval <= MAX_TIMEFRAME
        ):
            # A multiple of interval, between interval and the old timeframe (or interval).
            fixed = interval * max(1, timeframe // interval)
            params["timeframe"] = _like(params["timeframe"], fixed)
        if "agentGroupIds" in params:
            known = sorted(service.directory(ACCOUNT).groups, key=int)
            params["agentGroupIds"] = _known_groups(params["agentGroupIds"], known)
        to = _whole(params.get("to"))
        if to is not None:
            # Not in the future, and the window it ends inside the retention.
            span = RETENTION_MS - MAX_TIMEFRAME * 60_000 - 60_000
            params["to"] = _like(params["to"], now - to % span)


_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _report_within_server_rules(case: Any, now: int, service: ActivityService) -> None:
    """Dates the document accepts become days the history has, `from` before `to` (a
    few days back from today in the zone asked for), and group ids known ones."""
    params = case.query
    if not isinstance(params, dict):
        return
    if isinstance(params.get("interval"), float) and params["interval"].is_integer():
        params["interval"] = int(params["interval"])  # a query string has no 15.0
    zone = find_zone(params["tz"]) if isinstance(params.get("tz"), str) else None
    today = local_date(now, zone or ZoneInfo("UTC"))
    start = params.get("from")
    if isinstance(start, str) and _DATE_TEXT.fullmatch(start):
        first = today - timedelta(days=int(start[-1]) % 3)
        params["from"] = first.isoformat()
        end = params.get("to")
        if isinstance(end, str) and _DATE_TEXT.fullmatch(end):
            params["to"] = (first + timedelta(days=1 + int(end[-1]) % 3)).isoformat()
    if "agentGroupIds" in params:
        known = sorted(service.directory(ACCOUNT).groups, key=int)
        params["agentGroupIds"] = _known_groups(params["agentGroupIds"], known)


_INSTANT = re.compile(f"(?:{RFC3339_PATTERN})")
_FILTERS = ("agentId", "empId", "groupId")


def _valid_filter(name: str, value: Any) -> bool:
    """Whether agentId, empId or groupId alone would be accepted."""
    if name == "agentId":
        number = _whole(value)
        return number is not None and 1 <= number < 2**63
    if name == "empId":
        return isinstance(value, str) and len(value) <= 100
    return isinstance(value, str) and bool(_GROUP_ID_TEXT.fullmatch(value.strip()))


def _status_changes_within_server_rules(case: Any, now: int, service: ActivityService) -> None:
    """Status changes: valid `from`/`to` become the last day (both: the document cannot
    say "both or neither"); of valid agentId/empId/groupId one stays (valid ones go only
    beside another valid one, or beside an invalid one, which keeps the case invalid);
    a valid group id becomes a known group; a valid limit fits v1's maximum when v is 1."""
    params = case.query
    if not isinstance(params, dict):
        return
    for name, value in params.items():
        if isinstance(value, float) and value.is_integer():
            params[name] = int(value)
    valid = {
        name: isinstance(params.get(name), str) and bool(_INSTANT.fullmatch(params[name].strip()))
        for name in ("from", "to")
    }
    blank = {name: not str(params.get(name, "")).strip() for name in valid}
    if any(valid.values()) and all(valid[name] or blank[name] for name in valid):
        params["from"], params["to"] = rfc3339_ms(now - 24 * 3_600_000), rfc3339_ms(now)
    given = [name for name in _FILTERS if str(params.get(name, "")).strip()]
    for name in [name for name in given if _valid_filter(name, params[name])][1:]:
        params.pop(name)
    group = params.get("groupId")
    if isinstance(group, str) and _GROUP_ID_TEXT.fullmatch(group.strip()):
        known = sorted(service.directory(ACCOUNT).groups, key=int)
        params["groupId"] = _known_group(params["groupId"], known)
    version = _whole(params["v"]) if str(params.get("v", "")).strip() else 1
    limit = _whole(params.get("limit"))
    if version == 1 and limit is not None and 100 < limit <= 5000:
        params["limit"] = _like(params["limit"], 1 + limit % 100)


# The live stream never ends by itself, so a generated case would never get its whole
# answer: it is left out here and covered by tests/api/test_state_stream.py (its 4xx
# answers, in process) and tests/e2e/test_state_stream.py (the stream itself).
# Firehose's deliveries (Amazon Connect) need an access key the generator cannot know and
# records of base64 JSON the document cannot describe: drawn cases would all be 401s.
# tests/api/test_amazon_connect*.py cover that route (every refusal in Firehose's format).
@schema.exclude(path=STREAM_PATH).exclude(path=AMAZON_CONNECT_PATH).parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_conforms_to_its_openapi_document(
    case: Any, api_app: Starlette, oauth: OAuth1, clock: FakeClock
) -> None:
    _within_server_rules(case, clock.now, api_app.state.service)
    if case.path == STATUS_CHANGES_PATH:
        _status_changes_within_server_rules(case, clock.now, api_app.state.service)
    if case.path in _COLLECTIONS or case.path in _ITEM_PATHS:
        _collections_within_server_rules(case, api_app.state.service)
    excluded: list[CheckFunction] = []
    if case.media_type == NDJSON:
        # Free text to the document; drawn text is rarely lines of JSON events.
        excluded.append(positive_data_acceptance)
    # Cases about a missing or malformed Authorization header go out as drawn; all others
    # are signed (the signature replaces whatever header value was drawn).
    unsigned = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    # Twilio's callbacks carry Twilio's signature, not OAuth 1.0a (security: []).
    unsigned = unsigned or case.path == TWILIO_PATH
    case.call_and_validate(app=api_app, auth=None if unsigned else oauth, excluded_checks=excluded)


# --- valid requests, written by hand, through the same path -----------------------------------


def _call(case: Any, api_app: Starlette, oauth: OAuth1) -> Any:
    response = case.call_and_validate(app=api_app, auth=oauth)
    assert response.status_code == 200, response.text
    return response.json()


def test_valid_ingest_is_accepted_and_conforms(
    api_app: Starlette, oauth: OAuth1, clock: FakeClock
) -> None:
    operation = schema[EVENTS_PATH]["POST"]
    now = clock.now
    events = [
        {"type": "state", "agentId": "9", "time": now - 60_000, "state": "AWAY", "reasonId": "r"},
        {"type": "chat_start", "agentId": 9, "time": now - 50_000, "chatId": "c", "x": 1},
        {"type": "max_chats", "agentId": "9", "time": now - 40_000, "maxChats": 1},
    ]
    json = "application/json"
    case = operation.Case(path_parameters={"accountId": ACCOUNT}, body=events, media_type=json)
    assert _call(case, api_app, oauth) == {"accepted": 3, "duplicates": 0}
    case = operation.Case(
        path_parameters={"accountId": ACCOUNT}, body={"events": events}, media_type=json
    )
    assert _call(case, api_app, oauth) == {"accepted": 0, "duplicates": 3}
    ndjson = "\n".join(orjson.dumps({**e, "time": e["time"] + 1}).decode() for e in events)
    case = operation.Case(
        path_parameters={"accountId": ACCOUNT}, body=ndjson + "\n\n", media_type=NDJSON
    )
    assert _call(case, api_app, oauth) == {"accepted": 3, "duplicates": 0}


@pytest.mark.parametrize("version", [1, 2])
def test_valid_queries_with_interval_and_totals_conform(
    api_app: Starlette, oauth: OAuth1, version: int
) -> None:
    query = {"timeframe": 1440, "agentIds": "all", "v": version, "interval": 60, "totals": True}
    case = schema[ACTIVITY_PATH]["GET"].Case(path_parameters={"accountId": ACCOUNT}, query=query)
    body = _call(case, api_app, oauth)
    payload = body["body"] if version == 2 else body
    assert len(payload["metricsByIntervals"]) in (24, 25)
    assert set(payload["agentsMetrics"]["metricsPerAgent"]) == {"1", "2", "7"}
    assert len(payload["agentsMetrics"]["metricsTotals"]) == 4
    case = schema[ACTIVITY_PATH]["POST"].Case(
        path_parameters={"accountId": ACCOUNT},
        body={**query, "timeframe": "60", "interval": 5.0, "agentIds": [1, "2"], "to": None},
    )
    body = _call(case, api_app, oauth)
    payload = body["body"] if version == 2 else body
    assert len(payload["metricsByIntervals"]) in (12, 13)
    assert set(payload["agentsMetrics"]["metricsPerAgent"]) == {"1", "2"}
