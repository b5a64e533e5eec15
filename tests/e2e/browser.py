"""Helpers of the dashboard's browser tests: where Chromium is, a server with simulated
agents, and a page whose every console error, failed request and error answer is kept."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import requests

from agentactivity.cli.demo_people import create_people
from agentactivity.store import open_store
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
FIRST_AGENT = 1001  # the simulator's first agent id
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
    """A server with simulated agents, their people and OAuth keys, as the demo has them.

    The agents are the pinned window of tests/simulated.py moved to end now, so the
    same agents are on shift in the same states whenever the test runs (`expected`).
    Their people are the demo's (a name, an EMP- employee id, one of the teams Sales,
    Sales/Tier 2 and Support), written before the server answers anything."""

    def __init__(self, workdir: Path) -> None:
        self.server = Server(sqlite_url(workdir / "dashboard.db"), workdir)
        self.keys = create_keys(self.server.db_url, ACCOUNT, "read", "ingest", cwd=workdir)
        store = open_store(self.server.db_url)
        try:
            create_people(store, ACCOUNT, AGENTS, FIRST_AGENT)
        finally:
            store.close()
        events = pinned_events(AGENTS, SEED, HOURS, now_ms())
        for i in range(0, len(events), 1000):
            self.ingest(events[i : i + 1000])
        self.expected: dict[str, AgentState] = final_states(events)
        self.workdir = workdir

    def link(self, account: str = ACCOUNT, ttl: str = "1h", group: str | None = None) -> str:
        """A dashboard link; with `group`, a team link (it reads only that team)."""
        team = ("--group", group) if group else ()
        result = run_cli(
            *("dashboard-link", "--account", account, "--ttl", ttl, "--json", *team),
            *("--db", self.server.db_url, "--base-url", self.server.base_url),
            cwd=self.workdir,
        )
        assert result.returncode == 0, result.stderr
        return str(json.loads(result.stdout)["url"])

    def get(self, path: str, **params: Any) -> Any:
        """The JSON of a GET with the OAuth keys (path after /api/account/ID)."""
        answer = requests.get(
            f"{self.server.base_url}/api/account/{ACCOUNT}/{path}",
            params=params,
            auth=oauth(self.keys),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def states(self, group: str | None = None) -> dict[str, Any]:
        """The state listing, of the whole account or of a team (`agentGroupIds`)."""
        narrowed = {"agentGroupIds": group} if group else {}
        return dict(self.get("agents/state", agentIds="all", **narrowed)["agents"])

    def groups(self) -> list[dict[str, Any]]:
        return list(self.get("configuration/le-users/agentGroups"))

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
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def _request_failed(self, request: Any) -> None:
        if request.failure != "net::ERR_ABORTED":  # the stream, cut when the page closes
            self.problems.append(f"request failed: {request.url[:90]} {request.failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url[:90]}")

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


# --- people and teams --------------------------------------------------------------------

COUNT_KEYS = ("ONLINE", "BACK_SOON", "AWAY", "OFFLINE", "CHATTING", "AT_MAX")


def team_counts(agents: dict[str, Any]) -> dict[str, int]:
    """The header's counts worked out from a state listing: agents per state, those with
    an open chat, those at their limit."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for agent in agents.values():
        counts[agent["state"]] += 1
        counts["CHATTING"] += agent["activeChats"] > 0
        counts["AT_MAX"] += agent["atMaxConcurrency"]
    return counts


def shown_counts(page: Any) -> dict[str, int]:
    counts: dict[str, str] = page.eval_on_selector_all(
        "#summary [data-count]",
        """spans => Object.fromEntries(
               spans.map(s => [s.dataset.count, s.querySelector('b').textContent]))""",
    )
    return {key: int(value) for key, value in counts.items()}


def shown_people(page: Any) -> dict[str, dict[str, str]]:
    """Each tile's agent: its label, the label's hover text and the small id."""
    people: dict[str, dict[str, str]] = page.eval_on_selector_all(
        ".tile",
        """tiles => Object.fromEntries(tiles.map(t => [t.dataset.agent, {
               label: t.querySelector('.agent').textContent,
               title: t.querySelector('.agent').title,
               id: t.querySelector('.id').textContent}]))""",
    )
    return people


def chart_labels(page: Any) -> dict[str, str]:
    """Today's bars: agent id -> the label drawn (its text, without the hover title)."""
    labels: dict[str, str] = page.eval_on_selector_all(
        "#today svg text.label",
        """labels => Object.fromEntries(
               labels.map(l => [l.dataset.agent, l.firstChild.textContent]))""",
    )
    return labels


def picker_options(page: Any) -> list[tuple[str, str]]:
    options: list[list[str]] = page.eval_on_selector_all(
        "#team option", "options => options.map(o => [o.value, o.textContent])"
    )
    return [(value, label) for value, label in options]


def wait_for_agents(page: Any, agents: set[str]) -> None:
    """Until the page is live and shows exactly these agents' tiles, and both charts
    have been drawn for them (a team's page is rebuilt from nothing)."""
    page.wait_for_function(
        """ids => document.getElementById('connection').dataset.status === 'live'
              && JSON.stringify([...document.querySelectorAll('.tile')]
                                  .map(t => t.dataset.agent).sort()) === JSON.stringify(ids)
              && ['today', 'timeline'].every(id => !document.getElementById(id)
                                                        .textContent.startsWith('Loading'))""",
        arg=sorted(agents),
        timeout=LOAD_TIMEOUT_MS,
    )


def group_paths(groups: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(id, name path) of every group below the root, a parent before its subgroups and
    siblings by name: the order and names the picker should show."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for group in groups:
        children.setdefault(group["parentGroupId"], []).append(group)
    listed = {group["id"] for group in groups}
    tops = [g for g in groups if g["parentGroupId"] not in listed]
    paths: list[tuple[str, str]] = []

    def walk(group: dict[str, Any], parent: str) -> None:
        path = parent  # the root is the whole account: no part of a path
        if group["id"] != "-1":
            path = f"{parent} / {group['name']}" if parent else group["name"]
            paths.append((group["id"], path))
        for child in sorted(children.get(group["id"], []), key=lambda g: g["name"]):
            walk(child, path)

    for top in sorted(tops, key=lambda g: g["name"]):
        walk(top, "")
    return paths
