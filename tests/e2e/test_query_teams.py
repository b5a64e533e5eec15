"""`agentactivity query` with a directory, against a real server: each agent's name
beside its id (read from the users listing), `--groups` narrowing to a team and its
sub-teams with a table of each group's sums (the API's `metricsPerGroup`), names cut
before ids or durations on an 80-column terminal, and a bad group id as a usage error.

The directory is written by `agents import` into the server's database while it runs:
the server sees it at the next query."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e import timeline as tl
from tests.e2e.conftest import (
    Server,
    cli_env,
    create_keys,
    now_ms,
    oauth,
    run_cli,
    write_credentials,
)

pytestmark = pytest.mark.e2e

ACCOUNT = "24681357"  # the timeline's agents, with a directory of their own
PEOPLE = (
    "id,loginName,fullName,nickname,agentGroupId\n"
    f"{tl.A},ann,Ann Lee,Ann,Sales/Tier 2\n"
    f"{tl.B},bo,Bo Chen,,Support\n"
    f"{tl.E},max,Maximilian Alexander Featherstonehaugh-Worthington,,Sales\n"
)  # tl.D has events but no user: no name, in the root only


@pytest.fixture(scope="module")
def world(server: Server) -> tuple[Path, dict[str, Any], dict[str, str], int]:
    """(credentials file, keys, group ids by name, `to` of the queries)."""
    keys = create_keys(server.db_url, ACCOUNT, cwd=server.workdir)
    timeline = tl.build(now_ms() - 1000)
    tl.ingest(server.base_url, ACCOUNT, oauth(keys), timeline.events)
    people = server.workdir / "people.csv"
    people.write_text(PEOPLE)
    imported = run_cli(
        "agents", "import", "--account", ACCOUNT, "--db", server.db_url, str(people),
        cwd=server.workdir,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    groups = requests.get(
        f"{server.base_url}/api/account/{ACCOUNT}/configuration/le-users/agentGroups",
        auth=oauth(keys),
        timeout=10,
    )
    assert groups.status_code == 200, groups.text
    ids = {group["name"]: group["id"] for group in groups.json()}
    creds = write_credentials(keys, server.base_url, server.workdir / "teams.json")
    return creds, keys, ids, now_ms()


def query(
    world: tuple[Path, dict[str, Any], dict[str, str], int], *args: str, columns: int = 80
) -> str:
    creds, _, _, to = world
    result = run_cli(
        "query", "--credentials", str(creds), "--timeframe", "60", "--to", str(to), *args,
        cwd=creds.parent, env=cli_env(COLUMNS=str(columns)),
    )  # fmt: skip
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def row(table: str, first: str) -> str:
    rows = [line for line in table.splitlines() if re.match(rf"^\s*{re.escape(first)}\s", line)]
    assert rows, f"no row {first!r} in:\n{table}"
    return rows[0]


def api_answer(server: Server, world: Any, **params: str) -> dict[str, Any]:
    _, keys, _, to = world
    answer = requests.get(
        f"{server.base_url}/operations/api/account/{ACCOUNT}/agentactivity",
        params={"timeframe": "60", "to": str(to), "agentIds": "all", "v": "1", **params},
        auth=oauth(keys),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_each_agent_has_its_name_beside_its_id(server: Server, world: Any) -> None:
    table = query(world, "--agents", f"{tl.D},{tl.A},{tl.B}")
    assert re.search(r"^\s*Agent\s+Name\s", table, re.MULTILINE), table
    assert "Ann" in row(table, tl.A) and "Bo Chen" in row(table, tl.B)
    assert re.match(rf"^\s*{tl.D}\s+\d+:\d\d:\d\d", row(table, tl.D))  # no user: no name
    assert re.search(rf"^\s*{tl.A}\s+Ann\s+2642559712\s", table, re.MULTILINE)  # Away reasons
    # Names are the column that gives way: at 80 columns the 19-digit id and every
    # duration stay whole, however long the name; wider, the name shows, cut to fit.
    expected = api_answer(server, world)["agentsMetrics"]["metricsPerAgent"][tl.E]
    for columns in (80, 100):
        longest = row(query(world, columns=columns), tl.E)
        for entry in expected:
            assert tl.duration(entry["value"]["total"]) in longest, (entry, longest)
    assert "Maximilian" in longest and "…" in longest and "Worthington" not in longest


def test_groups_narrow_to_a_team_and_show_each_groups_sums(server: Server, world: Any) -> None:
    ids = world[2]
    table = query(world, "--groups", ids["Sales"])
    agents = table.split("Whole window: teams")[0]
    assert tl.A in agents and tl.E in agents  # Sales/Tier 2's member, Sales' own
    assert not re.search(rf"^\s*({tl.B}|{tl.D})\s", agents, re.MULTILINE)
    answer = api_answer(server, world, agentGroupIds=ids["Sales"], groupTotals="true")
    per_group = answer["agentsMetrics"]["metricsPerGroup"]
    assert list(per_group) == ["-1", ids["Sales"], ids["Tier 2"]]
    teams = table.split("Whole window: teams")[1]
    for group, name in (
        ("-1", "Main Group"),
        (ids["Sales"], "Sales"),
        (ids["Tier 2"], "Sales/Tier 2"),
    ):
        line = row(teams, group)
        assert name in line
        for entry in per_group[group]:  # Online, Back soon, Away, Logged in
            assert tl.duration(entry["value"]["total"]) in line, (group, line)
    # --json is the API's answer, group sums included; a name path names the same group.
    printed = json.loads(query(world, "--groups", ids["Sales"], "--json"))
    assert printed["agentsMetrics"]["metricsPerGroup"] == per_group
    assert json.loads(query(world, "--groups", " sales ", "--json")) == printed
    tier_2 = json.loads(query(world, "--groups", f"{ids['Support']},Sales/Tier 2", "--json"))
    assert list(tier_2["agentsMetrics"]["metricsPerAgent"]) == [tl.A, tl.B]


@pytest.mark.parametrize(
    ("groups", "says"),
    [
        ("999", "agentGroupIds: no agent group '999'"),  # the service's refusal
        ("1,,2", "agentGroupIds"),
        ("Sales/Tier 9", "--groups: no agent group 'Sales/Tier 9'"),
    ],
)
def test_an_unknown_group_is_a_usage_error(world: Any, groups: str, says: str) -> None:
    creds = world[0]
    result = run_cli(
        "query", "--credentials", str(creds), "--timeframe", "60", "--groups", groups,
        cwd=creds.parent,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and result.stdout == ""
