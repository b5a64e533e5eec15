"""A small directory for the tests of SPEC section 8 in answers (agent activity, state,
stream): written through the store, as the directory API would.

    -1 Main Group          agent 13 (a user in the root itself)
    ├── 1 Sales            agent 11 ("Bob Smith": a full name, no nickname)
    │   └── 2 Tier 2       agent 10 ("Ann", employee E10), user 15 (no events)
    ├── 3 Support          agent 12
    └── 4 Empty            nobody
    (5 Closed: deleted)    agent 14 has events and no user: in the root
"""

from __future__ import annotations

from typing import Any

from agentactivity.directory import ROOT_GROUP_ID, AgentGroup, User
from agentactivity.directory_items import Change
from agentactivity.store import Store

ANN, BOB, SUPPORT_AGENT, ROOT_AGENT, STRANGER, NO_EVENTS = 10, 11, 12, 13, 14, 15
SALES, TIER_2, SUPPORT, EMPTY, CLOSED = "1", "2", "3", "4", "5"
MINUTE = 60_000


def team_events(now: int) -> list[dict[str, Any]]:
    """Each agent with events logged in for whole minutes up to `now` (as posted)."""

    def state(
        agent: int, minutes_ago: int, value: str, reason: str | None = None
    ) -> dict[str, Any]:
        event = {"type": "state", "agentId": agent, "time": now - minutes_ago * MINUTE}
        return {**event, "state": value, **({"reasonId": reason} if reason else {})}

    return [
        state(ANN, 120, "ONLINE"),
        state(BOB, 90, "AWAY", "lunch"),
        state(SUPPORT_AGENT, 30, "ONLINE"),
        state(SUPPORT_AGENT, 10, "AWAY", "lunch"),
        state(ROOT_AGENT, 60, "BACK_SOON"),
        state(STRANGER, 60, "AWAY", "break"),
    ]


def seed_teams(store: Store, account_id: str) -> None:
    groups, users = store.directory.groups, store.directory.users
    groups.create(account_id, [Change(AgentGroup("", "Sales", ROOT_GROUP_ID))])
    groups.create(account_id, [Change(AgentGroup("", "Tier 2", SALES))])
    revision, _ = groups.create(
        account_id,
        [
            Change(AgentGroup("", "Support", ROOT_GROUP_ID)),
            Change(AgentGroup("", "Empty", ROOT_GROUP_ID)),
            Change(AgentGroup("", "Closed", ROOT_GROUP_ID)),
        ],
    )
    groups.delete(account_id, [CLOSED], revision)
    users.create(
        account_id,
        [
            Change(
                User(
                    ANN,
                    "ann",
                    full_name="Ann Lee",
                    nickname="Ann",
                    employee_id="E10",
                    group_id=TIER_2,
                )
            ),
            Change(User(BOB, "bob", full_name="Bob Smith", group_id=SALES)),
            Change(User(SUPPORT_AGENT, "sue", group_id=SUPPORT)),
            Change(User(ROOT_AGENT, "rob", nickname="Rob", group_id=ROOT_GROUP_ID)),
            Change(User(NO_EVENTS, "nat", group_id=TIER_2)),
        ],
    )
