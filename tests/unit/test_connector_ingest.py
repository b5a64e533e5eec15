"""The connectors' common door (service/connectors.py): platform ids become agent ids,
reason texts become reason ids, and the events are stored by the rules of an HTTP
batch, in atomic chunks of the ingest limit, idempotently."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentactivity.events import BatchRefused
from agentactivity.platforms.sightings import TWILIO, PlatformEvent, Sighting
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService
from agentactivity.service.connectors import ConnectorIngest
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.conftest import FakeClock

NOW = 1_790_000_000_000 + 161_803
MINUTE = 60_000
ALICE = Sighting(TWILIO, "WK-alice", "alice", "Alice Ames")
BOB = Sighting(TWILIO, "WK-bob", "bob")


@pytest.fixture
def small_batches() -> Iterator[ActivityService]:
    store = SQLiteStore(":memory:")
    yield ActivityService(store, Settings(db_url=":memory:", max_batch_events=3), FakeClock(NOW))
    store.close()


def state(
    agent: Sighting, minutes_ago: int, value: str, reason: str | None = None
) -> PlatformEvent:
    time = NOW - minutes_ago * MINUTE
    fields = {
        "type": "state",
        "time": time,
        "eventId": f"{agent.external_id}-{time}",
        "state": value,
    }
    return PlatformEvent(agent, fields, reason)


def day() -> list[PlatformEvent]:
    return [
        state(ALICE, 60, "ONLINE"),
        state(BOB, 55, "ONLINE"),
        state(ALICE, 40, "AWAY", "Lunch"),
        state(BOB, 30, "AWAY", "lunch"),  # the same reason, another spelling
        state(ALICE, 20, "AWAY", "Training"),
        state(BOB, 10, "OFFLINE"),
        state(ALICE, 5, "ONLINE"),
    ]


def test_platform_events_are_stored_as_our_events(small_batches: ActivityService) -> None:
    service = small_batches
    counts = ConnectorIngest(service).ingest("a", day())
    assert (counts.accepted, counts.duplicates) == (7, 0)
    users = {user.login_name: user for user in service.store.directory.users.listing("a")[1]}
    assert {name: user.id for name, user in users.items()} == {"alice": 1, "bob": 2}
    assert users["alice"].full_name == "Alice Ames"
    reasons = {item.text: item.id for item in service.store.reasons.listing("a")[1]}
    assert reasons == {"Lunch": 1, "Training": 2}
    stored = [event for _, event in service.store.read_after("a", 0)]
    assert [(e.agent_id, e.state, e.reason_id) for e in stored] == [
        (1, "ONLINE", None),
        (2, "ONLINE", None),
        (1, "AWAY", "1"),
        (2, "AWAY", "1"),
        (1, "AWAY", "2"),
        (2, "OFFLINE", None),
        (1, "ONLINE", None),
    ]
    # Figures equal those of the same events written as our own in another account.
    ours = [event.to_json() for event in stored]
    for start in range(0, len(ours), 3):
        service.ingest_items("b", ours[start : start + 3])
    query = ActivityQuery(60, None, 1, 15, NOW, True)
    assert service.agent_activity("a", query) == service.agent_activity("b", query)
    # A retry (Twilio re-sends, Firehose retries) is all duplicates.
    again = ConnectorIngest(service).ingest("a", day())
    assert (again.accepted, again.duplicates) == (0, 7)


def test_a_refused_chunk_stores_nothing_of_itself(small_batches: ActivityService) -> None:
    events = day()
    # The fifth event (second chunk of three) is older than the live window.
    events[4] = state(ALICE, 8 * 24 * 60, "AWAY", "Training")
    with pytest.raises(BatchRefused, match=r"events\[1\]"):
        ConnectorIngest(small_batches).ingest("a", events)
    stored = small_batches.store.read_after("a", 0)
    assert len(stored) == 3  # the first chunk, whole; none of the second
