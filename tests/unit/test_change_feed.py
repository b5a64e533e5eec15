"""The change feed behind the live stream (SPEC section 7), through the service: what is
published, when, with which id, and how a client resumes."""

from __future__ import annotations

from typing import Any

from agentactivity.events import Event, TimeBounds, parse_batch
from agentactivity.feed import Change, FeedStart
from agentactivity.reasons import ReasonFields
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.conftest import ACCOUNT, FakeClock

MINUTE = 60_000


def events(service: ActivityService, *items: dict[str, Any]) -> list[Event]:
    parsed, problems = parse_batch(
        list(items), TimeBounds.around(service.clock(), service.settings.retention_ms)
    )
    assert not problems, problems
    return parsed


def ingest(service: ActivityService, *items: dict[str, Any]) -> int:
    """Ingest and return the last stored sequence."""
    return service.ingest(ACCOUNT, events(service, *items)).last_seq


def state(agent: int, time: int, name: str, reason: str | None = None) -> dict[str, Any]:
    event = {"type": "state", "agentId": agent, "time": time, "state": name}
    if reason:
        event["reasonId"] = reason
    return event


def chat(agent: int, time: int, chat_id: str, start: bool = True) -> dict[str, Any]:
    kind = "chat_start" if start else "chat_end"
    return {"type": kind, "agentId": agent, "time": time, "chatId": chat_id}


class Listener:
    """A stream's view of the feed, without HTTP."""

    def __init__(self, service: ActivityService, last_event_id: int | None = None) -> None:
        self.service = service
        self.start: FeedStart = service.live.open_feed(ACCOUNT, last_event_id)
        self.cursor = self.start.cursor

    def take(self) -> list[Change]:
        read = self.service.live.feed.read(ACCOUNT, self.cursor)
        assert read is not None, "the listener fell behind the log"
        changes, self.cursor = read
        return changes


def now_state(service: ActivityService, agent: int) -> dict[str, Any] | None:
    agents = service.live.current_state(ACCOUNT, None, service.clock())["agents"]
    found: dict[str, Any] | None = agents.get(str(agent))
    return found


def test_snapshot_first_then_each_change_equals_the_state_at_that_instant(
    service: ActivityService, clock: FakeClock
) -> None:
    ingest(service, state(1, clock.now - 10 * MINUTE, "ONLINE"))
    listener = Listener(service)
    assert listener.start.snapshot == service.live.current_state(ACCOUNT, None, clock.now)
    assert listener.start.snapshot_id == service.store.last_seq(ACCOUNT) == 1
    assert listener.take() == []

    clock.now += 1000
    seq = ingest(service, state(1, clock.now, "AWAY", "lunch"), chat(2, clock.now, "c"))
    changes = listener.take()
    assert [(c.id, c.agent_id) for c in changes] == [(seq - 1, 1), (seq, 2)]
    for change in changes:
        assert change.state == now_state(service, change.agent_id)
    assert changes[0].state["state"] == "AWAY" and changes[0].state["since"] == clock.now
    assert changes[1].state["state"] == "OFFLINE" and changes[1].state["activeChats"] == 1


def test_nothing_is_published_when_the_object_does_not_change(
    service: ActivityService, clock: FakeClock
) -> None:
    ingest(service, state(1, clock.now - 10 * MINUTE, "AWAY", "r"))
    listener = Listener(service)
    clock.now += 1000
    # A repeat of the state and reason, and the end of a chat that never started.
    ingest(service, state(1, clock.now - 5, "AWAY", "r"), chat(1, clock.now - 4, "x", False))
    assert listener.take() == []
    ingest(service, state(1, clock.now - 3, "AWAY", "other"))
    assert [c.state["reasonId"] for c in listener.take()] == ["other"]


def test_late_events_publish_only_real_changes(service: ActivityService, clock: FakeClock) -> None:
    ingest(service, state(1, clock.now - 10 * MINUTE, "ONLINE"))
    listener = Listener(service)
    # A logout before the login: the object at now does not change.
    ingest(service, state(1, clock.now - 20 * MINUTE, "OFFLINE"))
    assert listener.take() == []
    # Logged in (Away) before that Online: the current login began earlier.
    seq = ingest(service, state(1, clock.now - 15 * MINUTE, "AWAY"))
    (change,) = listener.take()
    assert (change.id, change.state["loggedInSince"]) == (seq, clock.now - 15 * MINUTE)
    assert change.state["since"] == clock.now - 10 * MINUTE
    # A chat that started after the logout and never ended: one more active chat at now.
    seq = ingest(service, chat(1, clock.now - 12 * MINUTE, "c"))
    changes = listener.take()
    assert [(c.id, c.state["activeChats"]) for c in changes] == [(seq, 1)]
    assert changes[0].state == now_state(service, 1)


def test_offline_ends_open_chats_and_chats_count_while_logged_out(
    service: ActivityService, clock: FakeClock
) -> None:
    ingest(
        service,
        {"type": "max_chats", "agentId": 1, "time": clock.now - 9 * MINUTE, "maxChats": 2},
        state(1, clock.now - 8 * MINUTE, "ONLINE"),
        chat(1, clock.now - 7 * MINUTE, "a"),
        chat(1, clock.now - 6 * MINUTE, "b"),
    )
    listener = Listener(service)
    assert listener.start.snapshot is not None
    assert listener.start.snapshot["agents"]["1"]["atMaxConcurrency"] is True
    ingest(service, state(1, clock.now - 1000, "OFFLINE"))
    (change,) = listener.take()
    assert change.state == now_state(service, 1)
    assert change.state["activeChats"] == 0 and change.state["loggedInSince"] is None
    assert change.state["atMaxConcurrency"] is False
    ingest(service, chat(1, clock.now - 500, "c"), chat(1, clock.now - 400, "d"))
    (change,) = listener.take()  # one change for the batch: the agent at now
    assert change.state["activeChats"] == 2 and change.state["atMaxConcurrency"] is False


def test_a_future_dated_event_is_published_when_it_takes_effect(
    service: ActivityService, clock: FakeClock
) -> None:
    ingest(service, state(1, clock.now - MINUTE, "ONLINE"))
    listener = Listener(service)
    later = clock.now + 30_000
    future_seq = ingest(service, state(1, later, "BACK_SOON"), state(2, later, "ONLINE"))
    assert listener.take() == []
    assert service.live.feed.next_due(ACCOUNT) == later
    clock.now = later - 1
    service.live.sync_feed(ACCOUNT)
    assert listener.take() == []
    clock.now = later
    service.live.sync_feed(ACCOUNT)
    changes = listener.take()
    # Agent 2 had no event at or before now: it appears when its first one takes effect.
    assert [(c.agent_id, c.state["state"]) for c in changes] == [(1, "BACK_SOON"), (2, "ONLINE")]
    assert all(c.timed and c.id == future_seq for c in changes)
    for change in changes:
        assert change.state == now_state(service, change.agent_id)
    assert service.live.feed.next_due(ACCOUNT) is None


def test_an_ingest_after_the_due_time_publishes_the_future_change_itself(
    service: ActivityService, clock: FakeClock
) -> None:
    listener = Listener(service)
    ingest(service, state(1, clock.now + 10_000, "AWAY"))
    clock.now += 20_000
    seq = ingest(service, chat(7, clock.now, "c"))  # no poll in between
    changes = listener.take()
    assert [(c.agent_id, c.id, c.timed) for c in changes] == [(1, seq, True), (7, seq, False)]
    assert changes[0].state == now_state(service, 1)


def test_resume_after_an_id_gets_exactly_the_later_changes(
    service: ActivityService, clock: FakeClock
) -> None:
    listener = Listener(service)
    seqs = [ingest(service, state(1, clock.now - 50 + i, n)) for i, n in enumerate(_STATES)]
    everything = listener.take()
    assert [c.id for c in everything] == seqs
    resumed = Listener(service, seqs[1])
    assert resumed.start.snapshot is None
    assert resumed.take() == everything[2:]
    assert Listener(service, seqs[-1]).take() == []


_STATES = ["AWAY", "ONLINE", "BACK_SOON", "OFFLINE", "ONLINE"]


def test_resume_ahead_of_the_store_gets_a_snapshot(
    service: ActivityService, clock: FakeClock
) -> None:
    Listener(service)
    seq = ingest(service, state(1, clock.now, "ONLINE"))
    assert Listener(service, seq).start.snapshot is None
    ahead = Listener(service, seq + 1)  # e.g. the database was restored from a backup
    assert ahead.start.snapshot == service.live.current_state(ACCOUNT, None, clock.now)
    assert ahead.start.snapshot_id == seq


def test_resume_from_before_the_log_gets_a_snapshot(clock: FakeClock) -> None:
    store = SQLiteStore(":memory:")
    service = ActivityService(store, Settings(db_url=":memory:", stream_log_size=2), clock=clock)
    try:
        ingest(service, state(1, clock.now - 10, "ONLINE"))
        # The first stream of the account: ids up to now cannot be resumed (this process
        # does not know what happened before).
        assert Listener(service, 1).start.snapshot is not None
        seqs = [ingest(service, state(1, clock.now - 9 + i, n)) for i, n in enumerate(_STATES)]
        assert Listener(service, seqs[-3]).start.snapshot is None  # still in the log
        fallback = Listener(service, seqs[-4])  # dropped from the log
        assert fallback.start.snapshot == service.live.current_state(ACCOUNT, None, clock.now)
        assert fallback.start.snapshot_id == seqs[-1]
        # A reader that fell behind is told so (it then starts over from a snapshot).
        assert service.live.feed.read(ACCOUNT, 0) is None
    finally:
        store.close()


def test_resume_at_an_id_shared_with_a_timed_change_gets_a_snapshot(
    service: ActivityService, clock: FakeClock
) -> None:
    listener = Listener(service)
    seq = ingest(service, state(1, clock.now, "ONLINE"), state(1, clock.now + 5000, "AWAY"))
    assert [c.id for c in listener.take()] == [seq - 1]
    clock.now += 5000
    service.live.sync_feed(ACCOUNT)
    (timed,) = listener.take()
    assert (timed.id, timed.timed) == (seq, True)
    # A client at `seq` may or may not have seen the timed change: it gets the state.
    assert Listener(service, seq).start.snapshot is not None
    assert Listener(service, seq - 1).take() == [timed]


def test_reason_names_are_in_the_objects_and_a_rename_is_published(
    service: ActivityService, clock: FakeClock
) -> None:
    revision, _ = service.store.reasons.create(ACCOUNT, [ReasonFields("Lunch")])
    ingest(service, state(1, clock.now - MINUTE, "AWAY", "1"), state(2, clock.now, "ONLINE"))
    listener = Listener(service)
    assert listener.start.snapshot is not None
    assert listener.start.snapshot["agents"]["1"]["reasonName"] == "Lunch"
    seq = ingest(service, state(3, clock.now, "AWAY", "1"))
    (change,) = listener.take()
    assert (change.agent_id, change.state["reasonName"]) == (3, "Lunch")

    service.store.reasons.update(ACCOUNT, 1, ReasonFields("Long lunch"), revision)
    service.live.sync_feed(ACCOUNT)  # what an open stream does every poll
    changes = listener.take()
    # The agents Away under that reason, and nobody else; marked as not caused by an event.
    assert [(c.agent_id, c.id, c.timed) for c in changes] == [(1, seq, True), (3, seq, True)]
    for change in changes:
        assert change.state == now_state(service, change.agent_id)
        assert change.state["reasonName"] == "Long lunch"
    service.live.sync_feed(ACCOUNT)
    assert listener.take() == []
