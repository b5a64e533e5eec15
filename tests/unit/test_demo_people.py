"""The demo's people (cli/demo_people.py): every simulated agent has a name of its own,
a nickname, an employee id and one of the teams Sales, Sales/Tier 2 and Support, the
same at every start; written through the import's own plan, into an empty account."""

from __future__ import annotations

from pathlib import Path

from agentactivity.cli.demo_people import create_people, demo_user
from agentactivity.configuration import text_key
from agentactivity.directory import DirectorySnapshot, User
from agentactivity.directory_csv import group_path
from agentactivity.store import open_store

MOST_AGENTS = 10_000  # `agentactivity demo --agents` at most


def test_the_first_agents() -> None:
    assert [demo_user(i, 1001 + i) for i in range(3)] == [
        (User(1001, "amara.okafor@example.com", "Amara Okafor", "Amara", "EMP-01001"), "Sales"),
        (
            User(1002, "lukas.kowalski@example.com", "Lukas Kowalski", "Luke", "EMP-01002"),
            "Support",
        ),
        (
            User(1003, "sofia.johansson@example.com", "Sofía Johansson", "Sofi", "EMP-01003"),
            "Sales/Tier 2",
        ),
    ]


def test_names_and_logins_are_each_agents_own() -> None:
    users = [demo_user(i, 1001 + i)[0] for i in range(MOST_AGENTS)]
    assert len({text_key(user.login_name) for user in users}) == MOST_AGENTS
    assert len({user.full_name for user in users[:1600]}) == 1600
    assert len({user.employee_id for user in users}) == MOST_AGENTS
    assert all(user.nickname for user in users)


def test_created_in_an_empty_account_every_agent_in_a_team(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        done = create_people(store, "12345678", 40, 1001)
        assert (done.created, done.groups_created) == (40, 3)
        _, users = store.directory.users.listing("12345678")
        _, groups = store.directory.groups.listing("12345678")
    finally:
        store.close()
    directory = DirectorySnapshot.of(users, groups)
    teams = {user.id: group_path(directory, user.group_id) for user in users}
    assert sorted(set(teams.values())) == ["Sales", "Sales/Tier 2", "Support"]
    assert list(teams) == list(range(1001, 1041))
    assert teams[1003] == "Sales/Tier 2"
    # Sales counts its Tier 2 sub-team's members too.
    sales = next(group.id for group in groups if group.name == "Sales")
    members = directory.members([sales])
    assert members is not None and len(members) == 24
