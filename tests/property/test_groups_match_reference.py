"""People and teams in the Agent Activity answer (SPEC 8): `agentGroupIds` and
`groupTotals` against the brute-force reference (reference.py), on the generated event
streams of test_engine_matches_reference and generated directories: random trees and
deep chains of groups, empty groups, users without events, agents with events and no
directory entry, users in the root itself.

The engine side goes the way the service does: the directory snapshot narrows the
query's agents (`DirectorySnapshot.select`), then the engine answers with that snapshot
for the rollups.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from agentactivity.directory import AgentGroup, DirectorySnapshot, UnknownGroups, User
from agentactivity.engine import Engine
from agentactivity.query import ActivityQuery
from tests.property import reference
from tests.property.test_engine_matches_reference import SETTINGS, Scenario, scenarios

ACCOUNT = "acct"
ROOT = reference.ROOT
# Ids whose string order differs from their numeric order.
GROUP_IDS = ["1", "2", "9", "10", "11", "100", "123456789012"]


@dataclass
class Teams:
    """One generated directory, as the engine reads it and as the reference does."""

    snapshot: DirectorySnapshot
    reference: reference.Directory

    def describe(self) -> str:
        return f"parents={self.reference.parents} agents={self.reference.groups_of_agents}"


@st.composite
def directories(draw: st.DrawFn, agent_ids: list[int]) -> Teams:
    count = draw(st.integers(0, len(GROUP_IDS)))
    ids = draw(st.permutations(GROUP_IDS))[:count]
    deep_chain = draw(st.booleans())
    parents: dict[str, str | None] = {ROOT: None}
    for i, group in enumerate(ids):
        # A chain: each group under the one before; else a random tree.
        parent = (ids[i - 1] if i else ROOT) if deep_chain else draw(st.sampled_from(list(parents)))
        parents[group] = parent
    # Some agents with events have no entry; users without events; some in the root.
    placed = st.one_of(st.none(), st.sampled_from(list(parents)))
    members: dict[int, str] = {}
    for agent in sorted(set(agent_ids)) + draw(st.lists(st.integers(1, 50), max_size=3)):
        group = draw(placed)
        if group is not None:
            members[agent] = group
    deleted_user = draw(st.booleans())  # a deleted user counts as no entry at all
    users = [User(agent, f"login{agent}", group_id=group) for agent, group in members.items()]
    if deleted_user and ids:
        users.append(User(10**6, "gone", group_id=ids[0], deleted=True))
    groups = [AgentGroup(g, f"name{g}", parent) for g, parent in parents.items() if g != ROOT]
    # A deleted group is not a group: asking for it is refused, nobody counts in it.
    groups.append(AgentGroup("777", "deleted", ROOT, deleted=True))
    return Teams(DirectorySnapshot.of(users, groups), reference.Directory(parents, members))


@st.composite
def team_scenarios(draw: st.DrawFn) -> tuple[Scenario, Teams]:
    sc = draw(scenarios())
    teams = draw(directories([ev.agent_id for _, ev in sc.pairs]))
    known = sorted(teams.reference.parents, key=int)
    asked = draw(st.one_of(st.none(), st.lists(st.sampled_from(known), min_size=1, max_size=3)))
    query = dataclasses.replace(
        sc.query,
        agent_group_ids=None if asked is None else tuple(dict.fromkeys(asked)),
        group_totals=draw(st.booleans()),
    )
    return dataclasses.replace(sc, query=query), teams


def served(sc: Scenario, teams: Teams, query: ActivityQuery | None = None) -> dict:
    """The engine's answer, the query narrowed as the service narrows it."""
    query = query or sc.query
    engine = Engine()
    engine.apply(ACCOUNT, sc.pairs)
    selected = teams.snapshot.select(query.agent_ids, query.agent_group_ids)
    narrowed = dataclasses.replace(query, agent_ids=selected)
    return engine.agent_activity(ACCOUNT, narrowed, sc.now, teams.snapshot)


@settings(SETTINGS, max_examples=500)
@given(team_scenarios())
def test_groups_match_reference(case: tuple[Scenario, Teams]) -> None:
    """(b) and the whole answer: metricsPerGroup is each group's sum of its members'
    ms figures (descendants' members included), floored once, beside metricsPerAgent."""
    sc, teams = case
    note(sc.describe())
    note(teams.describe())
    got = served(sc, teams)
    expected = reference.agent_activity(sc.pairs, sc.query, sc.now, directory=teams.reference)
    reference.assert_same_payload(got, expected)


@settings(SETTINGS, max_examples=300)
@given(team_scenarios())
def test_group_filter_equals_the_explicit_agent_list(case: tuple[Scenario, Teams]) -> None:
    """(a) agentGroupIds gives every figure of the same query with the equivalent
    explicit agentIds list (the agents the reference says are in those groups)."""
    sc, teams = case
    if sc.query.agent_group_ids is None:
        return
    note(sc.describe())
    note(teams.describe())
    universe = (
        {ev.agent_id for _, ev in sc.pairs} if sc.query.agent_ids is None else sc.query.agent_ids
    )
    asked = sc.query.agent_group_ids
    equivalent = tuple(sorted(a for a in universe if teams.reference.selects(a, asked)))
    explicit = dataclasses.replace(sc.query, agent_ids=equivalent, agent_group_ids=None)
    by_groups = served(sc, teams)
    reference.assert_same_payload(by_groups, served(sc, teams, explicit))
    expected = reference.agent_activity(sc.pairs, explicit, sc.now, directory=teams.reference)
    reference.assert_same_payload(by_groups, expected)


@settings(SETTINGS, max_examples=50)
@given(team_scenarios(), st.sampled_from(["777", "0", "5", "-2", "01"]))
def test_unknown_or_deleted_groups_are_refused(case: tuple[Scenario, Teams], unknown: str) -> None:
    sc, teams = case
    asked = (*(sc.query.agent_group_ids or ()), unknown)
    with pytest.raises(UnknownGroups) as refused:
        teams.snapshot.select(sc.query.agent_ids, asked)
    assert refused.value.group_ids == (unknown,)
    assert "agentGroupIds" in str(refused.value)
