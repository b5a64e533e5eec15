"""The JetStream consumer in process against the real NATS server: valid messages stored
then acknowledged, invalid ones on `<subject>.invalid` exactly once and acknowledged,
duplicates counted once, a store outage retried (never acknowledged, never dropped), a
stop handing the message in hand back, and the counts as Prometheus text."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Any

import orjson
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from agentactivity.consume.jetstream import (
    ERROR_HEADER,
    SEQUENCE_HEADER,
    SUBJECT_HEADER,
    ConsumeOptions,
    JetStreamConsumer,
    consume_until_signalled,
    ensure_consumer,
    ensure_stream,
)
from agentactivity.consume.messages import SubjectPattern
from agentactivity.consume.metrics import ConsumeMetrics, Counts
from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore, StoreError
from agentactivity.store.base import AppendResult
from tests.conftest import FakeClock
from tests.consume.conftest import NOW
from tests.jetstream import NATS_URL, Names, connect, read_all, run, wait_until

ACCOUNT = "12345678"
OTHER = "87654321"
MIN = 60_000


def options(names: Names, **overrides: Any) -> ConsumeOptions:
    """Quick to notice a stop, quick to retry: the tests wait on counts, not on time."""
    base = ConsumeOptions(
        nats_url=NATS_URL,
        stream=names.stream,
        subject=SubjectPattern.parse(names.pattern),
        durable=names.durable,
        fetch_timeout_s=0.2,
        backoff_min_s=0.01,
        backoff_max_s=0.1,
        lag_every_s=0.05,
    )
    return dataclasses.replace(base, **overrides)


def state(agent: int, minutes_ago: int, value: str, event_id: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "state",
        "agentId": agent,
        "time": NOW - minutes_ago * MIN,
        "state": value,
    }
    if event_id is not None:
        event["eventId"] = event_id
    return event


async def publish(js: JetStreamContext, subject: str, body: bytes) -> int:
    return (await js.publish(subject, body)).seq


class Run:
    """A consumer running in this event loop until `finish()`."""

    def __init__(self, service: ActivityService, opts: ConsumeOptions) -> None:
        self.metrics = ConsumeMetrics()
        self.stop = asyncio.Event()
        self.consumer = JetStreamConsumer(service, opts, self.metrics, self.stop)
        self.task = asyncio.create_task(self.consumer.run())

    async def until(self, done: Any, what: str) -> Counts:
        async def check() -> bool:
            if self.task.done():
                self.task.result()  # raises what ended it
                raise AssertionError("the consumer ended by itself")
            return bool(done(self.metrics.snapshot()))

        await wait_until(check, what, 60)
        return self.metrics.snapshot()

    async def finish(self) -> Counts:
        self.stop.set()
        await self.task
        return self.metrics.snapshot()


async def setup(names: Names, opts: ConsumeOptions) -> tuple[Any, JetStreamContext]:
    client = await connect(opts.nats_url)
    js = client.jetstream()
    await ensure_stream(js, opts)
    await ensure_consumer(js, opts)
    return client, js


def stored_events(service: ActivityService, account: str) -> list[Event]:
    return [event for _, event in service.store.read_after(account, 0, limit=100_000)]


def figures(service: ActivityService, account: str) -> dict[str, Any]:
    return service.agent_activity(account, ActivityQuery(120, None, 1, to=NOW), NOW)


def test_valid_messages_in_every_shape_are_stored_then_acknowledged(
    names: Names, service: ActivityService
) -> None:
    opts = options(names)
    on, off = state(7, 50, "ONLINE", "e-on"), state(7, 40, "OFFLINE", "e-off")
    away = state(8, 30, "AWAY", None)
    bodies = [
        (ACCOUNT, orjson.dumps(on)),  # one event
        (ACCOUNT, orjson.dumps([off, away])),  # an array
        (ACCOUNT, orjson.dumps({"events": [state(9, 20, "ONLINE", "e9")]})),
        (ACCOUNT, orjson.dumps(state(9, 10, "OFFLINE", "e9b")) + b"\n"),
        (
            OTHER,
            b"\n".join(
                orjson.dumps(state(7, m, v, v)) for m, v in [(25, "ONLINE"), (15, "OFFLINE")]
            ),
        ),
    ]

    async def scenario() -> tuple[Counts, Any]:
        client, js = await setup(names, opts)
        for account, body in bodies:
            await publish(js, names.subject(account), body)
        consumer = Run(service, opts)
        await consumer.until(lambda c: c.stored == len(bodies), "five messages stored")
        counts = await consumer.finish()
        info = await js.consumer_info(names.stream, names.durable)
        await client.close()
        return counts, info

    counts, info = run(scenario())
    assert (counts.stored, counts.invalid, counts.accepted, counts.duplicates) == (5, 0, 7, 0)
    assert (info.num_pending, info.num_ack_pending, info.num_redelivered) == (0, 0, 0)
    assert [e.event_id for e in stored_events(service, ACCOUNT)][:2] == ["e-on", "e-off"]
    assert len(stored_events(service, ACCOUNT)) == 5
    assert len(stored_events(service, OTHER)) == 2
    agents = figures(service, ACCOUNT)["agentsMetrics"]["metricsPerAgent"]
    assert agents["7"][-1]["value"]["total"] == 600  # ONLINE 50 min ago .. OFFLINE 40
    assert agents["9"][-1]["value"]["total"] == 600
    assert agents["8"][-1]["value"]["total"] == 1800  # Away since 30 min ago
    other = figures(service, OTHER)["agentsMetrics"]["metricsPerAgent"]
    assert other["7"][-1]["value"]["total"] == 600


def test_invalid_messages_are_republished_once_with_the_error_then_acknowledged(
    names: Names, service: ActivityService
) -> None:
    opts = options(names)
    good = state(7, 50, "ONLINE", "kept-out")
    bad = {**state(7, 40, "OFFLINE", "bad"), "state": "GONE"}
    invalid = [
        (names.subject(ACCOUNT), b"\xff\xfe\x00", "not UTF-8"),
        (names.subject(ACCOUNT), b"{not json", "not valid JSON"),
        (names.subject(ACCOUNT), b"", "empty"),
        (names.subject(ACCOUNT), orjson.dumps([good, bad]), "events[1]"),
        (names.subject(ACCOUNT), orjson.dumps(state(7, 8 * 24 * 60, "ONLINE", "old")), "time"),
        (names.subject("bad!acct"), orjson.dumps(good), "account id 'bad!acct'"),
        (names.subject(ACCOUNT), b"17", "JSON int"),
    ]

    async def scenario() -> tuple[Counts, list[Msg], dict[int, bytes], Any, bytes]:
        client, js = await setup(names, opts)
        sequences = {}
        for subject, body, _ in invalid:
            sequences[await publish(js, subject, body)] = body
        consumer = Run(service, opts)
        await consumer.until(lambda c: c.invalid == len(invalid), "seven messages refused")
        text = consumer.metrics.text()
        counts = await consumer.finish()
        republished = await read_all(js, names.stream, f"{names.prefix}.*.events.invalid")
        info = await js.consumer_info(names.stream, names.durable)
        await client.close()
        return counts, republished, sequences, info, text

    counts, republished, sequences, info, text = run(scenario())
    assert (counts.stored, counts.invalid, counts.accepted) == (0, len(invalid), 0)
    assert (info.num_pending, info.num_ack_pending) == (0, 0)
    assert stored_events(service, ACCOUNT) == []  # the bad batch kept its good event out
    by_sequence = {int(m.headers[SEQUENCE_HEADER]): m for m in republished if m.headers}
    assert len(republished) == len(by_sequence) == len(invalid)
    for (subject, body, words), sequence in zip(invalid, sequences):
        msg = by_sequence[sequence]
        assert msg.subject == subject + ".invalid"
        assert msg.data == body == sequences[sequence]
        assert msg.headers is not None and msg.headers[SUBJECT_HEADER] == subject
        assert words in msg.headers[ERROR_HEADER], msg.headers[ERROR_HEADER]
    assert b'agentactivity_consume_messages_total{outcome="invalid"} 7.0' in text
    assert b'agentactivity_consume_messages_total{outcome="stored"} 0.0' in text


def test_an_invalid_message_republished_before_a_crash_is_not_republished_twice(
    names: Names, service: ActivityService
) -> None:
    """A consumer that republished and died before acking: the next one republishes with
    the same Nats-Msg-Id, which JetStream drops."""
    opts = options(names)

    async def scenario() -> tuple[list[Msg], Counts]:
        client, js = await setup(names, opts)
        await publish(js, names.subject(ACCOUNT), b"[1, 2")
        first = await js.pull_subscribe_bind(names.durable, stream=names.stream)
        (msg,) = await first.fetch(1, timeout=5)
        crashed = JetStreamConsumer(service, opts, ConsumeMetrics(), asyncio.Event())
        await crashed._republish(js, msg, "not valid JSON (the first attempt)")
        await msg.nak()  # it dies: the message is delivered again
        await first.unsubscribe()
        consumer = Run(service, opts)
        await consumer.until(lambda c: c.invalid == 1, "the message refused again")
        counts = await consumer.finish()
        republished = await read_all(js, names.stream, f"{names.prefix}.*.events.invalid")
        await client.close()
        return republished, counts

    republished, counts = run(scenario())
    assert counts.redeliveries == 1
    assert len(republished) == 1
    assert republished[0].headers is not None
    assert republished[0].headers[ERROR_HEADER] == "not valid JSON (the first attempt)"


def test_the_same_events_in_several_messages_are_stored_once(
    names: Names, service: ActivityService
) -> None:
    opts = options(names)
    events = [state(7, 50, "ONLINE", "a"), state(7, 40, "AWAY", None), state(7, 35, "OFFLINE", "c")]
    bodies = [
        orjson.dumps(events),
        b"\n".join(orjson.dumps(e) for e in events),  # the same again, as NDJSON
        orjson.dumps(events[1]),  # the one without an eventId, alone
    ]

    async def scenario() -> Counts:
        client, js = await setup(names, opts)
        for body in bodies:
            await publish(js, names.subject(ACCOUNT), body)
        consumer = Run(service, opts)
        await consumer.until(lambda c: c.stored == 3, "three messages stored")
        counts = await consumer.finish()
        await client.close()
        return counts

    counts = run(scenario())
    assert (counts.accepted, counts.duplicates) == (3, 4)
    assert len(stored_events(service, ACCOUNT)) == 3
    reference = ActivityService(SQLiteStore(":memory:"), Settings(), clock=FakeClock(NOW))
    reference.ingest_items(ACCOUNT, events)
    assert figures(service, ACCOUNT) == figures(reference, ACCOUNT)


class FlakyStore(SQLiteStore):
    """A store whose appends fail (as when PostgreSQL is unreachable) until `back` is set."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.back = threading.Event()
        self.failed = 0

    def append(self, account_id: str, events: list[Event]) -> AppendResult:
        if not self.back.is_set():
            self.failed += 1
            raise StoreError("database unreachable (test outage)")
        return super().append(account_id, events)


def test_a_store_outage_is_retried_and_never_acknowledged_until_stored(names: Names) -> None:
    store = FlakyStore()
    service = ActivityService(store, Settings(), clock=FakeClock(NOW))
    # ack_wait 1 s: the outage lasts longer, and only in_progress keeps the message ours.
    opts = options(names, ack_wait_s=1.0)

    async def scenario() -> tuple[Any, Counts, Any]:
        client, js = await setup(names, opts)
        await publish(js, names.subject(ACCOUNT), orjson.dumps([state(7, 50, "ONLINE", "x")]))
        consumer = Run(service, opts)
        await consumer.until(lambda c: c.store_retries >= 30, "30 failed attempts")
        during = await js.consumer_info(names.stream, names.durable)
        store.back.set()
        await consumer.until(lambda c: c.stored == 1, "the message stored")
        counts = await consumer.finish()
        after = await js.consumer_info(names.stream, names.durable)
        await client.close()
        return during, counts, after

    during, counts, after = run(scenario())
    assert (during.num_ack_pending, during.num_redelivered) == (1, 0)
    assert counts.store_retries >= 30 and counts.redeliveries == 0
    assert (counts.stored, counts.accepted, counts.duplicates, counts.invalid) == (1, 1, 0, 0)
    assert (after.num_pending, after.num_ack_pending) == (0, 0)
    assert [e.event_id for e in stored_events(service, ACCOUNT)] == ["x"]
    store.close()


def test_a_stop_during_an_outage_hands_the_message_back_for_the_next_consumer(
    names: Names,
) -> None:
    flaky = FlakyStore()
    opts = options(names)

    async def scenario() -> tuple[Counts, Any, Counts]:
        client, js = await setup(names, opts)
        await publish(js, names.subject(ACCOUNT), orjson.dumps(state(7, 50, "ONLINE", "y")))
        down = Run(ActivityService(flaky, Settings(), clock=FakeClock(NOW)), opts)
        await down.until(lambda c: c.store_retries >= 2, "two failed attempts")
        stopped = await down.finish()
        between = await js.consumer_info(names.stream, names.durable)
        healthy = Run(service, opts)
        await healthy.until(lambda c: c.stored == 1, "the message stored by the next one")
        counts = await healthy.finish()
        await client.close()
        return stopped, between, counts

    service = ActivityService(SQLiteStore(":memory:"), Settings(), clock=FakeClock(NOW))
    stopped, between, counts = run(scenario())
    assert (stopped.stored, stopped.invalid) == (0, 0)
    assert between.ack_floor.stream_seq == 0  # handed back (nak), not acknowledged
    assert (counts.stored, counts.accepted, counts.redeliveries) == (1, 1, 1)
    assert [e.event_id for e in stored_events(service, ACCOUNT)] == ["y"]
    flaky.close()


def test_a_stop_asked_while_starting_ends_the_run_cleanly_and_takes_nothing(
    names: Names, service: ActivityService
) -> None:
    opts = options(names)
    asked = threading.Event()
    asked.set()  # as the CLI's early handler does on a SIGTERM before the loop runs

    async def scenario() -> Any:
        client, js = await setup(names, opts)
        await publish(js, names.subject(ACCOUNT), orjson.dumps(state(7, 50, "ONLINE", "z")))
        metrics = ConsumeMetrics()
        await asyncio.wait_for(consume_until_signalled(service, opts, metrics, asked), 30)
        info = await js.consumer_info(names.stream, names.durable)
        await client.close()
        return metrics.snapshot(), info

    counts, info = run(scenario())
    assert (counts.stored, counts.invalid) == (0, 0)
    assert (info.ack_floor.stream_seq, info.num_pending) == (0, 1)  # left for the next
    assert stored_events(service, ACCOUNT) == []
