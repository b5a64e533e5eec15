"""Two partitions behind a real HAProxy answer exactly as one unpartitioned server does.

`serve --partition 0/2` and `serve --partition 1/2 --workers 2` on one PostgreSQL
schema, behind Debian's HAProxy running docs/haproxy.cfg (only its ports and server
addresses changed), beside a plain `serve` on the same database. Twenty accounts get
their keys, people and simulated events through HAProxy; then every account's answers
through HAProxy equal the plain server's, a request sent straight to the wrong
partition is 421, and each partition's engine holds only its own accounts.

The simulated days are tests/simulated.py's pinned window moved to end at END, and every
question names its instant (`to`, `from`), so the answers do not depend on the hour.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic, sleep
from typing import Any

import pytest
import requests

from agentactivity.credentials import new_credentials
from agentactivity.store import open_store
from tests.e2e.conftest import (
    STARTUP_TIMEOUT_S,
    ManagedProcess,
    activity_url,
    events_url,
    free_port,
    now_ms,
    oauth,
    run_cli,
)
from tests.e2e.haproxy import HAProxy, fleet_config, require_haproxy
from tests.e2e.sse import SseStream
from tests.simulated import pinned_events
from tests.store.conftest import postgres_schema

pytestmark = pytest.mark.e2e

ACCOUNTS = [str(70_000_001 + i) for i in range(20)]
HOURS = 3
TIMEOUT = 15.0
MINUTE = 60_000
# Aligned to 5 minutes, a minute back: every event is in the past when posted.
END = now_ms() // (5 * MINUTE) * (5 * MINUTE) - MINUTE


def partition_of(account: str) -> int:
    return zlib.crc32(account.encode()) % 2


class Serve(ManagedProcess):
    """`agentactivity serve` with extra options on a free port (waited for apart, so
    that the servers start side by side)."""

    def __init__(self, db_url: str, workdir: Path, name: str, *options: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", db_url]
        super().__init__([*args, *options], workdir, name)

    def ready(self) -> None:
        self.wait_for_http(self.base_url + "/readyz", STARTUP_TIMEOUT_S * 2)


@dataclass
class Fleet:
    partitions: tuple[Serve, Serve]
    whole: Serve
    balancer_url: str
    keys: dict[str, dict[str, Any]]


def wait_for_routes(proxy: HAProxy, base_url: str, accounts: list[str]) -> None:
    """Until HAProxy's health checks have put both partitions in rotation."""
    deadline = monotonic() + STARTUP_TIMEOUT_S
    pending = set(accounts)
    while pending:
        for account in sorted(pending):
            url = f"{base_url}/api/account/{account}/service/leDataReporting/baseURI.json"
            try:
                if requests.get(url, timeout=1.0).status_code == 200:
                    pending.discard(account)
            except requests.RequestException:
                pass
        if pending and monotonic() > deadline:
            pytest.fail(f"HAProxy did not route to {pending}\n{proxy.output()}")
        sleep(0.2)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    binary = require_haproxy()
    workdir = tmp_path_factory.mktemp("partitions")
    with postgres_schema() as db_url:
        store = open_store(db_url)  # migrates the schema before the servers share it
        keys = {}
        for account in ACCOUNTS:
            credentials = new_credentials(account, ("read", "ingest", "admin"))
            store.add_credentials(credentials)
            keys[account] = credentials.to_json()
        store.close()
        servers = [
            Serve(db_url, workdir, "partition0", "--partition", "0/2"),
            Serve(db_url, workdir, "partition1", "--partition", "1/2", "--workers", "2"),
            Serve(db_url, workdir, "whole"),
        ]
        proxy = None
        try:
            for server in servers:
                server.ready()
            port = free_port()
            addresses = (f"127.0.0.1:{servers[0].port}", f"127.0.0.1:{servers[1].port}")
            proxy = HAProxy(binary, fleet_config(port, addresses), workdir)
            balancer_url = f"http://127.0.0.1:{port}"
            first_of_each = [next(a for a in ACCOUNTS if partition_of(a) == p) for p in (0, 1)]
            wait_for_routes(proxy, balancer_url, first_of_each)
            yield Fleet((servers[0], servers[1]), servers[2], balancer_url, keys)
        finally:
            if proxy is not None:
                proxy.stop()
            for server in servers:
                assert server.stop(), f"did not stop on SIGTERM\n{server.output()}"


def ok(answer: requests.Response) -> requests.Response:
    assert answer.status_code in (200, 201), (answer.request.url, answer.text)
    return answer


@pytest.fixture(scope="module")
def world(fleet: Fleet) -> Fleet:
    """Every account's people and simulated events, sent through HAProxy."""
    for i, account in enumerate(ACCOUNTS):
        auth = oauth(fleet.keys[account])
        events = pinned_events(4 + i % 3, i + 1, HOURS, END)
        posted = requests.post(
            events_url(fleet.balancer_url, account), json=events, auth=auth, timeout=TIMEOUT
        )
        assert ok(posted).json()["accepted"] == len(events), posted.text
        users = f"{fleet.balancer_url}/api/account/{account}/configuration/le-users/users"
        people = [{"id": str(1001 + n), "loginName": f"agent{n}@{account}"} for n in range(2)]
        ok(requests.post(users, json=people, auth=auth, timeout=TIMEOUT))
    return fleet


def text_of(fleet: Fleet, base_url: str, path: str, account: str, **params: Any) -> str:
    """The answer's body, with the server's own address written as the balancer's (the
    status changes' links and discovery name the host asked)."""
    answer = requests.get(
        base_url + path, params=params, auth=oauth(fleet.keys[account]), timeout=TIMEOUT
    )
    return (
        ok(answer)
        .text.replace(base_url, fleet.balancer_url)
        .replace(base_url.removeprefix("http://"), fleet.balancer_url.removeprefix("http://"))
    )


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def questions(account: str) -> list[tuple[str, dict[str, Any]]]:
    base = f"/api/account/{account}"
    return [
        (
            f"/operations{base}/agentactivity",
            {"v": 1, "timeframe": HOURS * 60, "interval": 60, "agentIds": "all", "to": END},
        ),
        (f"{base}/agents/state", {"agentIds": "all", "to": END}),
        (
            f"/api/v2/account/{account}/status-changes",
            {"source": "test", "v": 2, "from": rfc3339(END - HOURS * 60 * MINUTE)}
            | {"to": rfc3339(END)},
        ),
        (f"{base}/configuration/le-users/users", {}),
        (f"{base}/configuration/le-users/agentGroups", {}),
        (f"{base}/configuration/le-agents/status-reasons", {}),
        (f"{base}/service/leDataReporting/baseURI.json", {"version": "1.0"}),
    ]


def test_the_accounts_fall_in_both_partitions() -> None:
    assert {partition_of(a) for a in ACCOUNTS} == {0, 1}


def test_every_account_answers_through_haproxy_as_one_server_does(world: Fleet) -> None:
    compared = 0
    for account in ACCOUNTS:
        for path, params in questions(account):
            through = text_of(world, world.balancer_url, path, account, **params)
            alone = text_of(world, world.whole.base_url, path, account, **params)
            assert through == alone, (account, path)
            compared += 1
        figures = requests.get(
            activity_url(world.balancer_url, account),
            params=questions(account)[0][1],
            auth=oauth(world.keys[account]),
            timeout=TIMEOUT,
        ).json()
        assert figures["agentsMetrics"]["metricsPerAgent"], (account, figures)
    assert compared == len(ACCOUNTS) * 7


def test_the_live_stream_routes_to_its_partition(world: Fleet) -> None:
    for partition in (0, 1):
        account = next(a for a in ACCOUNTS if partition_of(a) == partition)
        stream = SseStream(world.balancer_url, world.keys[account])
        try:
            assert stream.status == 200
            message = stream.next()
            while message is not None and message.event != "snapshot":
                message = stream.next()
            assert message is not None
            snapshot = message.json()
        finally:
            stream.client.close()
        listing = requests.get(
            f"{world.whole.base_url}/api/account/{account}/agents/state",
            params={"agentIds": "all", "to": snapshot["asOf"]},
            auth=oauth(world.keys[account]),
            timeout=TIMEOUT,
        ).json()
        assert snapshot == listing and listing["agents"], account


def test_the_dashboard_and_operations_answer_through_haproxy(world: Fleet) -> None:
    for path in ("/dashboard", "/dashboard/dashboard.js", "/openapi.json", "/healthz"):
        assert requests.get(world.balancer_url + path, timeout=TIMEOUT).status_code == 200


def test_haproxy_passes_request_heads_as_large_as_the_servers_accept(world: Fleet) -> None:
    # The server's limit is 64 KiB of URL: HAProxy's buffer (tune.bufsize) must carry a
    # longer one to it, so that the client reads the server's 414 saying what to do.
    account = ACCOUNTS[0]
    ids = ",".join(str(1_000_000 + n) for n in range(9_000))  # about 72 KB
    answer = requests.get(
        activity_url(world.balancer_url, account),
        params={"v": 1, "timeframe": 60, "agentIds": ids},
        auth=oauth(world.keys[account]),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 414, answer.text
    assert "Send long agentIds lists with POST" in answer.json()["message"]
    shorter = ",".join(str(1_000_000 + n) for n in range(6_000))  # about 48 KB: answered
    answer = requests.get(
        activity_url(world.balancer_url, account),
        params={"v": 1, "timeframe": 60, "agentIds": shorter, "to": END},
        auth=oauth(world.keys[account]),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text


def test_a_request_sent_to_the_wrong_partition_is_misdirected(world: Fleet) -> None:
    for partition in (0, 1):
        server = world.partitions[partition]
        account = next(a for a in ACCOUNTS if partition_of(a) != partition)
        for answer in (
            requests.get(
                activity_url(server.base_url, account),
                params={"v": 1, "agentIds": "all", "timeframe": 60},
                auth=oauth(world.keys[account]),
                timeout=TIMEOUT,
            ),
            requests.post(events_url(server.base_url, account), data=b"[{", timeout=TIMEOUT),
            requests.post(f"{server.base_url}/api/account/{account}/connectors/twilio"),
        ):
            assert answer.status_code == 421, answer.text
            assert answer.json()["message"].startswith(
                f"account {account} belongs to partition {1 - partition}/2; "
                f"this server is partition {partition}/2"
            )


def engine_accounts(base_url: str) -> set[str]:
    metrics = requests.get(base_url + "/metrics", timeout=TIMEOUT)
    return set(
        re.findall(r'^agentactivity_engine_agents\{account="([^"]+)"\}', ok(metrics).text, re.M)
    )


def test_each_partition_holds_only_its_accounts(world: Fleet) -> None:
    for partition, server in enumerate(world.partitions):
        mine = {a for a in ACCOUNTS if partition_of(a) == partition}
        # Partition 1 runs two workers: whichever answers holds the same accounts.
        for _ in range(1 + partition):
            assert engine_accounts(server.base_url) == mine, partition
        metrics = requests.get(server.base_url + "/metrics", timeout=TIMEOUT).text
        assert f'agentactivity_partition{{count="2",index="{partition}"}} 1.0' in metrics
    assert engine_accounts(world.whole.base_url) == set(ACCOUNTS)


def test_serve_refuses_a_partition_that_does_not_exist(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = run_cli("serve", "--db", db, "--partition", "2/2", cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result
    assert "--partition: the partition index must be between 0 and 1" in result.stderr
