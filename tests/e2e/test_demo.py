"""`agentactivity demo` (what `make run` serves): back-filled history, keys, live events."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from agentactivity.cli.demo import DEMO_ACCOUNT, DEMO_SEED
from tests.e2e.conftest import (
    DISCOVERY_PATH,
    ManagedProcess,
    activity_url,
    free_port,
    now_ms,
    oauth,
    run_cli,
)
from tests.simulated import next_event_after

pytestmark = pytest.mark.e2e

# The live feed follows the simulation's own clock: with a few hundred agents some event
# is due every couple of seconds on average, but pauses of up to half a minute happen
# (26 s in one simulated week), so the test waits for the event the simulation has due
# next, whenever that is. Half of the agents having a shift within
# any 24 h is the simulator's model (each works a shift a day, one day in ten off);
# tests/unit/test_fixed_instants.py checks these assumptions at awkward instants.
AGENTS = 300
READY_TIMEOUT_S = 60.0
LIVE_TIMEOUT_S = 30.0  # from the moment the next event is due to it being stored


def stored(db: Path, event_id: str = "") -> tuple[int, int]:
    """(event count, count of `event_id`) of the demo account, read-only beside the demo."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5.0) as conn:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE event_id = ?) FROM events"
            " WHERE account_id = ?",
            (event_id, DEMO_ACCOUNT),
        ).fetchone()
    return int(row[0]), int(row[1])


def test_demo_serves_history_keys_and_live_events(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "demo.db"
    creds_path = tmp_path / "demo-credentials.json"
    demo = ManagedProcess(
        [
            "demo",
            "--port",
            str(port),
            "--db",
            str(db),
            "--credentials-file",
            str(creds_path),
            "--agents",
            str(AGENTS),
        ],
        tmp_path,
        "demo",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        demo.wait_for_http(base + DISCOVERY_PATH, READY_TIMEOUT_S, ready=creds_path.exists)
        ready_at = now_ms()

        creds: dict[str, Any] = json.loads(creds_path.read_text())
        assert creds["accountId"] == DEMO_ACCOUNT
        for name in ("appKey", "appSecret", "accessToken", "accessTokenSecret"):
            assert isinstance(creds[name], str) and creds[name], name
        assert sorted(creds["scopes"]) == ["ingest", "read"]
        assert creds["baseUrl"] == base

        answer = requests.get(
            activity_url(creds["baseUrl"], DEMO_ACCOUNT),
            params={"timeframe": 1440, "agentIds": "all", "v": 1},
            auth=oauth(creds),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        per_agent = answer.json()["agentsMetrics"]["metricsPerAgent"]
        assert len(per_agent) >= AGENTS // 2, f"only {len(per_agent)} agents in 24 h"
        assert all(1001 <= int(agent) < 1001 + AGENTS for agent in per_agent)
        assert list(per_agent) == sorted(per_agent, key=int)
        logged_in = [entries[3]["value"] for entries in per_agent.values()]
        assert sum(v["total"] for v in logged_in) > 0 and sum(v["chatting"] for v in logged_in) > 0
        for agent, entries in per_agent.items():
            assert [e["id"] for e in entries] == [2, 3, 4, -1], agent
            parts = sum(e["value"]["total"] for e in entries[:3])
            assert abs(entries[3]["value"]["total"] - parts) <= 2, agent
            assert entries[3]["value"]["total"] <= 1440 * 60, agent

        # The simulator's Away reasons are named: the demo created them as status
        # reasons, and every reason id in the figures and the state is one of theirs.
        reasons = requests.get(
            f"{base}/api/account/{DEMO_ACCOUNT}/configuration/le-agents/status-reasons",
            auth=oauth(creds),
            timeout=30,
        )
        assert reasons.status_code == 200, reasons.text
        names = {str(item["id"]): item["text"] for item in reasons.json()}
        assert sorted(names.values()) == ["Coaching", "Lunch", "Meeting", "Training"]
        used = {r["id"] for entries in per_agent.values() for r in entries[2]["reasons"]}
        assert used and used <= set(names), (used, names)
        states = requests.get(
            f"{base}/api/account/{DEMO_ACCOUNT}/agents/state",
            params={"agentIds": "all"},
            auth=oauth(creds),
            timeout=30,
        )
        assert states.status_code == 200, states.text
        for agent in states.json()["agents"].values():
            reason_id = agent["reasonId"]
            assert agent["reasonName"] == (None if reason_id is None else names[reason_id])

        # Every simulated agent is a person in one of the demo's teams.
        users = requests.get(
            f"{base}/api/account/{DEMO_ACCOUNT}/configuration/le-users/users",
            auth=oauth(creds),
            timeout=30,
        )
        assert users.status_code == 200, users.text
        groups = requests.get(
            f"{base}/api/account/{DEMO_ACCOUNT}/configuration/le-users/agentGroups",
            auth=oauth(creds),
            timeout=30,
        )
        assert groups.status_code == 200, groups.text
        teams = {group["id"]: group["name"] for group in groups.json()}
        assert sorted(teams.values()) == ["Main Group", "Sales", "Support", "Tier 2"]
        people = users.json()
        assert [int(user["id"]) for user in people] == list(range(1001, 1001 + AGENTS))
        for user in people:
            assert user["fullName"] and user["nickname"], user
            assert user["employeeId"] == f"EMP-{int(user['id']):05d}", user
            assert teams[user["memberOf"]["agentGroupId"]] != "Main Group", user

        # The dashboard link it prints reads the demo account (and only that, only read).
        printed = re.search(r"Dashboard \(read-only link, valid 24 h\): (\S+)", demo.output())
        assert printed is not None, demo.output()
        assert printed[1].startswith(f"{base}/dashboard#token=dt1.{DEMO_ACCOUNT}.")
        token = printed[1].split("#token=", 1)[1]
        listing = requests.get(
            f"{base}/api/account/{DEMO_ACCOUNT}/agents/state",
            params={"agentIds": "all"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert listing.status_code == 200, listing.text
        assert len(listing.json()["agents"]) >= AGENTS // 2
        assert requests.get(f"{base}/dashboard", timeout=30).status_code == 200

        # The README's next step works at once with the written file.
        result = run_cli(
            "query", "--credentials", str(creds_path), "--timeframe", "60", cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        assert "Whole window" in result.stdout
        assert re.search(r"^\s*Agent\s+Name\s", result.stdout, re.MULTILINE), result.stdout

        # Live: the simulation's next event after the demo became ready is stored once
        # its time comes (its id does not depend on when the demo started).
        assert stored(db)[0] > 0
        due = next_event_after(AGENTS, DEMO_SEED, ready_at)
        wait_s = max(0, due["time"] - now_ms()) / 1000 + LIVE_TIMEOUT_S
        deadline = time.monotonic() + wait_s
        while True:
            count, found = stored(db, due["eventId"])
            if found:
                break
            assert demo.running(), demo.output()
            assert time.monotonic() < deadline, (
                f"{due} not stored within {wait_s:.0f} s ({count} events stored)\n{demo.output()}"
            )
            time.sleep(0.5)
        # ...and are visible to queries at once: the latest agent states reach "now".
        recent = requests.get(
            activity_url(base, DEMO_ACCOUNT),
            params={"timeframe": 5, "agentIds": "all", "v": 2},
            auth=oauth(creds),
            timeout=30,
        )
        assert recent.status_code == 200, recent.text
        assert recent.json()["meta"] == {"responseCode": 200}
        assert recent.json()["body"]["agentsMetrics"]["metricsPerAgent"]
    finally:
        assert demo.stop(), "the demo did not stop on SIGTERM"
