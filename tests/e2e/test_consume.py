"""`agentactivity consume` as an operator runs it: counts and lag on --metrics-port, a
graceful stop on SIGTERM (exit 0, nothing left unacknowledged), and one-line refusals of
bad options or an unreachable NATS."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests

from agentactivity.store import SQLiteStore
from tests.e2e.conftest import ManagedProcess, free_port, now_ms, run_cli, sqlite_url
from tests.jetstream import NATS_URL, Names, connect, fresh_names, run

pytestmark = pytest.mark.e2e
ACCOUNT = "12345678"


@pytest.fixture
def names() -> Iterator[Names]:
    with fresh_names() as created:
        yield created


def consume_args(names: Names, db_url: str, *extra: str) -> list[str]:
    return [
        "consume",
        "--nats",
        NATS_URL,
        "--stream",
        names.stream,
        "--subject",
        names.pattern,
        "--durable",
        names.durable,
        "--db",
        db_url,
        *extra,
    ]


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in\n{text}"
    return float(found.group(1))


def test_consume_serves_its_counts_and_stops_on_sigterm(tmp_path: Path, names: Names) -> None:
    db = tmp_path / "consume.db"
    port = free_port()
    proc = ManagedProcess(
        consume_args(names, sqlite_url(db), "--metrics-port", str(port)), tmp_path, "consume"
    )
    # Placed inside the process's retention window, which follows the real clock.
    base = now_ms() - 30 * 60_000
    bodies = [
        orjson.dumps({"type": "state", "agentId": 7, "time": base + i, "state": "ONLINE"})
        for i in range(20)
    ] + [b"not json"] * 2

    async def publish() -> None:
        client = await connect()
        js = client.jetstream()
        for index, body in enumerate(bodies):
            # The id makes a retried publish (one that timed out but was stored) one message.
            headers = {"Nats-Msg-Id": f"publish-{index}"}
            for _ in range(100):  # the consumer creates the stream when it starts
                try:
                    await js.publish(names.subject(ACCOUNT), body, headers=headers)
                    break
                except Exception:
                    await asyncio.sleep(0.1)
        await client.close()

    def counted() -> bool:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        stored = 'agentactivity_consume_messages_total{outcome="stored"}'
        invalid = 'agentactivity_consume_messages_total{outcome="invalid"}'
        return metric(text, stored) == 20 and metric(text, invalid) == 2

    try:
        proc.wait_for_http(f"http://127.0.0.1:{port}/metrics", 30)
        run(publish())
        proc.wait_for_http(f"http://127.0.0.1:{port}/metrics", 60, counted)
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    finally:
        stopped = proc.stop()
    assert stopped and proc.proc.returncode == 0, proc.output()
    assert metric(text, "agentactivity_consume_events_accepted_total") == 20
    assert metric(text, "agentactivity_consume_events_duplicates_total") == 0
    assert metric(text, "agentactivity_consume_store_retries_total") == 0
    assert "agentactivity_consume_pending_messages" in text
    log = proc.stderr_path.read_text()
    stopped_line = next(line for line in log.splitlines() if '"consume: stopped"' in line)
    assert orjson.loads(stopped_line)["stored"] == 20

    async def consumer_info() -> tuple[int, int, int]:
        client = await connect()
        info = await client.jetstream().consumer_info(names.stream, names.durable)
        await client.close()
        return info.num_pending, info.num_ack_pending, info.ack_floor.stream_seq

    assert run(consumer_info()) == (0, 0, 22)
    store = SQLiteStore(str(db))
    assert store.last_seq(ACCOUNT) == 20
    store.close()


def test_consume_refuses_bad_options_and_an_unreachable_nats_in_one_line(
    tmp_path: Path,
) -> None:
    db = sqlite_url(tmp_path / "refused.db")
    names = Names("S", "p", "d")
    bad_subject = run_cli(*consume_args(names, db)[:6], "agents.>", "--durable", "d", cwd=tmp_path)
    assert bad_subject.returncode == 2
    assert "'>' is not allowed" in bad_subject.stderr
    bad_durable = run_cli(*consume_args(names, db)[:8], "a.b", "--db", db, cwd=tmp_path)
    assert bad_durable.returncode == 2 and "--durable 'a.b'" in bad_durable.stderr
    port = free_port()  # nothing listens there
    args = consume_args(names, db)
    args[2] = f"nats://127.0.0.1:{port}"
    away = run_cli(*args, cwd=tmp_path, timeout=60)
    assert away.returncode == 1
    assert f"--nats: NATS at nats://127.0.0.1:{port} did not answer" in away.stderr
