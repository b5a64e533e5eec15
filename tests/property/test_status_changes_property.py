"""The Status Changes records (SPEC section 9) as the service pages them, on each
backend, against the brute-force reference of status_reference.py.

Streams have same-millisecond ties, repeated states, Away reason changes, OFFLINE while
logged out, chats and limits (which make no records), and arrive in batches in an order
unrelated to time (late events in later batches re-derive what was stored). Ranges start
and end on and off hour boundaries (the hourly counts behind the offsets); every page
of a walk with a small limit, in v2 and in v1, is checked: together they hold every
record exactly once, in order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentactivity.events import Event
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.status_changes import StatusQuery
from agentactivity.store import Store, open_store
from tests.property.status_reference import reference_records
from tests.store.conftest import BACKENDS, backend_url

HOUR = 3_600_000
BASE = 1_790_000_000_000 - 1_790_000_000_000 % HOUR  # a fixed hour: same result any day
NOW = BASE + 2 * 24 * HOUR
AGENTS = (3, 10, 2**63 - 1)
REASONS = (None, "r1", "7", "007")
_accounts = itertools.count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One store per backend for the module; each example writes an account of its own."""
    folder: Path = tmp_path_factory.mktemp("status")
    with backend_url(request.param, folder) as url:
        store = open_store(url)
        yield store
        store.close()


@st.composite
def arrivals(draw: st.DrawFn) -> list[list[Event]]:
    """Events in batches, in arrival order."""
    count = draw(st.integers(0, 40))
    events = []
    for n in range(count):
        agent = draw(st.sampled_from(AGENTS))
        time = (
            BASE
            + draw(st.integers(0, 3)) * HOUR
            + draw(st.sampled_from([0, 1, 999, 60_000, HOUR - 1]))
        )
        kind = draw(st.sampled_from(["state"] * 4 + ["chat_start", "max_chats"]))
        if kind == "state":
            state = draw(st.sampled_from(["ONLINE", "BACK_SOON", "AWAY", "OFFLINE"]))
            reason = draw(st.sampled_from(REASONS)) if state == "AWAY" else None
            events.append(Event("state", agent, time, f"e{n}", state=state, reason_id=reason))
        elif kind == "max_chats":
            events.append(Event("max_chats", agent, time, f"e{n}", max_chats=2))
        else:
            events.append(Event("chat_start", agent, time, f"e{n}", chat_id="c1"))
    order = draw(st.permutations(range(count)))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, count - 1)), max_size=4)))
    arrival = [events[i] for i in order]
    return [arrival[a:b] for a, b in itertools.pairwise([0, *cuts, count]) if arrival[a:b]]


def rfc3339(ms: int) -> str:
    whole = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{ms % 1000:03d}Z"


def expected(record: dict[str, Any], agent_fields: bool = True) -> dict[str, Any]:
    """A reference record as the API shows it (an agent outside the directory)."""
    reason = record["reasonId"]
    plain = reason is not None and reason.isdigit() and not reason.startswith("0")
    shown = {
        "time": rfc3339(record["time"]),
        "sessionId": record["sessionId"],
        "sequenceNumber": record["sequenceNumber"],
        "statusType": record["statusType"],
        "statusSubType": record["statusSubType"],
        "statusReasonId": -1 if reason is None else int(reason) if plain else reason,
        "statusReasonText": None,
        "prevStatusChangeTime": None if record["prevTime"] is None else rfc3339(record["prevTime"]),
    }
    if not agent_fields:
        return shown
    agent = {
        "agentId": record["agentId"],
        "employeeId": None,
        "agentLoginName": None,
        "agentUserName": None,
        "agentGroupId": -1,
    }
    return {**agent, **shown}


def walk(service: ActivityService, account: str, query: StatusQuery) -> list[dict[str, Any]]:
    """Every page from offset 0 by `limit`; checks each page's total and size."""
    items: list[dict[str, Any]] = []
    offset, total = 0, None
    while True:
        asked = StatusQuery(**{**query_fields(query), "offset": offset})
        page = service.status_changes(account, asked)
        total = page.total if total is None else total
        assert page.total == total
        assert len(page.items) == max(0, min(query.limit, total - offset))
        items += page.items
        offset += query.limit
        if offset >= total:
            return items


def query_fields(query: StatusQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in StatusQuery.__slots__}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    arrivals(),
    st.integers(-2, 8),
    st.sampled_from([0, 1, 999, 1800_000]),
    st.integers(1, 10),
    st.sampled_from([0, 1, HOUR - 1]),
    st.integers(1, 7),
    st.integers(1, 3),
)
def test_pages_hold_the_reference_records(
    shared_store: Store,
    batches: list[list[Event]],
    start_half_hours: int,
    start_jitter: int,
    span_half_hours: int,
    span_jitter: int,
    limit: int,
    agents_limit: int,
) -> None:
    account = f"p{next(_accounts)}"
    pairs: list[tuple[int, Event]] = []
    for batch in batches:
        pairs += shared_store.append(account, batch).stored
    service = ActivityService(shared_store, Settings(db_url="unused"), clock=lambda: NOW)
    reference = reference_records(pairs)

    # Everything, in one page.
    everything = StatusQuery("test", 2, BASE - HOUR, BASE + 5 * HOUR, 5000, 0)
    page = service.status_changes(account, everything)
    assert page.items == [expected(record) for record in reference]
    assert page.total == len(reference)

    # A range on or off hour boundaries, walked by small pages.
    start = BASE + start_half_hours * HOUR // 2 + start_jitter
    end = start + span_half_hours * HOUR // 2 + span_jitter
    inside = [record for record in reference if start <= record["time"] < end]
    v2 = StatusQuery("test", 2, start, end, limit, 0)
    assert walk(service, account, v2) == [expected(record) for record in inside]

    # v1: agents ascending, each with its records in order.
    v1 = StatusQuery("test", 1, start, end, agents_limit, 0)
    agents = sorted({record["agentId"] for record in inside})
    assert [item["agentId"] for item in walk(service, account, v1)] == agents
    for item in walk(service, account, v1):
        mine = [expected(r, False) for r in inside if r["agentId"] == item["agentId"]]
        assert item["statusChangeHistory"] == mine
        assert item["agentGroupId"] == -1 and item["employeeId"] is None

    # One agent (agentId).
    for agent in AGENTS:
        one = StatusQuery("test", 2, start, end, limit, 0, agent_id=agent)
        mine = [expected(r) for r in inside if r["agentId"] == agent]
        assert walk(service, account, one) == mine
