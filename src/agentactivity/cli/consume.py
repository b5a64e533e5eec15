"""`agentactivity consume`: store events from a NATS JetStream stream (SPEC section 10)."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Annotated

import typer

from agentactivity.cli.common import DbOption, LogLevel, build_service, fail, load_settings
from agentactivity.logs import setup_logging
from agentactivity.store import StoreError

log = logging.getLogger("agentactivity.consume")


def consume(
    nats_url: Annotated[
        str, typer.Option("--nats", help="NATS server URL, e.g. nats://127.0.0.1:4222.")
    ],
    stream: Annotated[
        str,
        typer.Option(
            "--stream", help="JetStream stream; created (file storage) if it does not exist."
        ),
    ],
    subject: Annotated[
        str,
        typer.Option(
            "--subject",
            help="Subjects to read, with one '*' where the account id goes, e.g. agents.*.events.",
        ),
    ],
    durable: Annotated[
        str,
        typer.Option(
            "--durable",
            help="Durable consumer name (created if missing): where the stream is read "
            "up to survives restarts.",
        ),
    ],
    db: DbOption = None,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=1000, help="Messages fetched at a time.")
    ] = 100,
    ack_wait: Annotated[
        float,
        typer.Option(
            "--ack-wait",
            min=1,
            help="Seconds JetStream waits for an acknowledgement before delivering a "
            "message again (set when the durable is created; a slow commit is kept in "
            "progress meanwhile).",
        ),
    ] = 30.0,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            help="Serve Prometheus metrics (counts and lag) on this port. Default: none "
            "(the counts are logged every 30 s).",
            show_default=False,
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option("--metrics-host", help="Address of --metrics-port.")
    ] = "127.0.0.1",
    log_level: Annotated[
        LogLevel, typer.Option("--log-level", help="Level of the JSON log lines on stderr.")
    ] = LogLevel.info,
) -> None:
    """Store agent events published on NATS JetStream, through a durable pull consumer.

    \b
    Examples:
      agentactivity consume --nats nats://127.0.0.1:4222 --stream AGENTS \\
        --subject 'agents.*.events' --durable agentactivity --db ./agentactivity.db
      nats pub agents.12345678.events \\
        '{"type":"state","agentId":7,"time":1714557600000,"state":"ONLINE","eventId":"e1"}'

    The account is the subject's '*' token (agents.<accountId>.events). A message is one
    event, a JSON array of events (or {"events": [...]}) or NDJSON, and is one atomic
    batch: all of its events are stored, or none. A message is acknowledged only after its
    events are committed; an invalid one (not UTF-8, not JSON, a refused event, over 10
    MiB) is republished on <subject>.invalid with the error in the Agentactivity-Error
    header, then acknowledged. A database outage is retried with back-off (up to 30 s
    apart), never dropped. SIGTERM or Ctrl-C finishes the message in hand and exits 0.
    Duplicates (retries, redeliveries) are found by eventId. See docs/connectors.md.
    """
    # A stop asked for while starting (an orchestrator's SIGTERM) is a clean stop too.
    stop_asked = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop_asked.set())
    from agentactivity.consume.jetstream import (
        BrokerUnreachable,
        ConsumeOptions,
        ConsumeSetupError,
        consume_until_signalled,
    )
    from agentactivity.consume.messages import SubjectPattern
    from agentactivity.consume.metrics import ConsumeMetrics

    setup_logging(log_level.value)
    try:
        pattern = SubjectPattern.parse(subject)
    except ValueError as exc:
        raise fail(f"--subject: {exc}", 2) from exc
    if any(c in durable for c in ".*> /\\\t") or not durable:
        raise fail(f"--durable {durable!r}: no blanks, '.', '*', '>' or slashes", 2)
    settings = load_settings(db)
    options = ConsumeOptions(
        nats_url=nats_url,
        stream=stream,
        subject=pattern,
        durable=durable,
        batch=batch,
        ack_wait_s=ack_wait,
        max_bytes=settings.max_body_bytes,
    )
    # A writer only: no engine to build or keep (the servers answer from the store).
    service = build_service(settings, answers=False)
    metrics = ConsumeMetrics()
    server = None
    try:
        if metrics_port is not None:
            try:
                server = metrics.serve(metrics_host, metrics_port)
            except OSError as exc:
                raise fail(f"--metrics-port {metrics_port}: {exc.strerror or exc}", 2) from exc
        log.info(
            "consume: reading %s from stream %s (durable %s) on %s",
            pattern.text,
            stream,
            durable,
            nats_url,
        )
        asyncio.run(consume_until_signalled(service, options, metrics, stop_asked))
    except ConsumeSetupError as exc:
        raise fail(str(exc), 2) from exc
    except StoreError as exc:
        raise fail(str(exc)) from exc
    except BrokerUnreachable as exc:
        raise fail(f"--nats: {exc}") from exc
    finally:
        if server is not None:
            server.shutdown()
        service.store.close()


def register(app: typer.Typer) -> None:
    """Add `consume` to the `agentactivity` command."""
    app.command("consume")(consume)
