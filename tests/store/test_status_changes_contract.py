"""The status-change records kept by the store (store/status_projection.py), on each
backend: written with the events, derived again after a late event, counted per hour,
pruned with the history, and rebuilt from the events by the schema migration."""

from __future__ import annotations

import itertools
from collections import Counter

from agentactivity.events import Event
from agentactivity.store import Store, status_projection
from tests.property.status_reference import reference_records

HOUR = 3_600_000
BASE = 1_790_000_000_000 - 1_790_000_000_000 % HOUR
ACCOUNT = "a1"


_ids = itertools.count(1)


def state(agent: int, time: int, value: str, reason: str | None = None) -> Event:
    return Event("state", agent, time, f"e{next(_ids)}", state=value, reason_id=reason)


def records(
    store: Store, start: int = BASE - 10 * HOUR, end: int = BASE + 100 * HOUR
) -> list[tuple]:
    page = store.status_changes.page(ACCOUNT, start, end, None, 0, 5000)
    assert page.total == len(page.rows)
    return page.rows


def expected(pairs: list[tuple[int, Event]], start: int = BASE - 10 * HOUR) -> list[tuple]:
    return [
        (
            r["agentId"],
            r["time"],
            r["sessionId"],
            r["sequenceNumber"],
            r["statusType"],
            r["statusSubType"],
            r["reasonId"],
            r["prevTime"],
        )
        for r in reference_records(pairs)
        if r["time"] >= start
    ]


def counts_match(store: Store, since: int = 0) -> None:
    """The hourly counts are those of the records (from the hour `since` on: before a
    prune's boundary, only the anchors are left, and no counts)."""
    adapter = store._adapter  # type: ignore[attr-defined]
    with adapter.read() as sql:
        hours = dict(
            sql("SELECT hour, records FROM status_change_hours WHERE account_id = ?", (ACCOUNT,))
        )
        times = sql("SELECT time FROM status_changes WHERE account_id = ?", (ACCOUNT,))
    counted = Counter(time - time % HOUR for (time,) in times if time >= since)
    assert {hour: n for hour, n in hours.items() if n} == dict(counted)


def test_records_follow_in_order_batches(any_store: Store) -> None:
    pairs = list(
        any_store.append(ACCOUNT, [state(1, BASE, "ONLINE"), state(2, BASE, "AWAY", "r")]).stored
    )
    pairs += any_store.append(
        ACCOUNT, [state(1, BASE + HOUR, "AWAY"), state(1, BASE + HOUR, "AWAY")]
    ).stored
    pairs += any_store.append(ACCOUNT, [state(1, BASE + 2 * HOUR, "OFFLINE")]).stored
    pairs += any_store.append(ACCOUNT, [state(1, BASE + 3 * HOUR, "BACK_SOON")]).stored
    assert records(any_store) == expected(pairs)
    assert [row[3] for row in records(any_store) if row[0] == 1] == [-1, 1, 2, 3, 4, -1, 1]
    counts_match(any_store)


def test_a_late_event_derives_the_agents_records_again(any_store: Store) -> None:
    early = [
        state(1, BASE, "ONLINE"),
        state(1, BASE + HOUR, "AWAY", "r1"),
        state(1, BASE + 2 * HOUR, "AWAY", "r1"),
        state(1, BASE + 3 * HOUR, "OFFLINE"),
        state(1, BASE + 4 * HOUR, "ONLINE"),
        state(2, BASE + HOUR, "ONLINE"),
    ]
    pairs = list(any_store.append(ACCOUNT, early).stored)
    # Late: a logout inside the first session (two sessions now), a reason change at a
    # tie with a stored event, and a repeat that changes nothing.
    late = [
        state(1, BASE + 30 * 60_000, "OFFLINE"),
        state(1, BASE + HOUR, "AWAY", "r2"),
        state(2, BASE + HOUR, "ONLINE"),
    ]
    for event in late:
        pairs += any_store.append(ACCOUNT, [event]).stored
        assert records(any_store) == expected(pairs)
        counts_match(any_store)
    sessions = {row[2] for row in records(any_store) if row[0] == 1}
    assert len(sessions) == 3


def test_prune_keeps_an_anchor_per_agent_and_late_events_still_derive(any_store: Store) -> None:
    events = [state(1, BASE + h * HOUR, s) for h, s in enumerate(["ONLINE", "AWAY", "BACK_SOON"])]
    events += [state(2, BASE, "ONLINE"), state(2, BASE + HOUR, "OFFLINE")]
    events += [state(1, BASE + 10 * HOUR, "ONLINE"), state(1, BASE + 12 * HOUR, "AWAY")]
    pairs = list(any_store.append(ACCOUNT, events).stored)
    boundary = BASE + 5 * HOUR + 123
    any_store.prune(ACCOUNT, boundary)
    adapter = any_store._adapter  # type: ignore[attr-defined]
    with adapter.read() as sql:
        kept = sql(
            "SELECT agent_id, time FROM status_changes WHERE account_id = ? AND time < ? "
            "ORDER BY time",
            (ACCOUNT, BASE + 5 * HOUR),
        )
    # Before the boundary's hour: each agent's last record only (the anchors, never
    # served: a page starts at the history's start, after the boundary).
    assert [tuple(row) for row in kept] == [
        (2, BASE + HOUR),
        (1, BASE + 2 * HOUR),
    ]
    assert records(any_store, BASE + 5 * HOUR) == expected(pairs, BASE + 5 * HOUR)
    counts_match(any_store, BASE + 5 * HOUR)
    # A late event after the boundary, before the agent's latest: derived from the anchor.
    pairs += any_store.append(ACCOUNT, [state(1, BASE + 11 * HOUR, "OFFLINE")]).stored
    assert records(any_store, BASE + 5 * HOUR) == expected(pairs, BASE + 5 * HOUR)
    counts_match(any_store, BASE + 5 * HOUR)


def test_the_migration_derives_the_records_of_stored_events(any_store: Store) -> None:
    events = [state(1, BASE, "ONLINE"), state(1, BASE + HOUR, "AWAY", "r"), state(3, BASE, "AWAY")]
    pairs = list(any_store.append(ACCOUNT, events).stored)
    pairs += any_store.append(ACCOUNT, [state(1, BASE + 1, "OFFLINE")]).stored
    adapter = any_store._adapter  # type: ignore[attr-defined]
    with adapter.transaction() as sql:
        for table in ("status_changes", "status_tails", "status_change_hours"):
            sql(f"DELETE FROM {table}")
    assert records(any_store) == []
    with adapter.transaction() as sql:
        status_projection.rebuild(sql)
    assert records(any_store) == expected(pairs)
    counts_match(any_store)
    # ... and the tails it wrote carry on.
    pairs += any_store.append(ACCOUNT, [state(1, BASE + 2 * HOUR, "ONLINE")]).stored
    assert records(any_store) == expected(pairs)


def test_pages_of_agents(any_store: Store) -> None:
    events = [state(agent, BASE + agent, "ONLINE") for agent in (5, 3, 9)]
    events.append(state(3, BASE + 2 * HOUR, "OFFLINE"))
    any_store.append(ACCOUNT, events)
    table = any_store.status_changes
    assert table.agents(ACCOUNT, BASE, BASE + HOUR, None) == [3, 5, 9]
    assert table.agents(ACCOUNT, BASE + HOUR, BASE + 3 * HOUR, None) == [3]
    assert table.agents(ACCOUNT, BASE, BASE + HOUR, [9, 4]) == [9]
    rows = table.of_agents(ACCOUNT, BASE, BASE + 3 * HOUR, [3])
    assert [row[4] for row in rows] == [3, 1, 1, 4]
    page = table.page(ACCOUNT, BASE, BASE + 3 * HOUR, [3, 9], 1, 2)
    assert page.total == 6 and [(row[0], row[4]) for row in page.rows] == [(3, 1), (9, 3)]
