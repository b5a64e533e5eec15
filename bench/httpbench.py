"""A real `agentactivity serve` on a free loopback port (a fresh SQLite file by default)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import requests
from requests_oauthlib import OAuth1

ACCOUNT = "12345678"
BATCH = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exe() -> str:
    return str(Path(sys.executable).with_name("agentactivity"))


class Server:
    def __init__(self, base: str, session: requests.Session, process: subprocess.Popen[bytes]):
        self.base = base
        self.session = session
        self.process = process

    def ingest(
        self, raw: list[dict[str, Any]], advance: Callable[[int], None] | None = None
    ) -> tuple[float, int]:
        """Post every event in signed batches of 1,000, one after the other, each
        acknowledged (durably) before the next; returns (seconds, events accepted).

        Bodies are encoded before the clock starts: the rate is the server's, not the
        client's JSON encoder's."""
        bodies = [orjson.dumps(raw[i : i + BATCH]) for i in range(0, len(raw), BATCH)]
        url = f"{self.base}/api/account/{ACCOUNT}/events"
        headers = {"Content-Type": "application/json"}
        accepted = 0
        post = self.session.post
        started = time.perf_counter()
        for body in bodies:
            answer = post(url, data=body, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(f"ingest answered {answer.status_code}: {answer.text[:500]}")
            accepted += answer.json()["accepted"]
            if advance:
                advance(1)
        return time.perf_counter() - started, accepted

    def query(self, params: dict[str, Any]) -> tuple[float, bytes]:
        """One signed GET of the Agent Activity method: (seconds end to end, body)."""
        url = f"{self.base}/operations/api/account/{ACCOUNT}/agentactivity"
        t0 = time.perf_counter()
        answer = self.session.get(url, params=params)
        content = answer.content
        elapsed = time.perf_counter() - t0
        if answer.status_code != 200:
            raise RuntimeError(f"query answered {answer.status_code}: {content[:500]!r}")
        return elapsed, content


def create_keys(db: str) -> dict[str, str]:
    """Credentials of the benchmark account, created with `agentactivity keys create`."""
    return dict(
        json.loads(
            subprocess.run(
                [_exe(), "keys", "create", "--account", ACCOUNT, "--db", db],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    )


@contextmanager
def serve(
    workdir: str,
    db: str | None = None,
    redis: str | None = None,
    keys: dict[str, str] | None = None,
    name: str = "server",
    workers: int = 1,
) -> Iterator[Server]:
    """Start the service on `db` (default: a fresh SQLite file in `workdir`), with
    `--redis` when given, as `workers` processes; stop it on exit. `keys` are created
    when not given.

    The per-account query rate limit (default 50/s) is lifted: the benchmark sends
    queries back to back on purpose."""
    db = db or f"sqlite:///{workdir}/bench.db"
    keys = keys or create_keys(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AGENTACTIVITY_QUERY_RATE_PER_SECOND": "1000000",
        "AGENTACTIVITY_PRUNE_INTERVAL_SECONDS": "86400",
    }
    log_path = Path(workdir) / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed below)
    command = [_exe(), "serve", "--port", str(port), "--db", db]
    if redis:
        command += ["--redis", redis]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
    try:
        session = requests.Session()
        session.auth = OAuth1(
            keys["appKey"], keys["appSecret"], keys["accessToken"], keys["accessTokenSecret"]
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                session.get(f"{base}/api/account/1/service/leDataReporting/baseURI.json")
                break
            except requests.ConnectionError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    text = log_path.read_text(errors="replace")
                    raise RuntimeError(
                        f"agentactivity serve did not start:\n{text[-2000:]}"
                    ) from exc
                time.sleep(0.1)
        yield Server(base, session, process)
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it is not over within timeout_s."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_rss(server: Server) -> int | None:
    """Resident bytes of the server process (Linux /proc), None where unknown."""
    try:
        with open(f"/proc/{server.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
