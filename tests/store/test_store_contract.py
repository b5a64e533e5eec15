"""The store's contract, the same on every backend (see tests/store/conftest.py):
append with duplicates and atomic batches, read_after, gapless per-account sequences
under concurrency, accounts kept apart, credentials, prune, and an engine rebuilt from
the store that answers like one rebuilt from SQLite."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from agentactivity.credentials import Credentials, new_credentials
from agentactivity.events import Event, TimeBounds, parse_batch
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.simulate import Simulator
from agentactivity.store import SQLiteStore, Store, StoreBusyError, StoreError, open_store
from tests.conftest import FakeClock
from tests.store.conftest import pg_admin, raw_execute

HOUR = 3_600_000
START = 1_790_000_000_000
BIG_AGENT = 2**63 - 1
# What the stores raise for a row the database refuses (a bug of the caller's).
REFUSED = (sqlite3.Error, psycopg.Error, OverflowError)
INTEGRITY = (sqlite3.IntegrityError, psycopg.IntegrityError)


def sample_events(prefix: str = "e") -> list[Event]:
    """One event of each kind and shape, with every optional field used."""
    return [
        Event("max_chats", 7, 1_000, f"{prefix}1", max_chats=3),
        Event("state", 7, 1_001, f"{prefix}2", state="ONLINE"),
        Event("state", BIG_AGENT, 1_002, f"{prefix}3", state="AWAY", reason_id="r-1"),
        Event("chat_start", 7, 1_003, f"{prefix}4", chat_id="c-1"),
        Event("chat_end", 7, 999, f"{prefix}5", chat_id="c-1"),  # late: seq is arrival
        Event("state", 7, 1_004, "derived:" + "ab" * 32, state="OFFLINE"),
    ]


def stored(store: Store, account: str) -> list[tuple[int, Event]]:
    return store.read_after(account, 0, limit=10**9)


# --- append ---------------------------------------------------------------------------


def test_append_numbers_events_in_arrival_order_and_reads_them_back(any_store: Store) -> None:
    events = sample_events()
    assert any_store.append("a", events[:2]).last_seq == 2
    result = any_store.append("a", events[2:])
    assert (result.accepted, result.duplicates, result.last_seq) == (4, 0, 6)
    assert stored(any_store, "a") == list(enumerate(events, start=1))
    assert any_store.last_seq("a") == 6
    assert any_store.account_ids() == ["a"]


def test_duplicates_are_ignored_across_and_inside_batches(any_store: Store) -> None:
    events = sample_events()
    any_store.append("a", events[:3])
    again = any_store.append("a", events)  # 3 stored before, 3 new
    assert (again.accepted, again.duplicates, again.last_seq) == (3, 3, 6)
    assert any_store.append("a", events) == type(again)(0, 6, 6)

    first = Event("state", 1, 5_000, "x", state="ONLINE")
    repeat = Event("state", 1, 6_000, "x", state="AWAY")  # same eventId: a duplicate
    other = Event("state", 1, 7_000, "y", state="OFFLINE")
    result = any_store.append("a", [first, repeat, other, first])
    assert (result.accepted, result.duplicates, result.last_seq) == (2, 2, 8)
    assert stored(any_store, "a")[-2:] == [(7, first), (8, other)]  # the first one wins


def test_empty_batch_creates_the_account_and_stores_nothing(any_store: Store) -> None:
    assert any_store.append("a", []) == type(any_store.append("a", []))(0, 0, 0)
    assert any_store.account_ids() == ["a"] and any_store.last_seqs() == {"a": 0}


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(Event("state", 1, 5, None, "ONLINE"), id="no event id"),  # type: ignore[arg-type]
        pytest.param(Event("state", 2**64, 5, "big", "ONLINE"), id="agent id too large"),
    ],
)
def test_a_batch_that_fails_midway_leaves_nothing(any_store: Store, bad: Event) -> None:
    any_store.append("a", sample_events()[:2])
    batch = [*sample_events("n")[:3], bad, *sample_events("m")[:2]]
    with pytest.raises(REFUSED) as caught:
        any_store.append("a", batch)
    assert not isinstance(caught.value, StoreBusyError)
    with pytest.raises(REFUSED):
        any_store.append("new-account", batch)
    assert stored(any_store, "a") == list(enumerate(sample_events()[:2], start=1))
    assert any_store.last_seqs() == {"a": 2}
    assert any_store.account_ids() == ["a"]  # the failed batch's account is not created
    # The sequence goes on without a gap.
    assert any_store.append("a", sample_events("n")[:3]).last_seq == 5
    assert [seq for seq, _event in stored(any_store, "a")] == [1, 2, 3, 4, 5]


# --- read_after -------------------------------------------------------------------------


def test_read_after_pages_in_seq_order(any_store: Store) -> None:
    events = [Event("state", 1 + i % 3, 10_000 - i, f"e{i}", state="ONLINE") for i in range(10)]
    for chunk in (events[:3], events[3:4], events[4:]):
        any_store.append("a", chunk)
    numbered = list(enumerate(events, start=1))
    assert any_store.read_after("a", 0, limit=4) == numbered[:4]
    assert any_store.read_after("a", 4, limit=4) == numbered[4:8]
    assert any_store.read_after("a", 8, limit=100) == numbered[8:]
    assert any_store.read_after("a", 10) == []
    assert any_store.read_after("a", 3) == numbered[3:]
    assert any_store.read_after("unknown", 0) == []


# --- concurrency ----------------------------------------------------------------------


def test_concurrent_batches_of_one_account_get_gapless_sequences(any_store: Store) -> None:
    """Writers on several threads (the service's request threads): every accepted event
    gets the next number, each batch a contiguous run, and a reader never sees a gap
    (sequences commit in order, which the engine's catch-up by sequence relies on)."""
    writers, batches, size = 6, 12, 15
    results: dict[tuple[int, int], tuple[list[str], int, int]] = {}
    gaps: list[list[int]] = []
    done = threading.Event()
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for b in range(batches):
                ids = [f"w{writer}-b{b}-{i}" for i in range(size - 2)]
                ids += [f"shared-b{b}-0", f"shared-b{b}-1"]  # every writer sends these
                batch = [
                    Event("state", 1 + i, 1_000 + b, eid, "ONLINE") for i, eid in enumerate(ids)
                ]
                result = any_store.append("a", batch)
                results[writer, b] = (ids, result.accepted, result.last_seq)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def read() -> None:
        while not done.is_set():
            seqs = [seq for seq, _event in stored(any_store, "a")]
            if seqs != list(range(1, len(seqs) + 1)):
                gaps.append(seqs)
            time.sleep(0.005)

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    reader.join(timeout=30)
    assert not errors, errors
    assert not gaps, gaps[0]

    unique = writers * batches * (size - 2) + batches * 2
    rows = stored(any_store, "a")
    assert [seq for seq, _event in rows] == list(range(1, unique + 1))
    assert sum(accepted for _ids, accepted, _last in results.values()) == unique
    assert any_store.last_seq("a") == unique and any_store.last_seqs() == {"a": unique}
    seq_of = {event.event_id: seq for seq, event in rows}
    for ids, accepted, last_seq in results.values():
        own = sorted(seq_of[eid] for eid in ids if eid.startswith("w"))
        assert own[-1] <= last_seq
        if accepted == len(ids):  # this batch stored the shared ids too: all contiguous
            assert sorted(seq_of[eid] for eid in ids) == list(
                range(last_seq - accepted + 1, last_seq + 1)
            )
        else:
            assert own == list(range(last_seq - accepted + 1, last_seq + 1))


# --- accounts and credentials ---------------------------------------------------------


def test_accounts_are_kept_apart(any_store: Store) -> None:
    a_events, b_events = sample_events(), sample_events()[:4]  # the same eventIds in both
    assert any_store.append("a", a_events).accepted == 6
    assert any_store.append("b", b_events).accepted == 4  # not duplicates of a's
    assert stored(any_store, "a") == list(enumerate(a_events, start=1))
    assert stored(any_store, "b") == list(enumerate(b_events, start=1))
    any_store.append("b", [Event("state", 1, 1, "only-b", "ONLINE")])
    assert any_store.last_seqs() == {"a": 6, "b": 5}
    assert any_store.last_seq("a") == 6 and any_store.last_seq("c") == 0

    for_a, for_b = new_credentials("a", ("read",)), new_credentials("b", ("ingest",))
    any_store.add_credentials(for_a)
    any_store.add_credentials(for_b)
    assert any_store.credentials_for_token(for_a.access_token) == for_a
    assert any_store.credentials_for_token(for_b.access_token) == for_b
    # b's agent 1 logs out too, before the boundary with nothing after it: both its events
    # may go. Agent 7 (online, a chat open, a limit) and BIG_AGENT (away) keep all theirs
    # (retention.events_to_keep).
    any_store.append("b", [Event("state", 1, 2, "b-off", "OFFLINE")])
    assert any_store.prune("b", 10**15) == 2
    assert [event.event_id for _seq, event in stored(any_store, "b")] == ["e1", "e2", "e3", "e4"]
    assert any_store.last_seqs() == {"a": 6, "b": 6}  # pruning never renumbers
    assert stored(any_store, "a") == list(enumerate(a_events, start=1))  # b's prune


def test_credentials_round_trip(any_store: Store) -> None:
    both = new_credentials("acc-1", ("read", "ingest"))
    reader = new_credentials("acc-1", ("read",))
    any_store.add_credentials(both)
    any_store.add_credentials(reader)
    assert any_store.account_ids() == ["acc-1"]  # created with its first key
    assert any_store.last_seqs() == {"acc-1": 0}
    assert any_store.credentials_for_token(both.access_token) == both
    assert any_store.credentials_for_token(reader.access_token) == reader
    assert any_store.credentials_for_token("no-such-token") is None
    with pytest.raises(INTEGRITY):  # a token names one key, of one account: never two
        any_store.add_credentials(Credentials("acc-2", "k", "s", both.access_token, "t", ("read",)))
    assert any_store.credentials_for_token(both.access_token) == both


def test_ensure_account_and_account_ids(any_store: Store) -> None:
    assert any_store.account_ids() == [] and any_store.last_seqs() == {}
    assert any_store.prune("b", 10**15) == 0  # nothing to prune, and no account made
    assert any_store.account_ids() == []
    for account in ("b", "a", "b", "c"):
        any_store.ensure_account(account)
    any_store.append("a", sample_events())
    any_store.ensure_account("a")  # keeps its events and sequence
    assert any_store.account_ids() == ["a", "b", "c"]
    assert any_store.last_seqs() == {"a": 6, "b": 0, "c": 0}


def test_data_survives_reopening(store_url: str) -> None:
    store = open_store(store_url)
    store.append("a", sample_events())
    credentials = new_credentials("a", ("read",))
    store.add_credentials(credentials)
    store.close()
    store = open_store(store_url)
    try:
        assert stored(store, "a") == list(enumerate(sample_events(), start=1))
        assert store.credentials_for_token(credentials.access_token) == credentials
        assert store.append("a", [Event("state", 1, 1, "next", "ONLINE")]).last_seq == 7
    finally:
        store.close()


# --- prune and the engine: the same answers as SQLite ---------------------------------


def simulated_hours(hours: int, agents: int = 25, seed: int = 5) -> Iterator[list[Event]]:
    """A simulated contact center, one batch per hour, validated like the API does."""
    simulator = Simulator(agents=agents, seed=seed, start_ms=START)
    for hour in range(1, hours + 1):
        now = START + hour * HOUR
        events, problems = parse_batch(
            simulator.events_until(now), TimeBounds.around(now, 7 * 24 * HOUR)
        )
        assert not problems
        yield events


def test_prune_deletes_what_sqlite_deletes(any_store: Store) -> None:
    reference = SQLiteStore(":memory:")
    for batch in simulated_hours(30):
        any_store.append("a", batch)
        reference.append("a", batch)
        any_store.append("b", batch[: len(batch) // 2])
    boundary = START + 20 * HOUR
    expected = reference.prune("a", boundary)
    assert expected > 100
    assert any_store.prune("a", boundary) == expected
    assert stored(any_store, "a") == stored(reference, "a")
    assert any_store.prune("a", boundary) == 0 == reference.prune("a", boundary)
    assert len(stored(any_store, "b")) == any_store.last_seq("b")  # b's events untouched
    reference.close()


QUERIES = [
    ActivityQuery(1440, None, 1, 60, START + 30 * HOUR, True),
    ActivityQuery(600, None, 2, 30, START + 28 * HOUR, True),
    ActivityQuery(60, (1001, 1003, 1010), 1, 5, START + 25 * HOUR, False),
    ActivityQuery(180, None, 1, None, START + 30 * HOUR, True),
]


def answers(service: ActivityService) -> list[object]:
    return [service.agent_activity("a", query, START + 30 * HOUR) for query in QUERIES]


def test_the_engine_answers_the_same_from_every_backend(store_url: str) -> None:
    clock = FakeClock(START + 30 * HOUR)
    settings = Settings(db_url=store_url, retention_days=1, history_days=1)
    reference = ActivityService(SQLiteStore(":memory:"), settings, clock=clock)
    service = ActivityService(open_store(store_url), settings, clock=clock)
    try:
        for batch in simulated_hours(30):
            assert service.ingest("a", batch) == reference.ingest("a", batch)
        expected = answers(reference)
        assert answers(service) == expected
        assert service.prune() == reference.prune()
        assert answers(service) == answers(reference)
        # A process started on the store rebuilds the same engine.
        restarted = ActivityService(open_store(store_url), settings, clock=clock)
        # (It reads each agent's events from its last logout before the live window on,
        # not every event the store still holds.)
        assert 0 < restarted.load() <= len(stored(reference.store, "a"))
        assert answers(restarted) == answers(reference)
        restarted.store.close()
    finally:
        service.store.close()
        reference.store.close()


# --- schema versions and failures -----------------------------------------------------


def test_a_database_of_a_newer_release_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    raw_execute(
        store_url,
        "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
        (99, "from the future", 0),
    )
    with pytest.raises(StoreError, match="schema version 99, newer than this agentactivity"):
        open_store(store_url)
    with pytest.raises(StoreError, match="Upgrade agentactivity"):
        open_store(store_url, auto_migrate=False)


def test_postgres_lock_held_too_long_is_busy(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentactivity.store import postgres

    monkeypatch.setattr(postgres, "LOCK_TIMEOUT_S", 0.3)
    store = open_store(postgres_url)
    store.append("a", sample_events()[:1])
    with psycopg.connect(postgres_url) as holder:
        holder.execute("SELECT * FROM accounts WHERE account_id = 'a' FOR UPDATE")
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match="retry"):
            store.append("a", sample_events()[1:])
        assert time.monotonic() - started < 3
        with pytest.raises(StoreBusyError):
            store.prune("a", 10**15)
        store.append("b", sample_events())  # other accounts don't wait
        holder.rollback()
    assert store.append("a", sample_events()[1:]).last_seq == 6
    store.close()


def test_postgres_store_survives_the_server_dropping_its_connections(
    postgres_url: str,
) -> None:
    name = f"agentactivity-test-{uuid.uuid4().hex[:8]}"
    store = open_store(f"{postgres_url}&application_name={name}")
    store.append("a", sample_events()[:3])
    with pg_admin() as admin:  # only this store's connections, by their name
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        ).fetchall()
    assert killed
    # The pool checks connections before lending them: the next calls just work.
    assert store.append("a", sample_events()[3:]).last_seq == 6
    assert len(stored(store, "a")) == 6
    store.close()


def test_postgres_unreachable_at_open_says_what_to_check() -> None:
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://someone:secret@127.0.0.1:1/agentactivity")
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "cannot connect to PostgreSQL postgresql://someone@127.0.0.1:1/agentactivity" in message
    assert "Check that the server is running" in message
    assert "secret" not in message
