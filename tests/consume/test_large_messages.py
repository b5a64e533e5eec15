"""A 20 MB message. NATS's default max_payload is 1 MiB: the server refuses to take it and
the producer gets the error (nothing stored, so nothing to lose). On a server whose limit
is raised, the consumer refuses it as over its 10 MiB limit, onto `<subject>.invalid`
with the whole payload, or with the error alone when payload and headers together would
pass the server's limit (the original stays at its sequence in the stream)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from nats.errors import MaxPayloadError

from agentactivity.consume.jetstream import ERROR_HEADER, SEQUENCE_HEADER, SIZE_HEADER
from agentactivity.consume.metrics import Counts
from agentactivity.service import ActivityService
from tests.consume.test_jetstream import ACCOUNT, Run, options, setup, state, stored_events
from tests.jetstream import Names, NatsServer, read_all, run

MB20 = 20_000_000
MAX_PAYLOAD = 24 * 1024 * 1024


def test_the_default_server_refuses_a_20_mb_message_to_its_producer(names: Names) -> None:
    async def scenario() -> tuple[int, int]:
        client, js = await setup(names, options(names))
        before = (await js.stream_info(names.stream)).state.last_seq
        with pytest.raises(MaxPayloadError):
            await js.publish(names.subject(ACCOUNT), b" " * MB20)
        after = (await js.stream_info(names.stream)).state.last_seq
        await client.close()
        return before, after

    before, after = run(scenario())
    assert before == after == 0  # nothing reached the stream


def test_over_the_limit_is_refused_onto_invalid_where_the_server_allows_it(
    tmp_path: Path, names: Names, service: ActivityService
) -> None:
    server = NatsServer(tmp_path, max_payload=MAX_PAYLOAD)
    opts = options(names, nats_url=server.url)
    huge = b"[" + b" " * (MB20 - 2) + b"]"
    # Fits the server, but not together with the headers of its republication.
    brim = b"[" + b" " * (MAX_PAYLOAD - 100 - 2) + b"]"
    small = orjson.dumps(state(7, 30, "ONLINE", "small"))

    async def scenario() -> tuple[Counts, list[Any], list[int]]:
        client, js = await setup(names, opts)
        sequences = [
            (await js.publish(names.subject(ACCOUNT), body)).seq for body in (huge, brim, small)
        ]
        consumer = Run(service, opts)
        await consumer.until(lambda c: c.invalid == 2 and c.stored == 1, "all three handled")
        counts = await consumer.finish()
        republished = await read_all(js, names.stream, f"{names.prefix}.*.events.invalid")
        await client.close()
        return counts, republished, sequences

    try:
        counts, republished, sequences = run(scenario())
    finally:
        server.close()
    assert (counts.invalid, counts.stored, counts.accepted) == (2, 1, 1)
    by_sequence = {int(m.headers[SEQUENCE_HEADER]): m for m in republished}
    assert sorted(by_sequence) == sequences[:2] and len(republished) == 2
    whole, alone = by_sequence[sequences[0]], by_sequence[sequences[1]]
    assert whole.data == huge and SIZE_HEADER not in whole.headers
    assert f"{len(huge)} bytes; the limit is {10 * 1024 * 1024}" in whole.headers[ERROR_HEADER]
    assert alone.data == b"" and alone.headers[SIZE_HEADER] == str(len(brim))
    assert [e.event_id for e in stored_events(service, ACCOUNT)] == ["small"]
