"""The demo's people (`agentactivity demo`): a name, a nickname, an employee id and a
team for every simulated agent, so that the dashboard, the state listing and `query`
show people rather than numbers. The directory only names agents: the simulation, and
so every figure, is the same with it or without it.

Deterministic from the agent's place alone (no random draws: the simulator's own
random streams stay untouched): agent 1001 is always Amara Okafor of Sales.
"""

from __future__ import annotations

import unicodedata

from agentactivity.directory import User
from agentactivity.directory_csv import COLUMNS, UserRow
from agentactivity.directory_plan import plan_import
from agentactivity.service.directory_import import ImportResult, apply_plan, read_directory
from agentactivity.store import Store

# (first name, what colleagues call them): 40 of each list, so that every agent of a
# demo of up to 1,600 agents has a name of their own.
FIRST = (
    ("Amara", "Amara"),
    ("Lukas", "Luke"),
    ("Sofía", "Sofi"),
    ("Kenji", "Kenji"),
    ("Priya", "Priya"),
    ("Mateo", "Mateo"),
    ("Chloé", "Chloé"),
    ("Tomasz", "Tom"),
    ("Aisha", "Aisha"),
    ("Oliver", "Ollie"),
    ("Mei", "Mei"),
    ("Jonas", "Jonas"),
    ("Fatima", "Fati"),
    ("Diego", "Diego"),
    ("Ingrid", "Ingrid"),
    ("Samuel", "Sam"),
    ("Yuki", "Yuki"),
    ("Elena", "Lena"),
    ("Kwame", "Kwame"),
    ("Hannah", "Hannah"),
    ("Ravi", "Ravi"),
    ("Zoë", "Zoë"),
    ("Andrés", "Andy"),
    ("Leila", "Leila"),
    ("Nikolai", "Niko"),
    ("Grace", "Grace"),
    ("Emeka", "Emeka"),
    ("Isabel", "Isa"),
    ("Tariq", "Tariq"),
    ("Freya", "Freya"),
    ("Hiroshi", "Hiro"),
    ("Maya", "Maya"),
    ("Olusegun", "Segun"),
    ("Clara", "Clara"),
    ("Mehmet", "Mehmet"),
    ("Nora", "Nora"),
    ("Alexander", "Alex"),
    ("Lucía", "Lucy"),
    ("Daniel", "Dan"),
    ("Katherine", "Kate"),
)
LAST = (
    "Okafor",
    "Schmidt",
    "García",
    "Tanaka",
    "Sharma",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Haddad",
    "Bennett",
    "Chen",
    "Lindqvist",
    "Rahman",
    "Fernández",
    "Johansson",
    "Mensah",
    "Sato",
    "Popescu",
    "Asante",
    "Müller",
    "Iyer",
    "Novak",
    "Morales",
    "Karimi",
    "Petrov",
    "O'Brien",
    "Adeyemi",
    "Costa",
    "Aziz",
    "Nielsen",
    "Yamamoto",
    "Cohen",
    "Balogun",
    "Weber",
    "Yılmaz",
    "Larsen",
    "Murphy",
    "Torres",
    "Walsh",
    "Nguyen",
)
# Each agent's team, by its place modulo len(TEAMS): two in five in Sales, one in its
# Tier 2 sub-team, two in Support.
TEAMS = ("Sales", "Support", "Sales/Tier 2", "Sales", "Support")


def _ascii(text: str) -> str:
    """A name as a login name spells it: without accents or apostrophes, lower case."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.replace("'", "").lower()


def demo_user(index: int, agent_id: int) -> tuple[User, str]:
    """The agent at `index` of the simulation (id `agent_id`) and its team's path."""
    first, nickname = FIRST[index % len(FIRST)]
    # Every first name meets every last name before a pair comes back (for 40 x 40).
    last = LAST[(index * 7 + index // len(FIRST)) % len(LAST)]
    login = f"{_ascii(first)}.{_ascii(last)}"
    if index >= len(FIRST) * len(LAST):
        login += f".{agent_id}"
    user = User(
        agent_id,
        f"{login}@example.com",
        full_name=f"{first} {last}",
        nickname=nickname,
        employee_id=f"EMP-{agent_id:05d}",
    )
    return user, TEAMS[index % len(TEAMS)]


def create_people(store: Store, account_id: str, agents: int, first_agent_id: int) -> ImportResult:
    """Create the users of the simulated agents, and their teams, in the account."""
    rows = []
    for index in range(agents):
        user, team = demo_user(index, first_agent_id + index)
        # As rows of a CSV file (lines from 2): the import's own checks and writes.
        rows.append(UserRow(index + 2, user, tuple(team.split("/")), frozenset(COLUMNS)))
    plan = plan_import(rows, *read_directory(store, account_id))
    if plan.problems:  # the names above are unique: this would be a bug
        raise RuntimeError(f"demo people: {plan.problems[0]}")
    return apply_plan(store, account_id, plan)
