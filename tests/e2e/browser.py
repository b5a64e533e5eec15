"""Helpers of the dashboard's browser tests: where Chromium is, a server with simulated
agents, and a page whose every console error, failed request and error answer is kept."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import (
    ACCOUNT,
    Server,
    create_keys,
    events_url,
    now_ms,
    oauth,
    run_cli,
    sqlite_url,
)
from tests.simulated import AgentState, final_states, pinned_events

CHROMIUM = os.environ.get("AGENTACTIVITY_TEST_CHROMIUM", "/usr/bin/chromium")
AGENTS = 16
SEED = 1
HOURS = 6
LIVE_BOUND_MS = 2000  # the bound: an ingested change is on screen within 2 s
LOAD_TIMEOUT_MS = 15_000
# Functions, not expressions: Playwright would eval() an expression, which the page's
# Content-Security-Policy forbids.
LIVE = "() => document.getElementById('connection').dataset.status === 'live'"
STATE_BY_ID = {2: "ONLINE", 3: "BACK_SOON", 4: "AWAY"}


def chromium_problem() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"no browser at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not installed ({exc})"
    return None


class Demo:
    """A server with simulated agents and OAuth keys, as the demo has them.

    The agents are the pinned window of tests/simulated.py moved to end now, so the
    same agents are on shift in the same states whenever the test runs (`expected`)."""

    def __init__(self, workdir: Path) -> None:
        self.server = Server(sqlite_url(workdir / "dashboard.db"), workdir)
        self.keys = create_keys(self.server.db_url, ACCOUNT, "read", "ingest", cwd=workdir)
        events = pinned_events(AGENTS, SEED, HOURS, now_ms())
        for i in range(0, len(events), 1000):
            self.ingest(events[i : i + 1000])
        self.expected: dict[str, AgentState] = final_states(events)
        self.workdir = workdir

    def link(self, account: str = ACCOUNT, ttl: str = "1h") -> str:
        result = run_cli(
            *("dashboard-link", "--account", account, "--ttl", ttl, "--json"),
            *("--db", self.server.db_url, "--base-url", self.server.base_url),
            cwd=self.workdir,
        )
        assert result.returncode == 0, result.stderr
        return str(json.loads(result.stdout)["url"])

    def states(self) -> dict[str, Any]:
        answer = requests.get(
            f"{self.server.base_url}/api/account/{ACCOUNT}/agents/state",
            params={"agentIds": "all"},
            auth=oauth(self.keys),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["agents"])

    def ingest(self, events: list[dict[str, Any]]) -> None:
        answer = requests.post(
            events_url(self.server.base_url, ACCOUNT),
            json=events,
            auth=oauth(self.keys),
            timeout=10,
        )
        assert answer.status_code == 200 and answer.json()["accepted"] == len(events), answer.text


class Watched:
    """A page with every console error, page error, failed request and error answer."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1600, "height": 1000})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on(
            "requestfailed",
            lambda r: (
                r.failure != "net::ERR_ABORTED"  # the stream, cut when the page closes
                and self.problems.append(f"request failed: {r.url[:90]} {r.failure}")
            ),
        )
        self.page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url[:90]}"),
        )

    def close(self) -> None:
        self.context.close()


def tile_state(page: Any, agent: str) -> dict[str, str]:
    result: dict[str, str] = page.eval_on_selector(
        f'[data-agent="{agent}"]',
        """tile => ({state: tile.dataset.state, label: tile.querySelector('.state').textContent,
                     reason: tile.querySelector('.reason').textContent,
                     chats: tile.querySelector('.chats').textContent,
                     atMax: String(tile.classList.contains('at-max')),
                     group: tile.parentElement.id})""",
    )
    return result


def shows_no_data(page: Any, url: str, *messages: str) -> None:
    page.goto(url)
    page.wait_for_selector("#error", state="visible", timeout=LOAD_TIMEOUT_MS)
    for message in messages:
        assert message in page.inner_text("#error")
    assert page.locator(".tile").count() == 0
    assert page.locator("svg rect").count() == 0
    assert page.get_attribute("#connection", "data-status") == "failed"
