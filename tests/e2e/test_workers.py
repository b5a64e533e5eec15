"""`agentactivity serve --workers 3`: three real processes on one address and one
database. Whichever worker acknowledges an ingest, every worker answers the next query
byte for byte the same; a nonce used at one worker is refused at another; SIGTERM
drains and stops them all, exit code 0.

Every request goes on a new connection (no session), so the kernel hands it to any
worker; `X-Served-By` (the worker's pid) says which one answered.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
    ACCOUNT,
    STARTUP_TIMEOUT_S,
    ManagedProcess,
    activity_url,
    cli_env,
    create_keys,
    events_url,
    free_port,
    now_ms,
    oauth,
    run_cli,
    sqlite_url,
)
from tests.e2e.test_shutdown import HalfThenRest, batch_body, post_in_thread, wait_until_refused
from tests.store.conftest import postgres_schema

pytestmark = pytest.mark.e2e

WORKERS = 3
MIN = 60_000
TIMEOUT = 20.0
# Requests sent at most to see every worker answer once (they are spread by the kernel).
MAX_TRIES = 150
EXIT_TIMEOUT_S = 60.0


class Workers(ManagedProcess):
    """`agentactivity serve --workers 3`, up once every worker said it is ready."""

    def __init__(self, db_url: str, workdir: Path, *flags: str) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", db_url]
        args += ["--workers", str(WORKERS), *flags]
        # Up to MAX_TRIES queries back to back to reach every worker: at a few ms each,
        # more than the default 50 a second may land on one worker. The rate limit is
        # not what these tests are about (tests/api/test_ratelimit.py is).
        rate = {"AGENTACTIVITY_QUERY_RATE_PER_SECOND": "100000"}
        super().__init__(args, workdir, f"workers-{self.port}", env=rate)
        self.pids: list[int] = []
        self.wait_for_http(self.base_url + "/readyz", STARTUP_TIMEOUT_S * 3, self._all_ready)

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stderr_path.read_text().splitlines()]

    def _all_ready(self) -> bool:
        for record in self.log_lines():
            if record["message"].startswith(f"all {WORKERS} workers ready"):
                self.pids = record["pids"]
                return True
        return False


@pytest.fixture(params=["sqlite", "postgres"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workers]:
    if request.param == "sqlite":
        server = Workers(sqlite_url(tmp_path / "workers.db"), tmp_path)
        yield server
        assert server.stop(EXIT_TIMEOUT_S), server.output()
        return
    with postgres_schema() as url:
        create_keys(url, ACCOUNT, cwd=tmp_path)  # the schema exists before N workers race
        server = Workers(url, tmp_path)
        yield server
        assert server.stop(EXIT_TIMEOUT_S), server.output()


def served_by(answer: requests.Response) -> int:
    return int(answer.headers["X-Served-By"])


def ingest(server: Workers, keys: dict[str, Any], events: list[dict[str, Any]]) -> int:
    answer = requests.post(
        events_url(server.base_url, ACCOUNT), json=events, auth=oauth(keys), timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": len(events), "duplicates": 0}, answer.text
    return served_by(answer)


def answers_of_every_worker(server: Workers, keys: dict[str, Any], to: int) -> dict[int, bytes]:
    """Query on new connections until each worker has answered; its pid -> body."""
    params = {"v": 1, "timeframe": 60, "agentIds": "all", "to": to}
    bodies: dict[int, bytes] = {}
    for _ in range(MAX_TRIES):
        answer = requests.get(
            activity_url(server.base_url, ACCOUNT), params=params, auth=oauth(keys), timeout=TIMEOUT
        )
        assert answer.status_code == 200, answer.text
        bodies.setdefault(served_by(answer), answer.content)
        if len(bodies) == WORKERS:
            return bodies
    pytest.fail(f"only workers {sorted(bodies)} of {server.pids} answered {MAX_TRIES} queries")


def online_seconds(body: bytes, agent: str) -> int:
    """The agent's Online total in the window (metricsPerAgent maps ids to entries)."""
    entries = json.loads(body)["agentsMetrics"]["metricsPerAgent"][agent]
    (online,) = [entry for entry in entries if entry["name"] == "Online"]
    return int(online["value"]["total"])


def test_every_worker_answers_identically_after_each_ingest(workers: Workers) -> None:
    keys = create_keys(workers.db_url, ACCOUNT, cwd=workers.workdir)
    to = now_ms()
    start = to - 50 * MIN
    writers: set[int] = set()
    for round_ in range(8):
        agent = str(1000 + round_)
        # Online 3 + round minutes, then away: acknowledged by whichever worker.
        began = start + round_ * MIN
        events = [
            {"type": "state", "agentId": agent, "time": began, "state": "ONLINE"},
            {
                "type": "state",
                "agentId": agent,
                "time": began + (3 + round_) * MIN,
                "state": "AWAY",
            },
        ]
        writers.add(ingest(workers, keys, events))
        bodies = answers_of_every_worker(workers, keys, to)
        assert sorted(bodies) == sorted(workers.pids)
        assert len(set(bodies.values())) == 1, (round_, bodies)
        body = next(iter(bodies.values()))
        for earlier in range(round_ + 1):
            assert online_seconds(body, str(1000 + earlier)) == (3 + earlier) * 60
    assert writers <= set(workers.pids)


def test_a_nonce_used_at_one_worker_is_refused_at_another(workers: Workers) -> None:
    keys = create_keys(workers.db_url, ACCOUNT, "read", cwd=workers.workdir)
    request = requests.Request(
        "GET",
        activity_url(workers.base_url, ACCOUNT),
        params={"v": 1, "timeframe": 60, "agentIds": "all"},
        auth=oauth(keys),
    ).prepare()
    with requests.Session() as session:
        first = session.send(request, timeout=TIMEOUT)
    assert first.status_code == 200, first.text
    refused_by: set[int] = set()
    for _ in range(MAX_TRIES):
        with requests.Session() as session:  # a new connection each time
            replay = session.send(request, timeout=TIMEOUT)
        assert replay.status_code == 401, replay.text
        assert "nonce already used" in replay.json()["message"]
        refused_by.add(served_by(replay))
        if refused_by - {served_by(first)}:
            return
    pytest.fail(f"every replay went to the worker that accepted it ({refused_by})")


def test_sigterm_drains_and_stops_every_worker(tmp_path: Path) -> None:
    server = Workers(sqlite_url(tmp_path / "stop.db"), tmp_path, "--shutdown-timeout", "30")
    keys = create_keys(server.db_url, ACCOUNT, "ingest", cwd=tmp_path)
    body = HalfThenRest(batch_body())
    thread, outcome = post_in_thread(events_url(server.base_url, ACCOUNT), keys, body)
    assert body.first_sent.wait(10), "the client never sent the first half of the body"
    time.sleep(0.5)  # a worker has the request line and headers by now

    server.proc.send_signal(signal.SIGTERM)
    wait_until_refused(server)  # type: ignore[arg-type]
    body.release.set()
    thread.join(EXIT_TIMEOUT_S)
    assert "error" not in outcome, f"{outcome.get('error')!r}\n{server.output()}"
    assert outcome["response"].status_code == 200, outcome["response"].text
    assert outcome["response"].json()["accepted"] == len(json.loads(body.body))

    assert server.proc.wait(timeout=EXIT_TIMEOUT_S) == 0, server.output()
    for pid in server.pids:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        ), f"worker {pid} outlived the parent"
    lines = server.log_lines()
    stopped = [r["worker"] for r in lines if r["message"].endswith("stopped; the store is closed")]
    assert sorted(stopped) == list(range(WORKERS)), lines
    assert lines[-1]["message"] == f"stopped: all {WORKERS} workers exited cleanly", lines[-1]


def test_each_scrape_names_the_worker_that_answered(workers: Workers) -> None:
    seen: set[int] = set()
    for _ in range(MAX_TRIES):
        answer = requests.get(workers.base_url + "/metrics", timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        pid = served_by(answer)
        (line,) = [x for x in answer.text.splitlines() if x.startswith("agentactivity_worker_info")]
        assert f'pid="{pid}"' in line, line
        seen.add(pid)
        if len(seen) == WORKERS:
            return
    pytest.fail(f"only workers {sorted(seen)} of {workers.pids} answered")


def test_bad_worker_setups_fail_with_one_clear_line(tmp_path: Path) -> None:
    port = str(free_port())
    memory = run_cli("serve", "--port", port, "--db", ":memory:", "--workers", "2", cwd=tmp_path)
    zero = run_cli("serve", "--port", port, "--workers", "0", cwd=tmp_path)
    bad_env = run_cli(
        "serve", "--port", port, cwd=tmp_path, env=cli_env(AGENTACTIVITY_WORKERS="many")
    )
    assert (memory.returncode, zero.returncode, bad_env.returncode) == (1, 2, 2)
    assert "in-memory SQLite database belongs to one process" in memory.stderr, memory.stderr
    assert "--workers" in zero.stderr, zero.stderr
    assert "AGENTACTIVITY_WORKERS='many'" in bad_env.stderr, bad_env.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = str(taken.getsockname()[1])
        result = run_cli(
            "serve",
            "--port",
            busy,
            "--db",
            sqlite_url(tmp_path / "x.db"),
            "--workers",
            "2",
            cwd=tmp_path,
        )
    assert result.returncode == 1, result
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and f"cannot listen on 127.0.0.1:{busy}" in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_the_shutdown_timeout_bounds_the_wait_of_every_worker(tmp_path: Path) -> None:
    server = Workers(sqlite_url(tmp_path / "bound.db"), tmp_path, "--shutdown-timeout", "1")
    keys = create_keys(server.db_url, ACCOUNT, "ingest", cwd=tmp_path)
    body = HalfThenRest(batch_body())
    thread, outcome = post_in_thread(events_url(server.base_url, ACCOUNT), keys, body)
    assert body.first_sent.wait(10), "the client never sent the first half of the body"
    time.sleep(0.5)

    sent = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    # The body never completes: its worker gives up on it after about 1 s.
    assert server.proc.wait(timeout=EXIT_TIMEOUT_S) == 0, server.output()
    assert time.monotonic() - sent < 10, "the workers did not stop at the shutdown timeout"
    body.release.set()
    thread.join(EXIT_TIMEOUT_S)
    assert "response" not in outcome or outcome["response"].status_code != 200, outcome


def test_a_worker_that_dies_is_replaced_and_ctrl_c_stops_all(tmp_path: Path) -> None:
    server = Workers(sqlite_url(tmp_path / "replace.db"), tmp_path)
    keys = create_keys(server.db_url, ACCOUNT, cwd=tmp_path)
    to = now_ms()
    ingest(server, keys, [{"type": "state", "agentId": "7", "time": to - MIN, "state": "ONLINE"}])
    victim = server.pids[1]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S * 3
    replacement = None
    while replacement is None and time.monotonic() < deadline:
        time.sleep(0.2)
        ready = [r for r in server.log_lines() if r.get("worker_index") == 1 and "pid" in r]
        replacement = next((r["pid"] for r in ready if r["pid"] != victim), None)
    assert replacement is not None, server.output()
    pids = sorted({*server.pids, replacement} - {victim})
    bodies = answers_of_every_worker(server, keys, to)
    assert sorted(bodies) == pids, (bodies.keys(), pids)
    assert len(set(bodies.values())) == 1
    assert online_seconds(next(iter(bodies.values())), "7") == 60

    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=EXIT_TIMEOUT_S) == 130, server.output()


def test_the_workers_share_the_snapshot_across_a_restart(tmp_path: Path) -> None:
    db_url = sqlite_url(tmp_path / "workers.db")
    first = Workers(db_url, tmp_path)
    keys = create_keys(db_url, ACCOUNT, cwd=tmp_path)
    to = now_ms()
    events = [
        {"type": "state", "agentId": str(1000 + n), "time": to - (40 - n) * MIN, "state": s}
        for n in range(10)
        for s in ("ONLINE",)
    ]
    ingest(first, keys, events)
    before = answers_of_every_worker(first, keys, to)
    assert first.stop(EXIT_TIMEOUT_S), first.output()
    # One of the workers wrote it (the one holding the folder's writer lock).
    written = [
        r for r in first.log_lines() if "written" in r["message"] and "snapshot" in r["message"]
    ]
    assert len({r["worker"] for r in written}) == 1, written
    assert (tmp_path / "workers.db.snapshots" / f"{ACCOUNT}.snapshot").exists()

    second = Workers(db_url, tmp_path)
    try:
        loaded = [r for r in second.log_lines() if "loaded the snapshot" in r["message"]]
        assert sorted(r["worker"] for r in loaded) == list(range(WORKERS))
        after = answers_of_every_worker(second, keys, to)
        assert set(after.values()) == set(before.values())
    finally:
        assert second.stop(EXIT_TIMEOUT_S), second.output()
