"""The change feed against the current-state listing, on random event streams.

Random events (late, on time and up to 40 s in the future) arrive in random batches,
through this process's ingest or stored by "another process" (straight into the store),
while the clock moves and the directory changes (agents get a user, are renamed, move
between groups: their objects' `agentName` and `agentGroupId` change without an
event). A listener opened at the start must see, after every step, a snapshot plus
changes that rebuild exactly the listing at that instant; each change must be the
agent's object at the instant it was published; ids never decrease. A listener
resuming after any id it received gets exactly the changes after it, or a snapshot
when (and only when) a change carrying that id was timed or the id is where the log
began.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentactivity.directory import AgentGroup, User
from agentactivity.directory_items import Change as Edit
from agentactivity.events import TimeBounds, parse_batch
from agentactivity.feed import Change
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.conftest import ACCOUNT, FakeClock

START = 1_800_000_000_000
MINUTE = 60_000


@st.composite
def raw_event(draw: st.DrawFn) -> dict[str, Any]:
    agent = draw(st.integers(1, 3))
    offset = draw(st.integers(-10 * MINUTE, 40_000))
    kind = draw(st.sampled_from(["state", "state", "chat_start", "chat_end", "max_chats"]))
    event: dict[str, Any] = {"type": kind, "agentId": agent, "offset": offset}
    if kind == "state":
        event["state"] = draw(st.sampled_from(["ONLINE", "BACK_SOON", "AWAY", "OFFLINE"]))
        if event["state"] == "AWAY":
            reason = draw(st.sampled_from([None, "r1", "r2"]))
            if reason:
                event["reasonId"] = reason
    elif kind == "max_chats":
        event["maxChats"] = draw(st.integers(0, 2))
    else:
        event["chatId"] = draw(st.sampled_from(["a", "b", "c"]))
    return event


# A user for agent 1..3: (agent, its group, its nickname).
directory_change = st.tuples(
    st.integers(1, 3), st.sampled_from(["-1", "1", "2"]), st.sampled_from([None, "x", "y"])
)

step = st.tuples(
    st.integers(0, 30_000),  # clock advance before the batch
    st.sampled_from(["ingest", "ingest", "other process"]),
    st.lists(raw_event(), min_size=0, max_size=6),
    st.one_of(st.none(), directory_change),  # made before the batch is stored
)


def _directory_changed(service: ActivityService, change: tuple[int, str, str | None]) -> None:
    agent, group, nickname = change
    users = service.store.directory.users
    revision, user = users.get(ACCOUNT, agent)
    wanted = User(agent, f"login{agent}", nickname=nickname, group_id=group)
    if user is None:
        users.create(ACCOUNT, [Edit(wanted)])
    else:
        users.update(ACCOUNT, agent, Edit(wanted), revision)


def _stored(
    service: ActivityService, clock: FakeClock, raw: list[dict[str, Any]], how: str
) -> None:
    items = [
        {**{k: v for k, v in e.items() if k != "offset"}, "time": clock.now + e["offset"]}
        for e in raw
    ]
    events, problems = parse_batch(
        items, TimeBounds.around(clock.now, service.settings.retention_ms)
    )
    assert not problems, problems
    if how == "ingest":
        service.ingest(ACCOUNT, events)
    else:
        service.store.append(ACCOUNT, events)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.lists(raw_event(), max_size=6),
    steps=st.lists(step, min_size=1, max_size=12),
    pick=st.floats(0, 1),
)
def test_listeners_rebuild_the_listing_and_resume_with_exactly_the_tail(
    first: list[dict[str, Any]], steps: list[tuple[int, str, list[dict[str, Any]]]], pick: float
) -> None:
    clock = FakeClock(START)
    store = SQLiteStore(":memory:")
    service = ActivityService(store, Settings(db_url=":memory:"), clock=clock)
    try:
        groups = service.store.directory.groups
        groups.create(ACCOUNT, [Edit(AgentGroup("", "Sales", "-1"))])
        groups.create(ACCOUNT, [Edit(AgentGroup("", "Tier 2", "1"))])
        _stored(service, clock, first, "ingest")
        start = service.live.open_feed(ACCOUNT, None)
        assert start.snapshot is not None
        rebuilt = dict(start.snapshot["agents"])
        cursor, received = start.cursor, []
        for advance, how, raw, change in steps:
            clock.now += advance
            if change is not None:
                _directory_changed(service, change)
            _stored(service, clock, raw, how)
            service.live.sync_feed(ACCOUNT)  # what an open stream does every poll
            read = service.live.feed.read(ACCOUNT, cursor)
            assert read is not None
            changes, cursor = read
            listing = service.live.current_state(ACCOUNT, None, clock.now)["agents"]
            latest: dict[int, Change] = {c.agent_id: c for c in changes}
            for change in latest.values():
                assert change.state == listing[str(change.agent_id)]
            for change in changes:
                rebuilt[str(change.agent_id)] = change.state
            assert rebuilt == listing
            received += changes
        ids = [c.id for c in received]
        assert ids == sorted(ids)
        assert all(
            c.id > start.snapshot_id or (c.timed and c.id == start.snapshot_id) for c in received
        )

        # Resume after an id received (or after the snapshot's id).
        choices = [start.snapshot_id, *ids]
        resume_id = choices[min(int(pick * len(choices)), len(choices) - 1)]
        resumed = service.live.open_feed(ACCOUNT, resume_id)
        timed_at_id = any(c.timed and c.id == resume_id for c in received)
        # The first snapshot's id is where this process started keeping changes: what
        # came before it (in another process, say) is unknown, so it is not resumed.
        if timed_at_id or resume_id == start.snapshot_id:
            assert resumed.snapshot == service.live.current_state(ACCOUNT, None, clock.now)
        else:
            assert resumed.snapshot is None
            read = service.live.feed.read(ACCOUNT, resumed.cursor)
            assert read is not None
            assert read[0] == [c for c in received if c.id > resume_id]
    finally:
        store.close()
