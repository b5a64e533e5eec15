"""SIGKILL `agentactivity consume` three times while it stores 100,000 events from the real
NATS server, restart it, and check SPEC section 10 to the event:

- the store holds exactly the valid events, each once (same eventIds, same content as the
  valid events ingested once into a fresh store), and the figures are the same;
- every invalid message is on `<subject>.invalid` exactly once, with its payload.

The stream mixes single events, arrays, `{"events": [...]}` and NDJSON; duplicate
messages (the same events again, as the same bytes or in another shape, with no
Nats-Msg-Id, so JetStream keeps them all and only eventId idempotency can catch them);
and invalid messages of every kind, one of them an array whose other events must not be
stored. Each agent's events have distinct times, so the figures do not depend on the
order in which redeliveries bring them. Messages follow time roughly, as producers send
them (far-out-of-order history costs the store much more per event, whatever brings it).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentactivity.consume.jetstream import SEQUENCE_HEADER
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.conftest import FakeClock
from tests.e2e.conftest import ManagedProcess, now_ms, sqlite_url
from tests.e2e.test_consume import consume_args
from tests.jetstream import Names, connect, fresh_names, read_all, run

pytestmark = pytest.mark.e2e

ACCOUNTS = ("12345678", "87654321")
AGENTS = 100  # per account
EVENTS_PER_AGENT = 500  # 2 x 100 x 500 = 100,000 events
STEP_MS = 10_000  # an agent's events are STEP_MS apart: about 83 minutes of activity
SINGLES = 400  # single-event messages per account; the rest in batches of 50..150
DUPLICATE_MESSAGES = 150
INVALID_MESSAGES = 60
KILL_AT = (0.2, 0.5, 0.8)  # of the stream acknowledged
MIN = 60_000

Message = tuple[str, bytes]  # (subject, body)


@pytest.fixture
def names() -> Iterator[Names]:
    with fresh_names() as created:
        yield created


def agent_events(rng: random.Random, agent: int, start: int) -> list[dict[str, Any]]:
    """One agent's valid events at distinct times; one in ten without an eventId."""
    events = []
    for k in range(EVENTS_PER_AGENT):
        event: dict[str, Any] = {"agentId": agent, "time": start + k * STEP_MS + agent}
        kind = rng.random()
        if kind < 0.5:
            state = rng.choice(("ONLINE", "ONLINE", "BACK_SOON", "AWAY", "OFFLINE"))
            event.update(type="state", state=state)
            if state == "AWAY" and rng.random() < 0.7:
                event["reasonId"] = rng.choice(("lunch", "training", "meeting"))
        elif kind < 0.9:
            event.update(
                type=rng.choice(("chat_start", "chat_end")), chatId=f"c{agent}-{rng.randrange(4)}"
            )
        else:
            event.update(type="max_chats", maxChats=rng.randrange(4))
        if rng.random() < 0.9:
            event["eventId"] = f"a{agent}-e{k}"
        events.append(event)
    return events


def encode(rng: random.Random, events: list[dict[str, Any]]) -> bytes:
    if len(events) == 1 and rng.random() < 0.7:
        return orjson.dumps(events[0])
    shape = rng.randrange(3)
    if shape == 0:
        return orjson.dumps(events)
    if shape == 1:
        return orjson.dumps({"events": events})
    return b"\n".join(orjson.dumps(event) for event in events) + b"\n"


def build(names: Names, start: int) -> tuple[dict[str, list[dict[str, Any]]], list[Message], int]:
    """The valid events per account, and the messages to publish in order (valid ones,
    duplicates, invalid ones); returns also how many messages are invalid."""
    rng = random.Random(20240501)
    valid: dict[str, list[dict[str, Any]]] = {}
    messages: list[tuple[Message, list[dict[str, Any]]]] = []
    for number, account in enumerate(ACCOUNTS):
        events = [
            event
            for agent in range(1 + number * 1000, 1 + number * 1000 + AGENTS)
            for event in agent_events(rng, agent, start)
        ]
        # Producers send roughly in time order: messages follow time, their events not.
        events.sort(key=lambda event: event["time"])
        valid[account] = events
        sizes = [1] * SINGLES
        while sum(sizes) < len(events):
            sizes.append(rng.randint(50, 150))
        rng.shuffle(sizes)
        cut = 0
        for size in sizes:
            chunk = events[cut : cut + size]
            rng.shuffle(chunk)
            if chunk:
                messages.append(((names.subject(account), encode(rng, chunk)), chunk))
            cut += size
    ordered = [message for message, _ in messages]
    for _ in range(DUPLICATE_MESSAGES):
        index = rng.randrange(len(messages))
        (subject, body), chunk = messages[index]
        again = body if rng.random() < 0.5 else encode(rng, chunk)
        ordered.insert(rng.randint(index + 1, len(ordered)), (subject, again))
    for number in range(INVALID_MESSAGES):
        ordered.insert(rng.randrange(len(ordered) + 1), invalid_message(names, number, start))
    return valid, ordered, INVALID_MESSAGES


def invalid_message(names: Names, number: int, start: int) -> Message:
    subject = names.subject(ACCOUNTS[number % 2])
    good = {"type": "state", "agentId": 5, "time": start, "state": "ONLINE"}
    kind = number % 7
    if kind == 0:
        return subject, b"\xc3\x28 not UTF-8 " + str(number).encode()
    if kind == 1:
        return subject, b'{"type": "state", "agentId": ' + str(number).encode()
    if kind == 2:
        return subject, b" \n" * (number % 3)
    if kind == 3:  # the good event must not be stored: the batch is atomic
        bad = {**good, "agentId": -number, "eventId": f"poison-{number}-bad"}
        return subject, orjson.dumps([{**good, "eventId": f"poison-{number}"}, bad])
    if kind == 4:
        return subject, orjson.dumps({**good, "time": start - 9 * 24 * 60 * MIN})
    if kind == 5:
        return names.subject(f"no!account{number}"), orjson.dumps(good)
    return subject, orjson.dumps(number)


async def publish(messages: list[Message]) -> tuple[dict[int, bytes], int]:
    """Publish in order: each body by its stream sequence, and the last sequence."""
    client = await connect()
    js = client.jetstream()
    bodies: dict[int, bytes] = {}
    last = 0
    for index, (subject, body) in enumerate(messages):
        # The id makes a retried publish one message; duplicates have ids of their own.
        headers = {"Nats-Msg-Id": f"publish-{index}"}
        for _ in range(200):  # until the consumer has created the stream
            try:
                last = (await js.publish(subject, body, headers=headers)).seq
                break
            except Exception:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the stream was never created")
        bodies[last] = body
    await client.close()
    return bodies, last


async def progress(names: Names) -> tuple[int, int, int]:
    client = await connect()
    info = await client.jetstream().consumer_info(names.stream, names.durable)
    await client.close()
    return info.ack_floor.stream_seq, info.num_pending, info.num_ack_pending


def wait_for(proc: ManagedProcess, names: Names, done: Any, what: str) -> None:
    deadline = time.monotonic() + 120
    while not done(*run(progress(names))):
        assert proc.running(), f"the consumer exited\n{proc.output()}"
        assert time.monotonic() < deadline, f"{what} did not happen\n{proc.output()}"
        time.sleep(0.02)


def wait_for_line(proc: ManagedProcess, text: str) -> None:
    deadline = time.monotonic() + 60
    while text not in proc.stderr_path.read_text():
        assert proc.running(), f"the consumer exited\n{proc.output()}"
        assert time.monotonic() < deadline, f"{text} never logged\n{proc.output()}"
        time.sleep(0.02)


def stored_json(store: SQLiteStore, account: str) -> list[bytes]:
    return sorted(
        orjson.dumps(event.to_json(), option=orjson.OPT_SORT_KEYS)
        for _, event in store.read_after(account, 0, limit=1_000_000)
    )


def test_sigkill_three_times_stores_every_valid_event_once(tmp_path: Path, names: Names) -> None:
    began = time.monotonic()
    pinned = now_ms()  # the one reading: events sit in the process's retention window
    start = pinned - 2 * 60 * MIN
    valid, messages, invalid_count = build(names, start)
    db = tmp_path / "kill.db"
    args = consume_args(names, sqlite_url(db), "--batch", "20", "--ack-wait", "3")

    proc = ManagedProcess(args, tmp_path, "consume-0")
    bodies, last = run(publish(messages))
    assert len(bodies) == len(messages)  # each published once (seqs between: .invalid)
    kills = []
    for number, fraction in enumerate(KILL_AT, start=1):
        target = int(last * fraction)
        wait_for(
            proc, names, lambda floor, *_, at=target: floor >= at, f"{fraction:.0%} acknowledged"
        )
        proc.crash()  # SIGKILL: no shutdown code runs
        kills.append(run(progress(names))[0])
        proc = ManagedProcess(args, tmp_path, f"consume-{number}")
    wait_for(
        proc,
        names,
        lambda floor, pending, ack_pending: floor >= last and pending == ack_pending == 0,
        "the whole stream acknowledged",
    )
    # The earlier consumers may have acknowledged everything: stop this one once it runs.
    wait_for_line(proc, '"consume: reading')
    assert proc.stop() and proc.proc.returncode == 0, proc.output()
    final = orjson.loads(
        next(x for x in proc.stderr_path.read_text().splitlines() if '"consume: stopped"' in x)
    )
    consumed_s = time.monotonic() - began

    # The store holds exactly the valid events, once, as a fresh store given them once.
    clock = FakeClock(pinned)
    reference = ActivityService(SQLiteStore(":memory:"), Settings(), clock=clock)
    for account, events in valid.items():
        for i in range(0, len(events), 10_000):
            reference.ingest_items(account, events[i : i + 10_000])
    consumed = ActivityService(SQLiteStore(str(db)), Settings(), clock=clock)
    assert sorted(consumed.store.account_ids()) == sorted(ACCOUNTS)
    query = ActivityQuery(180, None, 1, interval=15, to=pinned, totals=True)
    for account in ACCOUNTS:
        got = stored_json(consumed.store, account)
        assert len(got) == len(valid[account]) == AGENTS * EVENTS_PER_AGENT
        assert got == stored_json(reference.store, account)
        figures = consumed.agent_activity(account, query, pinned)
        assert figures == reference.agent_activity(account, query, pinned)

    # Every invalid message is on .invalid exactly once, with its payload.
    async def republished() -> list[Any]:
        client = await connect()
        found = await read_all(client.jetstream(), names.stream, f"{names.prefix}.*.events.invalid")
        await client.close()
        return found

    found = run(republished())
    sequences = [int(msg.headers[SEQUENCE_HEADER]) for msg in found]
    assert len(sequences) == len(set(sequences)) == invalid_count
    assert all(msg.data == bodies[int(msg.headers[SEQUENCE_HEADER])] for msg in found)
    assert final["invalid"] <= invalid_count

    print(
        f"\nconsume kill test: {sum(map(len, valid.values()))} valid events in "
        f"{len(messages) - invalid_count - DUPLICATE_MESSAGES} messages, {DUPLICATE_MESSAGES} "
        f"duplicate messages, {invalid_count} invalid; SIGKILL at stream sequences {kills} of "
        f"{last}; last run: {final['stored']} messages stored, {final['invalid']} invalid, "
        f"{final['accepted']} events accepted, {final['duplicates']} duplicates, "
        f"{final['redeliveries']} redeliveries; {consumed_s:.1f} s publish to all acked"
    )
    reference.store.close()
    consumed.store.close()
