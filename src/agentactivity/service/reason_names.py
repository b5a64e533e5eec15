"""Reason names for the agent-state objects: `reasonId` -> the status reason's text.

Kept in memory per account with the revision it was read at. Every lookup first reads
the account's revision (one primary-key read), so a change made through any process
sharing the store names the very next answer; the items are read again only when the
revision moved. Deleted items still name their ids: past and present Away time keeps
the name it was recorded under.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from agentactivity.store import Store


class ReasonNames:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[int, Mapping[str, str]]] = {}

    def names(self, account_id: str) -> Mapping[str, str]:
        """{str(id): text} of every item of the account, deleted ones included."""
        reasons = self._store.reasons
        revision = reasons.revision(account_id)
        with self._lock:
            cached = self._cache.get(account_id)
        if cached is not None and cached[0] == revision:
            return cached[1]
        # The listing carries its own revision, read in the same statement as the items.
        revision, items = reasons.listing(account_id, include_deleted=True)
        names: Mapping[str, str] = MappingProxyType({str(item.id): item.text for item in items})
        with self._lock:
            self._cache[account_id] = (revision, names)
        return names

    def name(self, account_id: str, agents: Mapping[str, dict[str, Any]]) -> None:
        """Set `reasonName` in each agent-state object from its `reasonId` (None when it
        has none, or no item has that id). Reads the names only if some agent has one."""
        names: Mapping[str, str] | None = None
        for agent in agents.values():
            reason_id = agent.get("reasonId")
            if reason_id is None:
                agent["reasonName"] = None
                continue
            if names is None:
                names = self.names(account_id)
            agent["reasonName"] = names.get(reason_id)
