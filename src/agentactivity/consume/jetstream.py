"""A durable NATS JetStream pull consumer that stores each message as one atomic batch
(SPEC section 10).

Per message, in stream order: decode, `ingest_items`, and only after the store has
committed, `ack_sync` (the server confirms the ack). A message that can never be stored
(not UTF-8, not JSON, events refused, a bad account token, too large) is published on
`<its subject>.invalid` with the error in a header, and acknowledged once that publish is
confirmed. A store outage is retried with a capped exponential back-off while
`in_progress` keeps the message ours; nothing is acknowledged early or dropped.

Exactly once: a crash between commit and ack redelivers the message, and eventId
idempotency makes its events duplicates; a crash between the `.invalid` publish and the
ack republishes it with the same `Nats-Msg-Id` (`invalid-<stream>-<sequence>`), which
JetStream discards inside the stream's duplicate window.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import nats
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from agentactivity.consume.messages import MessageRefused, SubjectPattern, decode_items
from agentactivity.consume.metrics import ConsumeMetrics
from agentactivity.events import BatchRefused
from agentactivity.service import ActivityService
from agentactivity.store import StoreError

log = logging.getLogger("agentactivity.consume")

ERROR_HEADER = "Agentactivity-Error"
SUBJECT_HEADER = "Agentactivity-Subject"
STREAM_HEADER = "Agentactivity-Stream"
SEQUENCE_HEADER = "Agentactivity-Sequence"
SIZE_HEADER = "Agentactivity-Original-Size"  # set when the payload could not go along
MAX_ERROR_CHARS = 2000
# A stream this command creates remembers Nats-Msg-Id for 10 minutes (JetStream's default
# is 2): a consumer restarted within that after a crash republishes no invalid message twice.
DUPLICATE_WINDOW_S = 600.0
CONNECT_TIMEOUT_S = 15.0

T = TypeVar("T")


class ConsumeSetupError(RuntimeError):
    """The stream or the durable cannot be used as this command needs; says why."""


class BrokerUnreachable(RuntimeError):
    """NATS did not answer at start."""


class _Stopping(Exception):
    """SIGTERM came while a message waited for the store: leave it unacknowledged."""


@dataclass(frozen=True)
class ConsumeOptions:
    nats_url: str
    stream: str
    subject: SubjectPattern
    durable: str
    batch: int = 100
    max_bytes: int = 10 * 1024 * 1024
    ack_wait_s: float = 30.0
    fetch_timeout_s: float = 1.0
    backoff_min_s: float = 0.5
    backoff_max_s: float = 30.0
    lag_every_s: float = 5.0
    log_every_s: float = 30.0


class JetStreamConsumer:
    """One consumer's life: set up the stream and the durable, then store messages until
    `stop` is set (finishing the message in hand)."""

    def __init__(
        self,
        service: ActivityService,
        options: ConsumeOptions,
        metrics: ConsumeMetrics,
        stop: asyncio.Event,
    ) -> None:
        self.service = service
        self.options = options
        self.metrics = metrics
        self.stop = stop
        self._max_payload = 1024 * 1024  # NATS's default, until the server says

    async def run(self) -> None:
        options = self.options
        try:
            client = await asyncio.wait_for(
                nats.connect(
                    options.nats_url,
                    name="agentactivity consume",
                    # Once connected, a broker outage is waited out, never fatal.
                    max_reconnect_attempts=-1,
                    connect_timeout=5,
                    error_cb=_on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=_on_reconnected,
                ),
                CONNECT_TIMEOUT_S,
            )
        except (TimeoutError, OSError, NatsError) as exc:
            raise BrokerUnreachable(
                f"NATS at {options.nats_url} did not answer within {CONNECT_TIMEOUT_S:g} s "
                f"({exc or type(exc).__name__})"
            ) from exc
        self._max_payload = client.max_payload
        try:
            js = client.jetstream()
            await ensure_stream(js, options)
            await ensure_consumer(js, options)
            sub = await js.pull_subscribe_bind(options.durable, stream=options.stream)
            reporter = asyncio.create_task(self._report_every(sub))
            try:
                await self._consume(js, sub)
            finally:
                reporter.cancel()
                await self._refresh_lag(sub)
                self.metrics.log_counts("consume: stopped")
            await sub.unsubscribe()
        finally:
            await client.drain()

    async def _on_disconnected(self) -> None:
        if not self.stop.is_set():  # else it is our own drain at the end
            log.warning("consume: disconnected from NATS; reconnecting")

    async def _consume(self, js: JetStreamContext, sub: JetStreamContext.PullSubscription) -> None:
        delay = self.options.backoff_min_s
        while not self.stop.is_set():
            try:
                messages = await sub.fetch(self.options.batch, timeout=self.options.fetch_timeout_s)
            except TimeoutError:  # nats' own, or asyncio's near the deadline
                continue  # nothing to do for now
            except NatsError as exc:  # the broker is away: the client reconnects meanwhile
                log.warning("consume: fetch failed (%s); retrying in %.1f s", exc, delay)
                await self._sleep(delay)
                delay = min(delay * 2, self.options.backoff_max_s)
                continue
            delay = self.options.backoff_min_s
            touched = asyncio.get_running_loop().time()
            for index, msg in enumerate(messages):
                if self.stop.is_set():
                    await _release(messages[index:])
                    return
                if asyncio.get_running_loop().time() - touched > self.options.ack_wait_s / 3:
                    # The rest of a slow batch is still ours: no redelivery meanwhile.
                    for waiting in messages[index:]:
                        await _in_progress(waiting)
                    touched = asyncio.get_running_loop().time()
                try:
                    await self._handle(js, msg)
                except _Stopping:
                    await _release(messages[index:])
                    return

    async def _handle(self, js: JetStreamContext, msg: Msg) -> None:
        if msg.metadata.num_delivered > 1:
            self.metrics.add(redeliveries=1)
        try:
            account = self.options.subject.account(msg.subject)
            items = decode_items(msg.data, self.options.max_bytes)
            result = await self._retrying(
                msg, lambda: asyncio.to_thread(self.service.ingest_items, account, items)
            )
        except (MessageRefused, BatchRefused) as exc:
            error = str(exc)
            await self._retrying(msg, lambda: self._republish(js, msg, error))
            await _ack(msg)
            self.metrics.add(invalid=1)
            return
        await _ack(msg)
        self.metrics.add(stored=1, accepted=result.accepted, duplicates=result.duplicates)

    async def _republish(self, js: JetStreamContext, msg: Msg, error: str) -> None:
        """The original payload on `<subject>.invalid`, the error and its origin in
        headers, deduplicated by the origin's stream sequence."""
        meta = msg.metadata
        headers = {
            ERROR_HEADER: _header_text(error),
            SUBJECT_HEADER: msg.subject,
            STREAM_HEADER: meta.stream,
            SEQUENCE_HEADER: str(meta.sequence.stream),
            "Nats-Msg-Id": f"invalid-{meta.stream}-{meta.sequence.stream}",
        }
        subject = msg.subject + ".invalid"
        payload = msg.data
        if len(payload) + _header_bytes(headers) > self._max_payload:
            # The original and our headers would pass the server's max_payload (it would
            # close the connection): send the error alone; the original stays at its
            # sequence in the source stream.
            headers[SIZE_HEADER] = str(len(payload))
            payload = b""
        await js.publish(subject, payload, headers=headers)
        log.warning(
            "consume: invalid message republished on %s: %s",
            subject,
            headers[ERROR_HEADER],
            extra={"stream_sequence": meta.sequence.stream},
        )

    async def _retrying(self, msg: Msg, attempt: Callable[[], Awaitable[T]]) -> T:
        """`attempt()` until it succeeds; a store outage or a failed publish is retried
        after a capped exponential back-off, holding the message with in_progress."""
        delay = self.options.backoff_min_s
        while True:
            try:
                return await self._holding(msg, attempt())
            except (StoreError, NatsError) as exc:
                self.metrics.add(store_retries=1)
                log.warning(
                    "consume: %s; message not acknowledged, retrying in %.1f s",
                    exc,
                    delay,
                    extra={"subject": msg.subject, "stream_sequence": msg.metadata.sequence.stream},
                )
                if await self._sleep(delay, msg):
                    raise _Stopping from exc
                delay = min(delay * 2, self.options.backoff_max_s)

    async def _holding(self, msg: Msg, work: Awaitable[T]) -> T:
        """Await `work` (e.g. a slow commit), telling the server now and then that the
        message is still in progress so that it is not delivered to anyone else."""
        task = asyncio.ensure_future(work)
        while True:
            done, _ = await asyncio.wait({task}, timeout=self.options.ack_wait_s / 3)
            if done:
                return task.result()
            await _in_progress(msg)

    async def _sleep(self, seconds: float, msg: Msg | None = None) -> bool:
        """Wait `seconds` (keeping `msg` in progress); True as soon as stop is set."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0:
            try:
                await asyncio.wait_for(self.stop.wait(), min(left, self.options.ack_wait_s / 3))
                return True
            except TimeoutError:
                if msg is not None:
                    await _in_progress(msg)
        return self.stop.is_set()

    async def _report_every(self, sub: JetStreamContext.PullSubscription) -> None:
        loop = asyncio.get_running_loop()
        next_log = loop.time()
        while True:
            await self._refresh_lag(sub)
            if loop.time() >= next_log:
                self.metrics.log_counts()
                next_log = loop.time() + self.options.log_every_s
            await asyncio.sleep(self.options.lag_every_s)

    async def _refresh_lag(self, sub: JetStreamContext.PullSubscription) -> None:
        try:
            info = await sub.consumer_info()
        except NatsError as exc:
            log.debug("consume: consumer info unavailable (%s)", exc)
            return
        self.metrics.set_lag(info.num_pending or 0, info.num_ack_pending or 0)


async def ensure_stream(js: JetStreamContext, options: ConsumeOptions) -> None:
    """Create the stream (file storage; the subject and its `.invalid` twin) if it is
    missing; if it exists and no stream captures `<subject>.invalid`, add that to it
    (else republishing an invalid message could never succeed)."""
    pattern = options.subject
    try:
        info = await js.stream_info(options.stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=options.stream,
                subjects=[pattern.text, pattern.invalid],
                storage=StorageType.FILE,
                duplicate_window=DUPLICATE_WINDOW_S,
            )
        )
        log.info("consume: created stream %s for %s", options.stream, pattern.text)
        return
    try:
        await js.find_stream_name_by_subject(pattern.invalid)
    except NotFoundError:
        subjects = [*(info.config.subjects or []), pattern.invalid]
        await js.update_stream(dataclasses.replace(info.config, subjects=subjects))
        log.info("consume: added %s to stream %s", pattern.invalid, options.stream)


async def ensure_consumer(js: JetStreamContext, options: ConsumeOptions) -> None:
    """Create the durable pull consumer if it is missing (explicit acks, redelivered
    without limit); refuse an existing one that would read other subjects or drop."""
    try:
        info = await js.consumer_info(options.stream, options.durable)
    except NotFoundError:
        await js.add_consumer(
            options.stream,
            ConsumerConfig(
                durable_name=options.durable,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=options.ack_wait_s,
                max_deliver=-1,
                deliver_policy=DeliverPolicy.ALL,
                filter_subject=options.subject.text,
            ),
        )
        log.info("consume: created durable consumer %s on %s", options.durable, options.stream)
        return
    config = info.config
    if config.filter_subject != options.subject.text or config.ack_policy != AckPolicy.EXPLICIT:
        raise ConsumeSetupError(
            f"durable {options.durable!r} of stream {options.stream!r} reads "
            f"{config.filter_subject!r} with ack policy {config.ack_policy}; this needs "
            f"{options.subject.text!r} with explicit acks: choose another --durable"
        )
    if config.max_deliver not in (None, -1, 0):
        raise ConsumeSetupError(
            f"durable {options.durable!r} has max_deliver {config.max_deliver}: messages "
            "would be dropped after that many deliveries; choose another --durable"
        )


async def consume_until_signalled(
    service: ActivityService,
    options: ConsumeOptions,
    metrics: ConsumeMetrics,
    stop_asked: threading.Event | None = None,
) -> None:
    """Run the consumer until SIGTERM or SIGINT, then finish the message in hand.
    stop_asked: set by a signal that came while the process was starting."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if stop_asked is not None and stop_asked.is_set():
        stop.set()
    try:
        await JetStreamConsumer(service, options, metrics, stop).run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _on_error(exc: Exception) -> None:
    log.warning("consume: NATS: %s", exc or type(exc).__name__)


async def _on_reconnected() -> None:
    log.info("consume: reconnected to NATS")


async def _ack(msg: Msg) -> None:
    """Acknowledge and wait for the server to confirm. An ack that is lost (broker away)
    only means the message comes again: its events are then found stored."""
    try:
        await msg.ack_sync(timeout=5)
    except NatsError as exc:
        log.warning("consume: acknowledgement not confirmed (%s); it will be redelivered", exc)


async def _in_progress(msg: Msg) -> None:
    try:
        await msg.in_progress()
    except NatsError as exc:
        log.debug("consume: in_progress not sent (%s)", exc)


async def _release(messages: list[Msg]) -> None:
    """Hand fetched, unhandled messages back at once (stopping), for the next consumer."""
    for msg in messages:
        try:
            await msg.nak()
        except NatsError:
            pass  # redelivered after ack_wait anyway


def _header_bytes(headers: dict[str, str]) -> int:
    """The size of a headers block on the wire (`NATS/1.0`, one line each, a blank line)."""
    lines = sum(len(f"{key}: {value}\r\n".encode()) for key, value in headers.items())
    return len(b"NATS/1.0\r\n") + lines + len(b"\r\n") + 64  # room to spare


def _header_text(text: str) -> str:
    """An error message as one header value: one line, bounded."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 3] + "..."
