"""Each account's directory (users and agent groups) as a `DirectorySnapshot`, for every
answer that shows names or narrows to teams.

Kept in memory per account with the (users, groups) revisions it was read at. Every call
first reads both revisions (one primary-key read), so a change made through any process
sharing the store shows in the very next answer; the items are read again only when a
revision moved, and a snapshot is never changed once built (callers may keep it).
"""

from __future__ import annotations

import threading

from agentactivity.directory import DirectorySnapshot
from agentactivity.store import Store


class DirectoryCache:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cache: dict[str, DirectorySnapshot] = {}

    def snapshot(self, account_id: str) -> DirectorySnapshot:
        """The account's users and groups not deleted, as of the store's revisions."""
        directory = self._store.directory
        revisions = directory.revisions(account_id)
        with self._lock:
            cached = self._cache.get(account_id)
        if cached is not None and cached.revision == revisions:
            return cached
        # Each listing carries its own revision, read in the same statement as its
        # items: the snapshot is labelled with exactly what it holds.
        users_revision, users = directory.users.listing(account_id)
        groups_revision, groups = directory.groups.listing(account_id)
        snapshot = DirectorySnapshot.of(users, groups, revision=(users_revision, groups_revision))
        with self._lock:
            self._cache[account_id] = snapshot
        return snapshot
