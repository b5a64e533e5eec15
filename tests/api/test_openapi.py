"""The OpenAPI document served at `GET /openapi.json`: valid OpenAPI 3.1, built from the
settings, complete (every route of the app and nothing else), and accurate (real answers
of every kind validate against what it documents)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from schemathesis.core.failures import Failure, FailureGroup
from starlette.routing import Route
from starlette.testclient import TestClient

from agentactivity.api import paths
from agentactivity.api.app import create_app
from agentactivity.api.openapi import NDJSON, build_openapi, integer_range_pattern
from agentactivity.api.paths import (
    ACTIVITY_PATH,
    AGENT_GROUP_PATH,
    AGENT_GROUPS_PATH,
    AMAZON_CONNECT_PATH,
    DISCOVERY_PATH,
    EVENTS_PATH,
    OPENAPI_PATH,
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
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.dashboard.page import FILES as DASHBOARD_FILES
from agentactivity.events import EVENT_TYPES, MAX_AGENT_ID, STATES, TimeBounds, parse_batch
from agentactivity.query import StateNames
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import StoreBusyError
from tests.api.conftest import ACTIVITY, BASE_URL, EVENTS, HOUR, MINUTE, client_for
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, OAuth1Auth, make_credentials

try:
    import httpx2 as httpx
except ImportError:  # pragma: no cover - older environments
    import httpx  # type: ignore[no-redef]

DISCOVERY = f"/api/account/{ACCOUNT}/service/leDataReporting/baseURI.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def seed_events(service: ActivityService, now: int) -> None:
    """A few agents with every kind of figure in the last day: states, Away reasons and
    none, chats, chats at full capacity, a logout."""
    raw: list[dict[str, Any]] = []

    def add(kind: str, agent: int, ago: int, **fields: Any) -> None:
        raw.append({"type": kind, "agentId": str(agent), "time": now - ago, **fields})

    add("max_chats", 1, 21 * HOUR, maxChats=2)
    add("state", 1, 20 * HOUR, state="ONLINE")
    add("chat_start", 1, 19 * HOUR, chatId="c1")
    add("chat_start", 1, 18 * HOUR, chatId="c2")
    add("chat_end", 1, 17 * HOUR, chatId="c1")
    add("state", 1, 3 * HOUR, state="AWAY", reasonId="lunch")
    add("state", 1, 2 * HOUR, state="BACK_SOON")
    add("state", 1, 90 * MINUTE, state="AWAY")
    add("state", 1, 1 * HOUR, state="ONLINE")
    add("state", 2, 5 * HOUR, state="ONLINE")
    add("state", 2, 4 * HOUR, state="AWAY", reasonId="2642559712")
    add("state", 2, 210 * MINUTE, state="AWAY", reasonId="break")
    add("state", 2, 30 * MINUTE, state="OFFLINE")
    add("state", 7, 6 * 24 * HOUR, state="BACK_SOON")
    events, problems = parse_batch(raw, TimeBounds.around(now, service.settings.retention_ms))
    assert not problems, problems
    service.ingest(ACCOUNT, events)


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get(OPENAPI_PATH, auth=None)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()  # type: ignore[no-any-return]


@pytest.fixture
def schema(document: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_dict(document)


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


# --- the document itself ----------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any], schema: Any) -> None:
    assert document["openapi"] == "3.1.0"
    schema.validate()  # against the OpenAPI 3.1 meta-schema; raises on any violation
    for name, component in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(component), name  # JSON Schema 2020-12
    patterns = [value for key, value in _walk(document) if key == "pattern"]
    assert patterns
    for pattern in patterns:
        re.compile(pattern)  # Python (what hypothesis draws from) ...
        jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, "")  # ... and ECMA 262


def test_the_validation_bites(document: dict[str, Any]) -> None:
    broken = {**document, "paths": {EVENTS_PATH: {"post": {"responses": "none"}}}}
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_the_document_needs_no_authentication(client: TestClient) -> None:
    answer = client.get(OPENAPI_PATH, auth=None)
    assert answer.status_code == 200
    assert answer.json()["paths"][OPENAPI_PATH]["get"]["security"] == []


def test_authenticated_operations_declare_oauth1(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["OAuth1"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header"
    assert scheme["name"] == "Authorization" and "OAuth 1.0a" in scheme["description"]
    oauth = [{"OAuth1": []}]
    # Read operations also take a dashboard link's token (header or query).
    read = [*oauth, {"DashboardToken": []}, {"DashboardTokenQuery": []}]
    expected = {
        **dict.fromkeys((EVENTS_PATH, REASONS_PATH, REASON_PATH), oauth),
        **dict.fromkeys((USERS_PATH, USER_PATH, AGENT_GROUPS_PATH, AGENT_GROUP_PATH), oauth),
        **dict.fromkeys((ACTIVITY_PATH, STATE_PATH, STREAM_PATH, REPORT_PATH), read),
        STATUS_CHANGES_PATH: read,
        # Firehose authenticates with its access key header, not OAuth 1.0a.
        AMAZON_CONNECT_PATH: [{"FirehoseAccessKey": []}],
    }
    # The agent groups' listing (the dashboard's team picker) takes a token too.
    listings = {(AGENT_GROUPS_PATH, "get")}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            protected = path in expected
            wanted = read if (path, method) in listings else expected.get(path, [])
            assert operation["security"] == wanted, (path, method)
            if protected:
                assert {"401", "403"} <= set(operation["responses"]), (path, method)


def test_every_event_type_and_state_is_documented(document: dict[str, Any]) -> None:
    variants = document["components"]["schemas"]["Event"]["oneOf"]
    types, states = set(), set()
    for variant in variants:
        kind = variant["properties"]["type"]
        types |= set(kind.get("enum", [kind.get("const")]))
        state = variant["properties"].get("state", {})
        states |= set(state.get("enum", [state["const"]] if "const" in state else []))
    assert types == set(EVENT_TYPES)
    assert states == set(STATES)


def test_the_document_is_built_from_the_settings(
    make_service: Callable[..., ActivityService], service: ActivityService
) -> None:
    names = StateNames(
        online="En ligne", back_soon="De retour", away="Absent", logged_in="Connecté"
    )
    custom = make_service(
        service,
        max_timeframe_minutes=60,
        max_batch_events=100,
        max_agent_ids=50,
        max_body_bytes=4096,
        state_names=names,
    )
    credentials = make_credentials(custom, ACCOUNT, ("read",))
    with client_for(custom, credentials) as client:
        document = client.get(OPENAPI_PATH, auth=None).json()
    assert document == build_openapi(
        custom.settings, [OPENAPI_PATH, "/healthz", "/readyz", "/metrics", *DASHBOARD_FILES]
    )
    query = {p["name"]: p for p in document["paths"][ACTIVITY_PATH]["get"]["parameters"]}
    assert query["timeframe"]["schema"]["anyOf"][0]["maximum"] == 60
    assert query["interval"]["schema"]["anyOf"][0]["maximum"] == 60
    assert "at most 50 distinct ids" in query["agentIds"]["description"]
    schemas = document["components"]["schemas"]
    assert schemas["EventList"]["maxItems"] == 100
    assert "4096 bytes" in document["paths"][EVENTS_PATH]["post"]["responses"]["413"]["description"]
    entries = schemas["StateEntries"]["prefixItems"]
    assert [e["properties"]["name"]["const"] for e in entries] == [
        "En ligne",
        "De retour",
        "Absent",
        "Connecté",
    ]
    assert [e["properties"]["id"]["const"] for e in entries] == [2, 3, 4, -1]


def _app_operations(app: Any) -> set[tuple[str, str]]:
    operations = set()
    for route in app.routes:
        assert isinstance(route, Route), route
        for method in route.methods or ():
            if method != "HEAD":  # Starlette adds HEAD to every GET route by itself
                operations.add((route.path, method.lower()))
    return operations


def test_every_route_is_documented_and_every_documented_operation_exists(
    service: ActivityService, document: dict[str, Any]
) -> None:
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert documented == _app_operations(create_app(service))


def test_every_path_of_the_table_is_served_and_documented(
    service: ActivityService, document: dict[str, Any]
) -> None:
    # The routes and the document both read api/paths.py: no entry of it may be dead.
    table = {value for name, value in vars(paths).items() if name.endswith("_PATH")}
    assert {EVENTS_PATH, REASON_PATH, OPENAPI_PATH} <= table  # the filter finds them
    served = {path for path, _ in _app_operations(create_app(service))}
    assert table <= served
    assert table <= set(document["paths"])


def test_optional_paths_are_documented_only_when_served() -> None:
    paths = build_openapi(Settings(), paths=[])["paths"]
    assert set(paths) == {
        *(EVENTS_PATH, ACTIVITY_PATH, STATE_PATH, STREAM_PATH, DISCOVERY_PATH, REPORT_PATH),
        STATUS_CHANGES_PATH,
        TWILIO_PATH,
        *(REASONS_PATH, REASON_PATH),
        *(USERS_PATH, USER_PATH, AGENT_GROUPS_PATH, AGENT_GROUP_PATH),
        AMAZON_CONNECT_PATH,
    }
    assert OPENAPI_PATH in build_openapi(Settings())["paths"]


@pytest.mark.parametrize(
    ("low", "high"), [(0, 0), (1, 2), (1, 1440), (5, 1440), (37, 1093), (100, 100), (7, 7000)]
)
def test_integer_range_pattern(low: int, high: int) -> None:
    pattern = re.compile(integer_range_pattern(low, high))
    for number in range(0, 12_000):
        assert bool(pattern.fullmatch(str(number))) == (low <= number <= high), number
    assert not pattern.fullmatch(f"0{low}")  # no leading zeros: the schemas add `0*`


def test_integer_range_pattern_up_to_the_largest_agent_id() -> None:
    pattern = re.compile(integer_range_pattern(1, MAX_AGENT_ID))
    for number in (1, 9, 10, 99, 10**18 - 1, 10**18, MAX_AGENT_ID - 1, MAX_AGENT_ID):
        assert pattern.fullmatch(str(number)), number
    for number in (0, MAX_AGENT_ID + 1, 9_300_000_000_000_000_000, 10**19, 10**20):
        assert not pattern.fullmatch(str(number)), number


def document_schema(name: str, document: dict[str, Any]) -> Any:
    """A validator for one of the document's component schemas."""
    return jsonschema_rs.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    )


# --- real answers against the document --------------------------------------------------------


def conforms(schema: Any, method: str, path: str, answer: Any) -> Any:
    """The answer's status, media type, headers and body are what the document says."""
    operation = schema[path][method]
    definition = operation.responses.find_by_status_code(answer.status_code)
    assert definition is not None, f"{method} {path}: {answer.status_code} is not documented"
    raw = operation.definition.raw["responses"][str(answer.status_code)]
    media_type = answer.headers["content-type"].split(";")[0].strip()
    assert media_type in raw["content"], (media_type, list(raw["content"]))
    for name, header in raw.get("headers", {}).items():
        if header.get("required"):
            assert name in answer.headers, name
            assert jsonschema_rs.is_valid(header["schema"], int(answer.headers[name])), name
    operation.validate_response(answer)  # raises Failure(Group) on a body that does not fit
    return answer.json() if media_type == "application/json" else answer.text


@pytest.fixture
def seeded(service: ActivityService, clock: FakeClock) -> ActivityService:
    seed_events(service, clock.now)
    return service


def test_ingest_answers_conform(client: TestClient, schema: Any, clock: FakeClock) -> None:
    now = clock.now
    event = {"type": "state", "agentId": "5", "time": now - HOUR, "state": "ONLINE"}
    body = conforms(schema, "POST", EVENTS_PATH, client.post(EVENTS, json=[event]))
    assert body == {"accepted": 1, "duplicates": 0}
    answer = client.post(EVENTS, json={"events": [event, {**event, "agentId": 6}]})
    assert conforms(schema, "POST", EVENTS_PATH, answer) == {"accepted": 1, "duplicates": 1}
    chat = {"type": "chat_start", "agentId": 5, "time": now - 1, "chatId": "x"}
    ndjson = json.dumps(chat) + "\n\n"
    answer = client.post(EVENTS, content=ndjson, headers={"content-type": NDJSON})
    assert conforms(schema, "POST", EVENTS_PATH, answer) == {"accepted": 1, "duplicates": 0}
    # 400: every bad event with its index; and a body that is not JSON at all.
    answer = client.post(EVENTS, json=[event, {"type": "nap"}, {**event, "time": 1.5}])
    body = conforms(schema, "POST", EVENTS_PATH, answer)
    assert [d["index"] for d in body["details"]] == [1, 2]
    answer = client.post(EVENTS, content=b"{", headers={"content-type": "application/json"})
    assert conforms(schema, "POST", EVENTS_PATH, answer)["status"] == 400
    # 401 unsigned, 404 malformed account.
    answer = client.post(EVENTS, json=[event], auth=None)
    assert conforms(schema, "POST", EVENTS_PATH, answer)["status"] == 401
    answer = client.post("/api/account/no%20such/events", json=[event])
    assert conforms(schema, "POST", EVENTS_PATH, answer)["status"] == 404


def test_ingest_refusals_conform(
    service: ActivityService, make_service: Callable[..., ActivityService], clock: FakeClock
) -> None:
    small = make_service(service, max_batch_events=2)
    document = build_openapi(small.settings, [OPENAPI_PATH])
    schema = schemathesis.openapi.from_dict(document)
    reader = make_credentials(small, ACCOUNT, ("read",))
    event = {"type": "state", "agentId": 5, "time": clock.now - HOUR, "state": "ONLINE"}
    with client_for(small, reader) as client:
        answer = client.post(EVENTS, json=[event])
        assert conforms(schema, "POST", EVENTS_PATH, answer)["status"] == 403
    writer = make_credentials(small, ACCOUNT, ("ingest",))
    with client_for(small, writer) as client:
        answer = client.post(EVENTS, json=[event] * 3)
        assert conforms(schema, "POST", EVENTS_PATH, answer)["status"] == 413


def test_query_answers_conform(seeded: ActivityService, client: TestClient, schema: Any) -> None:
    # v=1 and v=2, with intervals and totals: every part of the 200 schema is exercised.
    params = {"timeframe": 1440, "agentIds": "all", "interval": 60, "totals": "true"}
    v1 = conforms(schema, "GET", ACTIVITY_PATH, client.get(ACTIVITY, params={**params, "v": 1}))
    assert set(v1) == {"metricsByIntervals", "agentsMetrics"}
    assert len(v1["metricsByIntervals"]) in (24, 25)
    assert set(v1["agentsMetrics"]["metricsPerAgent"]) == {"1", "2", "7"}
    assert len(v1["agentsMetrics"]["metricsTotals"]) == 4
    away = v1["agentsMetrics"]["metricsTotals"][2]
    assert [r["id"] for r in away["reasons"]] == ["break", "lunch", "2642559712"]
    v2 = conforms(schema, "GET", ACTIVITY_PATH, client.get(ACTIVITY, params={**params, "v": 2}))
    assert v2 == {"meta": {"responseCode": 200}, "body": v1}
    # Without interval and totals; and the POST form.
    plain = client.get(ACTIVITY, params={"timeframe": 60, "agentIds": "1, 2", "v": 1})
    assert conforms(schema, "GET", ACTIVITY_PATH, plain)["agentsMetrics"]["metricsTotals"] == []
    answer = client.post(ACTIVITY, json={"timeframe": "120", "agentIds": [1, "7"], "v": 2})
    assert set(conforms(schema, "POST", ACTIVITY_PATH, answer)["body"]) == {"agentsMetrics"}


def test_query_refusals_conform(
    seeded: ActivityService,
    client: TestClient,
    schema: Any,
    make_service: Callable[..., ActivityService],
) -> None:
    answer = client.get(ACTIVITY, params={"timeframe": 60, "agentIds": "all", "v": 3})
    body = conforms(schema, "GET", ACTIVITY_PATH, answer)
    assert body["status"] == 400 and "details" not in body
    answer = client.get(ACTIVITY, params={"timeframe": 0, "agentIds": "", "v": 3})
    assert len(conforms(schema, "GET", ACTIVITY_PATH, answer)["details"]) == 3
    answer = client.post(ACTIVITY, content=b"[]", headers={"content-type": "application/json"})
    assert conforms(schema, "POST", ACTIVITY_PATH, answer)["status"] == 400
    answer = client.get(ACTIVITY, params={"timeframe": 60, "agentIds": "all", "v": 1}, auth=None)
    assert conforms(schema, "GET", ACTIVITY_PATH, answer)["status"] == 401
    other = make_credentials(seeded, OTHER_ACCOUNT, ("read", "ingest"))
    with client_for(seeded, other) as foreign:
        answer = foreign.get(ACTIVITY, params={"timeframe": 60, "agentIds": "all", "v": 1})
        assert conforms(schema, "GET", ACTIVITY_PATH, answer)["status"] == 403


def test_state_answers_conform(
    seeded: ActivityService, client: TestClient, schema: Any, clock: FakeClock
) -> None:
    path = f"/api/account/{ACCOUNT}/agents/state"
    body = conforms(schema, "GET", STATE_PATH, client.get(path, params={"agentIds": "all"}))
    assert body["asOf"] == clock.now and list(body["agents"]) == ["1", "2", "7"]
    assert body["agents"]["2"]["loggedInSince"] is None
    earlier = client.get(path, params={"agentIds": "1, 2", "to": clock.now - 3 * HOUR})
    assert conforms(schema, "GET", STATE_PATH, earlier)["agents"]["1"]["reasonId"] == "lunch"
    answer = client.get(path, params={"agentIds": "x", "to": clock.now + 1})
    assert len(conforms(schema, "GET", STATE_PATH, answer)["details"]) == 2
    answer = client.get(path, params={"agentIds": "all"}, auth=None)
    assert conforms(schema, "GET", STATE_PATH, answer)["status"] == 401
    answer = client.get("/api/account/no%20such/agents/state", params={"agentIds": "all"})
    assert conforms(schema, "GET", STATE_PATH, answer)["status"] == 404
    other = make_credentials(seeded, OTHER_ACCOUNT, ("read", "ingest"))
    with client_for(seeded, other) as foreign:
        answer = foreign.get(path, params={"agentIds": "all"})
        assert conforms(schema, "GET", STATE_PATH, answer)["status"] == 403


def test_rate_limited_queries_conform(
    service: ActivityService, credentials: Any, schema: Any
) -> None:
    app = create_app(service, limiter=RateLimiter(max_concurrent=1, rate_per_second=1))
    with TestClient(app, base_url=BASE_URL) as client:
        client.auth = OAuth1Auth(credentials)
        params = {"timeframe": 60, "agentIds": "all", "v": 1}
        answers = [client.get(ACTIVITY, params=params) for _ in range(3)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    for answer in answers:
        conforms(schema, "GET", ACTIVITY_PATH, answer)
    assert limited[0].headers["retry-after"] == "1"


def test_refusals_before_routing_conform(
    service: ActivityService,
    make_service: Callable[..., ActivityService],
    schema: Any,
) -> None:
    small = make_service(service, max_url_bytes=200, max_header_bytes=600)
    credentials = make_credentials(small, ACCOUNT, ("read", "ingest"))
    with client_for(small, credentials) as client:
        answer = client.get(ACTIVITY, params={"timeframe": 60, "agentIds": "1," * 100, "v": 1})
        assert conforms(schema, "GET", ACTIVITY_PATH, answer)["status"] == 414
        answer = client.get("/healthz", headers={"x-padding": "x" * 600}, auth=None)
        assert conforms(schema, "GET", "/healthz", answer)["status"] == 431


def test_store_unavailable_conforms(
    service: ActivityService,
    credentials: Any,
    schema: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def busy(token: str) -> None:
        raise StoreBusyError("database is locked; retry")

    monkeypatch.setattr(service.store, "credentials_for_token", busy)
    with client_for(service, credentials) as client:
        answer = client.get(ACTIVITY, params={"timeframe": 60, "agentIds": "all", "v": 1})
        assert conforms(schema, "GET", ACTIVITY_PATH, answer)["status"] == 503
        answer = client.post(EVENTS, json=[])
        assert conforms(schema, "POST", EVENTS_PATH, answer)["status"] == 503
    assert answer.headers["retry-after"] == "1"


def test_unauthenticated_endpoints_conform(client: TestClient, schema: Any) -> None:
    body = conforms(schema, "GET", DISCOVERY_PATH, client.get(DISCOVERY, auth=None))
    assert body == {"service": "leDataReporting", "account": ACCOUNT, "baseURI": "127.0.0.1:8080"}
    answer = client.get(f"/api/account/{ACCOUNT}/service/other/baseURI.json", auth=None)
    assert conforms(schema, "GET", DISCOVERY_PATH, answer)["status"] == 404
    assert conforms(schema, "GET", "/healthz", client.get("/healthz", auth=None))
    assert conforms(schema, "GET", "/readyz", client.get("/readyz", auth=None))
    assert "agentactivity_" in conforms(schema, "GET", "/metrics", client.get("/metrics"))


def test_a_wrong_body_does_not_conform(
    seeded: ActivityService, client: TestClient, schema: Any
) -> None:
    """The checks above would pass vacuously if the validator accepted anything."""
    params = {"timeframe": 60, "agentIds": "all", "v": 1, "totals": "true"}
    answer = client.get(ACTIVITY, params=params)
    good = conforms(schema, "GET", ACTIVITY_PATH, answer)
    entries = good["agentsMetrics"]["metricsPerAgent"]["1"]
    wrong_bodies = [
        {**good, "extra": 1},
        {"agentsMetrics": {**good["agentsMetrics"], "metricsTotals": entries[:3]}},
        {"agentsMetrics": {"metricsPerAgent": {"1": entries[::-1]}, "metricsTotals": []}},
        {"meta": {"responseCode": 500}, "body": good},
    ]
    for wrong in wrong_bodies:
        fake = httpx.Response(200, json=wrong, request=answer.request)
        fake.elapsed = answer.elapsed
        with pytest.raises((Failure, FailureGroup)):
            schema[ACTIVITY_PATH]["GET"].validate_response(fake)


# --- server bugs found while documenting --------------------------------------------------------
#
# JSON has one number type: to JSON Schema (and so to the document, and to any client
# written against it) 2.0 is the integer 2. The query parser agrees (`"timeframe": 60.0`
# is fine), but these places refuse such numbers with a 400. JSON Schema cannot say
# "an integer written without a fraction", so the document cannot follow the server here.


def test_events_take_integers_written_with_a_fraction(
    client: TestClient, schema: Any, clock: FakeClock
) -> None:
    event = {"type": "max_chats", "agentId": 5.0, "time": float(clock.now - HOUR), "maxChats": 2.0}
    assert document_schema("Event", schema.raw_schema).is_valid(event)  # the document: valid
    answer = client.post(EVENTS, json=[event])
    assert answer.status_code == 200, answer.text


def test_totals_take_one_written_with_a_fraction(client: TestClient, schema: Any) -> None:
    body = {"timeframe": 60, "agentIds": "all", "v": 1.0, "totals": 1.0}
    assert document_schema("ActivityQuery", schema.raw_schema).is_valid(body)
    answer = client.post(ACTIVITY, json=body)
    assert answer.status_code == 200, answer.text
