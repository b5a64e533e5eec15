"""Partitions (`serve --partition I/N`): what each server holds and what HAProxy adds.

    python -m bench.partitions [--agents 1000] [--hours 24] [--db postgresql://...]

Two accounts of `--agents` simulated agents each, one in each partition of two, stored
in-process in a fresh database (SQLite by default, a fresh schema with --db). Then
three real servers start on it side by side: `serve` (every account), `serve
--partition 0/2` and `serve --partition 1/2`, with HAProxy running docs/haproxy.cfg in
front of the two partitions (when `haproxy` is on the PATH). Measured: each server's
time from start to `/readyz` 200 (started one after the other) and its resident memory
after one Q1 per account it holds; Q1 (24 h, all agents) median over signed GETs of the
first account on kept-alive connections, straight to the whole server, straight to its
partition, and through HAProxy (alternately; every answer checked equal). Prints one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests
from requests_oauthlib import OAuth1

from agentactivity.credentials import new_credentials
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.simulate import Simulator
from agentactivity.store import open_store
from bench.data import HOUR_MS, http_params, queries
from bench.httpbench import _exe, free_port, stop
from bench.servers import fresh_schema
from tests.e2e.haproxy import fleet_config

BATCH = 10_000
EMPTY_OF = 16  # the partition count of the server that holds no account


def accounts_of_both_partitions() -> list[str]:
    """The first account id of partition 0 and of partition 1 (of two)."""
    found: dict[int, str] = {}
    n = 0
    while len(found) < 2:
        n += 1
        account = f"bench{n}"
        found.setdefault(zlib.crc32(account.encode()) % 2, account)
    return [found[0], found[1]]


def fill(db: str, accounts: list[str], agents: int, hours: float, end: int) -> dict[str, Any]:
    """Each account's simulated day stored in-process; their credentials."""
    store = open_store(db)
    service = ActivityService(store, Settings(db_url=db))
    keys: dict[str, Any] = {}
    events = 0
    try:
        for seed, account in enumerate(accounts, 1):
            credentials = new_credentials(account, ("read", "ingest"))
            store.add_credentials(credentials)
            keys[account] = credentials.to_json()
            raw = Simulator(agents=agents, seed=seed, start_ms=end - int(hours * HOUR_MS))
            day = raw.events_until(end)
            for i in range(0, len(day), BATCH):
                service.ingest_items(account, day[i : i + BATCH])
            events += len(day)
    finally:
        store.close()
    return {"keys": keys, "events": events}


class Running:
    def __init__(self, name: str, process: subprocess.Popen[bytes], base: str) -> None:
        self.name, self.process, self.base = name, process, base
        self.started = time.perf_counter()
        self.ready_s = 0.0

    def wait_ready(self) -> None:
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                if requests.get(self.base + "/readyz", timeout=5).status_code == 200:
                    self.ready_s = time.perf_counter() - self.started
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)

    def rss(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")


@contextmanager
def started(command: list[str], name: str, base: str, workdir: str) -> Iterator[Running]:
    with open(Path(workdir) / f"{name}.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log)
        try:
            yield Running(name, process, base)
        finally:
            stop(process)


def serve(stack: ExitStack, db: str, workdir: str, name: str, *options: str) -> Running:
    port = free_port()
    command = [_exe(), "serve", "--port", str(port), "--db", db, *options]
    return stack.enter_context(started(command, name, f"http://127.0.0.1:{port}", workdir))


SESSIONS: dict[tuple[str, str], requests.Session] = {}


def q1(base: str, account: str, keys: dict[str, Any], params: dict[str, Any]) -> tuple[float, Any]:
    """One signed Q1 on a kept-alive connection per (target, account)."""
    session = SESSIONS.get((base, account))
    if session is None:
        session = SESSIONS[base, account] = requests.Session()
        session.auth = OAuth1(
            keys["appKey"], keys["appSecret"], keys["accessToken"], keys["accessTokenSecret"]
        )
    url = f"{base}/operations/api/account/{account}/agentactivity"
    t0 = time.perf_counter()
    answer = session.get(url, params=params, timeout=60)
    elapsed = time.perf_counter() - t0
    if answer.status_code != 200:
        raise RuntimeError(f"Q1 at {base} answered {answer.status_code}: {answer.text[:300]}")
    return elapsed, answer.json()


def run(args: argparse.Namespace) -> dict[str, Any]:
    end = time.time_ns() // 1_000_000
    accounts = accounts_of_both_partitions()
    params = http_params(queries(end)["Q1"])
    haproxy = shutil.which("haproxy")
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory())
        db = stack.enter_context(fresh_schema(args.db)) if args.db else None
        db = db or f"sqlite:///{workdir}/bench.db"
        filled = fill(db, accounts, args.agents, args.hours, end)
        keys = filled["keys"]
        # A partition holding neither account: the process's own memory, without data.
        held = {zlib.crc32(a.encode()) % EMPTY_OF for a in accounts}
        empty = min(set(range(EMPTY_OF)) - held)
        servers = []
        for name, options in (
            ("whole", ()),
            ("partition0", ("--partition", "0/2")),
            ("partition1", ("--partition", "1/2")),
            ("empty", ("--partition", f"{empty}/{EMPTY_OF}")),
        ):  # one after the other: each load has the machine to itself
            servers.append(serve(stack, db, workdir, name, *options))
            servers[-1].wait_ready()
        targets = {"whole server": servers[0].base, "its partition": servers[1].base}
        if haproxy:
            port = free_port()
            ports = (servers[1].base.split("//")[1], servers[2].base.split("//")[1])
            config = Path(workdir) / "haproxy.cfg"
            config.write_text(fleet_config(port, ports))
            command = [haproxy, "-db", "-f", str(config)]
            balancer = stack.enter_context(
                started(command, "haproxy", f"http://127.0.0.1:{port}", workdir)
            )
            balancer.wait_ready()
            targets["through HAProxy"] = balancer.base
        # One Q1 per account where it is held, then memory; the reference answer.
        reference = q1(servers[0].base, accounts[0], keys[accounts[0]], params)[1]
        for account in accounts:
            q1(servers[0].base, account, keys[account], params)
        for partition, account in enumerate(accounts):
            q1(servers[1 + partition].base, account, keys[account], params)
        times: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(args.repeat):
            for name, base in targets.items():
                elapsed, body = q1(base, accounts[0], keys[accounts[0]], params)
                if body != reference:
                    raise RuntimeError(f"Q1 {name} differs from the whole server's")
                times[name].append(elapsed)
        return {
            "agents_per_account": args.agents,
            "hours": args.hours,
            "accounts": accounts,
            "events": filled["events"],
            "db": "postgresql" if args.db else "sqlite",
            "haproxy": bool(haproxy),
            "servers": {
                server.name: {"ready_s": server.ready_s, "rss_bytes": server.rss()}
                for server in servers
            },
            "empty_partition": f"{empty}/{EMPTY_OF}",
            "q1_median_ms": {
                name: statistics.median(values) * 1000 for name, values in times.items()
            },
            "q1_runs": args.repeat,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.partitions", description=__doc__)
    parser.add_argument("--agents", type=int, default=1000, help="agents per account (1000)")
    parser.add_argument("--hours", type=float, default=24, help="simulated hours (24)")
    parser.add_argument("--db", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--repeat", type=int, default=20, help="timed Q1 runs per target (20)")
    json.dump(run(parser.parse_args(argv)), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
