"""People and teams (SPEC section 8): the users (agents, keyed by the agent id of the
events) and the agent groups of an account, as a snapshot that answers the questions
every answer asks of them: who is in these groups and their descendants, which groups
an agent counts in, what an agent is called.

The root group `-1` ("Main Group") always exists. An agent with events but no user (or
a deleted one) is a member of the root with no name fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROOT_GROUP_ID = "-1"
ROOT_GROUP_NAME = "Main Group"


@dataclass(frozen=True, slots=True)
class User:
    """A user as stored; `id` is the agent id of the events."""

    id: int
    login_name: str
    full_name: str | None = None
    nickname: str | None = None
    employee_id: str | None = None
    enabled: bool = True
    max_chats: int | None = None
    skill_ids: tuple[int, ...] = ()
    group_id: str = ROOT_GROUP_ID
    assignment_date: str | None = None  # RFC 3339, set when the membership last changed
    external_ids: tuple[tuple[str, str], ...] = ()  # (source, id), sorted by source
    deleted: bool = False

    @property
    def display_name(self) -> str | None:
        """What a supervisor calls the agent: the nickname, else the full name."""
        return self.nickname or self.full_name or None


@dataclass(frozen=True, slots=True)
class AgentGroup:
    """An agent group as stored; `parent_id` is None for the root only."""

    id: str
    name: str
    parent_id: str | None
    enabled: bool = True
    description: str = ""
    deleted: bool = False


ROOT_GROUP = AgentGroup(ROOT_GROUP_ID, ROOT_GROUP_NAME, None)


@dataclass(frozen=True)
class AgentLabel:
    """What the state listing adds to an agent's object."""

    name: str | None
    employee_id: str | None
    group_id: str


NO_LABEL = AgentLabel(None, None, ROOT_GROUP_ID)


class UnknownGroups(ValueError):
    """Group ids asked for that the directory does not have (or has deleted)."""

    def __init__(self, group_ids: Iterable[str]) -> None:
        self.group_ids = tuple(group_ids)
        listed = ", ".join(repr(group_id) for group_id in self.group_ids)
        super().__init__(f"agentGroupIds: no agent group {listed} (unknown or deleted)")


class OutsideTeam(ValueError):
    """A team link asked for an agent or a group outside its team (the API's 403)."""


def _listed(ids: Iterable[object]) -> str:
    shown = [str(value) for value in ids]
    return ", ".join(shown[:10]) + (f" and {len(shown) - 10} more" if len(shown) > 10 else "")


@dataclass
class DirectorySnapshot:
    """An account's users and groups not deleted, at one revision of each collection.

    Built once per revision (service/directory.py caches it), then read by any number of
    requests: nothing here changes after construction.
    """

    users: Mapping[int, User]
    groups: Mapping[str, AgentGroup]
    revision: tuple[int, int] = (0, 0)  # (users, groups)
    _children: dict[str, list[str]] = field(init=False, repr=False)
    _labels: dict[int, AgentLabel] = field(init=False, repr=False)
    # ancestors() per group, filled as asked: every agent of a group shares its chain,
    # and a rollup over thousands of agents asks for the same few chains again and again.
    _chains: dict[str, tuple[str, ...]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if ROOT_GROUP_ID not in self.groups:
            self.groups = {ROOT_GROUP_ID: ROOT_GROUP, **self.groups}
        children: dict[str, list[str]] = {group_id: [] for group_id in self.groups}
        for group in self.groups.values():
            if group.parent_id is not None and group.parent_id in children:
                children[group.parent_id].append(group.id)
        self._children = children
        self._labels = {
            user.id: AgentLabel(user.display_name, user.employee_id, self._group_of(user))
            for user in self.users.values()
        }

    @classmethod
    def of(
        cls, users: Iterable[User], groups: Iterable[AgentGroup], **kw: Any
    ) -> DirectorySnapshot:
        """From items as the store lists them; deleted ones are left out."""
        return cls(
            {user.id: user for user in users if not user.deleted},
            {group.id: group for group in groups if not group.deleted},
            **kw,
        )

    def _group_of(self, user: User) -> str:
        # A membership in a group that is gone counts in the root (the store refuses to
        # delete a group with members, so this is only a safety net).
        return user.group_id if user.group_id in self.groups else ROOT_GROUP_ID

    def label(self, agent_id: int) -> AgentLabel:
        return self._labels.get(agent_id, NO_LABEL)

    def group_of(self, agent_id: int) -> str:
        return self.label(agent_id).group_id

    def groups_of(self, agent_ids: Iterable[int]) -> list[str]:
        """`group_of` of each agent (one call for the thousands of agents of a rollup)."""
        labels = self._labels
        return [labels.get(agent_id, NO_LABEL).group_id for agent_id in agent_ids]

    def descendants(self, group_ids: Iterable[str]) -> set[str]:
        """The groups and all groups below them (unknown ids are left out)."""
        found: set[str] = set()
        pending = [group_id for group_id in group_ids if group_id in self.groups]
        while pending:
            group_id = pending.pop()
            if group_id not in found:
                found.add(group_id)
                pending.extend(self._children[group_id])
        return found

    def ancestors(self, group_id: str) -> list[str]:
        """The group and the groups above it, up to the root (in that order)."""
        return list(self.chain(group_id))

    def chain(self, group_id: str) -> tuple[str, ...]:
        """`ancestors` as a shared tuple (kept per group; do not change it)."""
        cached = self._chains.get(group_id)
        if cached is not None:
            return cached
        chain: list[str] = []
        current: str | None = group_id if group_id in self.groups else ROOT_GROUP_ID
        while current is not None and current not in chain:
            chain.append(current)
            current = self.groups[current].parent_id if current in self.groups else None
        # A parent that is gone (a safety net, as in _group_of) still rolls up to the root.
        if chain[-1] != ROOT_GROUP_ID and ROOT_GROUP_ID not in chain:
            chain.append(ROOT_GROUP_ID)
        self._chains[group_id] = found = tuple(chain)
        return found

    def members(self, group_ids: Iterable[str]) -> tuple[int, ...] | None:
        """The agent ids in the groups or their descendants, ascending; None when that
        includes the root, which holds every agent (also those not in the directory)."""
        groups = self.descendants(group_ids)
        if ROOT_GROUP_ID in groups:
            return None
        return tuple(
            sorted(agent for agent, label in self._labels.items() if label.group_id in groups)
        )

    def rollup_groups(self, agent_id: int) -> list[str]:
        """The groups whose totals an agent's figures count in: its own and every
        ancestor, up to the root."""
        return self.ancestors(self.group_of(agent_id))

    def select(
        self, agent_ids: tuple[int, ...] | None, group_ids: tuple[str, ...] | None
    ) -> tuple[int, ...] | None:
        """`agentIds` (None: all) narrowed to the members of `agentGroupIds` and their
        descendants (None: not asked), ascending; None still means every agent.

        Raises UnknownGroups when a group id is unknown or deleted."""
        if group_ids is None:
            return agent_ids
        unknown = [group_id for group_id in group_ids if group_id not in self.groups]
        if unknown:
            raise UnknownGroups(unknown)
        members = self.members(group_ids)
        if members is None:  # the root holds everyone: no narrowing
            return agent_ids
        if agent_ids is None:
            return members
        return tuple(sorted(set(agent_ids).intersection(members)))

    def within_team(
        self,
        team: str,
        agent_ids: tuple[int, ...] | None,
        group_ids: tuple[str, ...] | None,
    ) -> tuple[str, ...]:
        """The agentGroupIds a team link's request reads with: those it asked for, else
        the team itself (so `agentIds=all` means the team, and agents named by id are
        narrowed to it as members move). Raises OutsideTeam for any agent or group asked
        for outside the team, even beside members, and when the team is gone: a link
        never reads more than its team, nor learns which outside ids exist."""
        if team not in self.groups:
            raise OutsideTeam(
                f"this dashboard link's team (agent group {team}) no longer exists: ask for "
                "a new link"
            )
        where = f"outside this dashboard link's team (agent group {team} and its sub-groups)"
        inside = self.descendants([team])
        if group_ids is not None:
            outside_groups = [group_id for group_id in group_ids if group_id not in inside]
            if outside_groups:
                raise OutsideTeam(f"agentGroupIds: {_listed(outside_groups)} is {where}")
        members = self.members([team])
        if agent_ids is not None and members is not None:
            outside_agents = sorted(set(agent_ids).difference(members))
            if outside_agents:
                raise OutsideTeam(f"agentIds: {_listed(outside_agents)} is {where}")
        return group_ids if group_ids is not None else (team,)
