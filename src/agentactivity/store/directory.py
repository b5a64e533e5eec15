"""People and teams in the store (SPEC section 8): an account's users (store/users.py)
and agent groups (store/agent_groups.py), reached as `store.directory.users` and
`store.directory.groups`, and the one cheap read of both revisions that tells a cache
whether what it holds is still current.
"""

from __future__ import annotations

from agentactivity.store.adapter import Adapter
from agentactivity.store.agent_groups import AgentGroups
from agentactivity.store.collections import DIRECTORY_COLLECTIONS
from agentactivity.store.users import Users


class Directory:
    """Every account's users and agent groups, on one backend."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter
        self.users = Users(adapter)
        self.groups = AgentGroups(adapter)

    def revisions(self, account_id: str) -> tuple[int, int]:
        """(users' revision, groups' revision): one primary-key read."""
        with self._adapter.read() as sql:
            users, groups, _ = DIRECTORY_COLLECTIONS.read(sql, account_id)
        return users, groups
