"""The consumer's counts: plain numbers the loop adds to, read by one periodic log line
and, with `--metrics-port`, served as Prometheus counters and lag gauges from a registry
of their own."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector

log = logging.getLogger("agentactivity.consume")


@dataclass
class Counts:
    stored: int = 0  # messages whose events were committed, then acknowledged
    invalid: int = 0  # messages republished on <subject>.invalid, then acknowledged
    accepted: int = 0  # events stored
    duplicates: int = 0  # events already stored (same eventId): ignored
    store_retries: int = 0  # failed attempts (store or .invalid publish) retried later
    redeliveries: int = 0  # messages delivered more than once
    pending: int = 0  # lag: messages not yet delivered to the consumer (num_pending)
    ack_pending: int = 0  # delivered, not yet acknowledged (num_ack_pending)


class ConsumeMetrics(Collector):
    """The counts, safe to read from the metrics thread while the loop adds to them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = Counts()
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def add(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self._counts, name, getattr(self._counts, name) + delta)

    def set_lag(self, pending: int, ack_pending: int) -> None:
        with self._lock:
            self._counts.pending = pending
            self._counts.ack_pending = ack_pending

    def snapshot(self) -> Counts:
        with self._lock:
            return dataclasses.replace(self._counts)

    def log_counts(self, message: str = "consume: counts") -> None:
        log.info(message, extra=dataclasses.asdict(self.snapshot()))

    def collect(self) -> Iterator[Metric]:
        counts = self.snapshot()
        messages = CounterMetricFamily(
            "agentactivity_consume_messages",
            "Messages acknowledged: stored (events committed) or invalid (republished on "
            "<subject>.invalid).",
            labels=["outcome"],
        )
        messages.add_metric(["stored"], counts.stored)
        messages.add_metric(["invalid"], counts.invalid)
        yield messages
        for name, value, text in (
            ("events_accepted", counts.accepted, "Events stored from messages."),
            ("events_duplicates", counts.duplicates, "Events already stored: ignored."),
            (
                "store_retries",
                counts.store_retries,
                "Attempts that failed on the store (or publishing to .invalid), retried "
                "after a back-off.",
            ),
            (
                "redeliveries",
                counts.redeliveries,
                "Messages delivered more than once (after a crash, a timeout or a stop).",
            ),
        ):
            yield CounterMetricFamily(f"agentactivity_consume_{name}", text, value=value)
        yield GaugeMetricFamily(
            "agentactivity_consume_pending_messages",
            "Consumer lag: messages of the stream not yet delivered (num_pending).",
            value=counts.pending,
        )
        yield GaugeMetricFamily(
            "agentactivity_consume_ack_pending_messages",
            "Messages delivered and not acknowledged yet (num_ack_pending).",
            value=counts.ack_pending,
        )

    def text(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)

    def serve(self, host: str, port: int) -> Any:
        """Serve the metrics on host:port (any path) from a daemon thread; returns the
        server, whose `shutdown()` stops it."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server
