"""People and teams on the dashboard (SPEC section 8), in a real headless Chromium against a
real server holding the demo's people: names on the tiles (the id in the hover text and
in small print) and on today's bars; the team picker lists the account's groups by name
path; a team picked shows exactly the API's members (GET /agents/state?agentGroupIds=),
its header counts equal what the API's listing gives, and every request of its data
carries agentGroupIds; a change of a member is counted live and an outsider's is not
shown; the team survives a reload (it is in the fragment); a group the link cannot show
falls back to all agents with a notice. A team link (`dashboard-link --group`) shows
only its team's groups and members, and its token is refused (403) anything outside
the team: by agentIds, by agentGroupIds, on the stream. No console error, no failed
request.

The simulated agents are tests/simulated.py's pinned ones, so the teams are the same at
any date and hour: ten agents with events, all in Sales (three of them in its Tier 2),
none in Support (an empty team), and one more agent with events and no directory entry.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.browser import (
    LOAD_TIMEOUT_MS,
    Demo,
    Watched,
    chart_labels,
    group_paths,
    picker_options,
    shown_counts,
    shown_people,
    team_counts,
    wait_for_agents,
)
from tests.e2e.conftest import ACCOUNT, now_ms

pytestmark = pytest.mark.e2e

UNNAMED = "2001"  # events, no directory entry: named by its id, in the root group only


@pytest.fixture(scope="module")
def world(demo: Demo) -> Demo:
    demo.ingest(
        [
            {
                "type": "state",
                "agentId": UNNAMED,
                "time": now_ms() - 60_000,
                "state": "ONLINE",
                "eventId": "teams-unnamed-online",
            }
        ]
    )
    return demo


def short(label: str) -> str:
    """A label as today's chart draws it: cut to 18 characters."""
    return label if len(label) <= 18 else label[:17] + "…"


def test_tiles_and_bars_name_people_with_their_ids_at_hand(browser: Any, world: Demo) -> None:
    watched = Watched(browser)
    page = watched.page
    try:
        page.goto(world.link())
        agents = world.states()
        wait_for_agents(page, set(agents))
        people = shown_people(page)
        assert set(people) == set(agents)
        for agent, listed in agents.items():
            shown = people[agent]
            assert shown["label"] == (listed["agentName"] or agent), (agent, shown, listed)
            assert shown["title"].startswith(f"Agent {agent}"), (agent, shown)
            if listed["employeeId"]:
                assert f"employee {listed['employeeId']}" in shown["title"], (agent, shown)
            # The id in small print under a name (the browser's find finds it); an agent
            # shown by its id does not repeat it.
            assert shown["id"] == (agent if listed["agentName"] else ""), (agent, shown)
        assert people[UNNAMED] == {"label": UNNAMED, "title": f"Agent {UNNAMED}", "id": ""}
        named = [a for a, listed in agents.items() if listed["agentName"]]
        assert len(named) == len(agents) - 1, agents  # every simulated agent is a person

        # Today's bars: the same names. Logged-in agents have time in any window, however
        # soon after midnight the test runs, so they are always drawn.
        page.wait_for_selector("#today svg text.label", timeout=LOAD_TIMEOUT_MS)
        labels = chart_labels(page)
        logged_in = {a for a, listed in agents.items() if listed["state"] != "OFFLINE"}
        assert logged_in <= set(labels), (logged_in, labels)
        for agent, label in labels.items():
            assert label == short(agents[agent]["agentName"] or agent), (agent, label)
        assert labels[UNNAMED] == UNNAMED
        assert watched.problems == []
    finally:
        watched.close()


def team_requests(urls: list[str]) -> list[str]:
    """The requests of a team's data: its state, its stream and its two charts."""
    return [url for url in urls if "/agents/state" in url or "/agentactivity" in url]


def test_the_team_picker_shows_each_team_as_the_server_counts_it(browser: Any, world: Demo) -> None:
    watched = Watched(browser)
    page = watched.page
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    try:
        link = world.link()
        page.goto(link)
        wait_for_agents(page, set(world.states()))
        teams = group_paths(world.groups())
        assert {path for _, path in teams} == {"Sales", "Sales / Tier 2", "Support"}, teams
        assert picker_options(page) == [("", "All agents"), *teams]
        assert not page.is_visible("#notice")

        sizes = {}
        for group, path in teams:
            asked_from = len(urls)
            page.select_option("#team", group)
            members = world.states(group)
            sizes[path] = len(members)
            wait_for_agents(page, set(members))
            assert set(shown_people(page)) == set(members), path
            assert shown_counts(page) == team_counts(members), path
            assert page.url.endswith(f"#token={link.split('#token=')[1]}&group={group}")
            assert set(chart_labels(page)) <= set(members), path
            # The figures are the server's for the team: every data request since the
            # pick names the group (the listing, the stream and both charts).
            asked = team_requests(urls[asked_from:])
            assert len(asked) >= 4 and all(f"agentGroupIds={group}" in url for url in asked), (
                path,
                asked,
            )
        assert sizes["Sales"] > sizes["Sales / Tier 2"] > 0 and sizes["Support"] == 0, sizes
        assert page.inner_text("#wallboard") == "No agent is logged in."  # Support's

        # A wallboard reloaded keeps its team: it is in the fragment.
        sales = next(group for group, path in teams if path == "Sales")
        page.select_option("#team", sales)
        wait_for_agents(page, set(world.states(sales)))
        page.reload()
        wait_for_agents(page, set(world.states(sales)))
        assert page.input_value("#team") == sales

        # "All agents": the whole account again, the agent without a team included.
        page.select_option("#team", "")
        everyone = world.states()
        wait_for_agents(page, set(everyone))
        assert UNNAMED in everyone and "group=" not in page.url
        assert shown_counts(page) == team_counts(everyone)

        # A group the link cannot show (here: none such) falls back to all, saying so.
        page.goto("about:blank")
        page.goto(link + "&group=999")
        wait_for_agents(page, set(world.states()))
        assert "Team 999 is not one this link can show" in page.inner_text("#notice")
        assert page.input_value("#team") == "" and "group=" not in page.url
        assert watched.problems == []
    finally:
        watched.close()


def test_a_team_counts_its_members_changes_live_and_shows_no_one_else(
    browser: Any, world: Demo
) -> None:
    teams = group_paths(world.groups())
    # The team with the most members, opened straight from a link with its &group=.
    group, path = max(teams, key=lambda team: len(world.states(team[0])))
    members = world.states(group)
    watched = Watched(browser)
    page = watched.page
    try:
        page.goto(world.link() + f"&group={group}")
        wait_for_agents(page, set(members))
        assert page.input_value("#team") == group
        before = shown_counts(page)
        assert before == team_counts(members)

        member = min(members, key=int)
        new_state = "ONLINE" if members[member]["state"] == "AWAY" else "AWAY"
        stamp = now_ms()
        # The outsider's change first: had the stream not been narrowed to the team, it
        # would reach the page before the member's.
        for agent, state in ((UNNAMED, "BACK_SOON"), (member, new_state)):
            world.ingest(
                [
                    {
                        "type": "state",
                        "agentId": agent,
                        "time": stamp,
                        "state": state,
                        "eventId": f"teams-live-{agent}-{stamp}",
                    }
                ]
            )
        page.wait_for_function(
            f"""() => {{ const t = document.querySelector('[data-agent="{member}"]');
                return t && t.dataset.state === '{new_state}'; }}""",
            timeout=LOAD_TIMEOUT_MS,
        )
        assert page.locator(f'[data-agent="{UNNAMED}"]').count() == 0
        after = world.states(group)
        assert set(after) == set(members)
        assert shown_counts(page) == team_counts(after) != before, (path, before)
        assert world.states()[UNNAMED]["state"] == "BACK_SOON"  # it did change
        assert watched.problems == []
    finally:
        watched.close()


def as_link(world: Demo, token: str, path: str, **params: str) -> requests.Response:
    """A GET with the link's token, as the page sends it (the stream's: as a parameter)."""
    url = f"{world.server.base_url}{path}"
    if path.endswith("/stream"):
        return requests.get(url, params={**params, "access_token": token}, timeout=10, stream=True)
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(url, params=params, headers=headers, timeout=10)


def test_a_team_link_shows_only_its_team_and_reads_nothing_else(browser: Any, world: Demo) -> None:
    groups = {path: group for group, path in group_paths(world.groups())}
    sales, tier_2, support = groups["Sales"], groups["Sales / Tier 2"], groups["Support"]
    team = world.states(sales)
    url = world.link(group=sales)
    token = url.split("#token=", 1)[1]
    base = f"/api/account/{ACCOUNT}"

    # What the token reads: its team (agentIds=all means the team), its team's groups.
    answer = as_link(world, token, f"{base}/agents/state", agentIds="all")
    assert answer.status_code == 200 and set(answer.json()["agents"]) == set(team), answer.text
    answer = as_link(world, token, f"{base}/configuration/le-users/agentGroups")
    assert answer.status_code == 200, answer.text
    assert group_paths(answer.json()) == [(sales, "Sales"), (tier_2, "Sales / Tier 2")]
    # Anything outside it is a 403: another team's person (1002 is in Support), the
    # agent with no team, either beside a member, another team, the whole account.
    member = min(team, key=int)
    activity = f"/operations{base}/agentactivity"
    for path in (f"{base}/agents/state", activity, f"{base}/agents/state/stream"):
        for asked in (
            {"agentIds": "1002"},
            {"agentIds": f"{member},{UNNAMED}"},
            {"agentIds": "all", "agentGroupIds": support},
            {"agentIds": "all", "agentGroupIds": f"{tier_2},-1"},
        ):
            params = {**asked, "timeframe": "60", "v": "1"} if path == activity else asked
            answer = as_link(world, token, path, **params)
            assert answer.status_code == 403, (path, asked, answer.text)
            answer.close()

    watched = Watched(browser)
    page = watched.page
    try:
        page.goto(url)
        wait_for_agents(page, set(team))
        # Only the team's groups, the team first and shown: no "All agents".
        assert picker_options(page) == [(sales, "Sales"), (tier_2, "Sales / Tier 2")]
        assert page.input_value("#team") == sales and page.url.endswith(f"&group={sales}")
        assert shown_counts(page) == team_counts(team)
        page.select_option("#team", tier_2)
        wait_for_agents(page, set(world.states(tier_2)))

        # Another team's group in the fragment is not even asked for: the team is shown.
        page.goto("about:blank")
        page.goto(f"{url}&group={support}")
        wait_for_agents(page, set(team))
        assert f"Team {support} is not one this link can show" in page.inner_text("#notice")
        assert page.input_value("#team") == sales
        assert watched.problems == []  # no refused request, no console error
    finally:
        watched.close()
