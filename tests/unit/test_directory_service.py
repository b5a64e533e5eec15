"""`ActivityService.directory`: each account's snapshot, kept while neither revision
moves and read again as soon as one does, also after a change made through another
store object on the same database (another process sharing it)."""

from __future__ import annotations

from pathlib import Path

from agentactivity.directory import AgentGroup, User
from agentactivity.directory_items import Change
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import open_store


def test_the_snapshot_follows_the_revisions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dir.db'}"
    store, other = open_store(url), open_store(url)
    try:
        service = ActivityService(store, Settings(db_url=url))
        empty = service.directory("a")
        assert empty.revision == (0, 0) and empty.label(7).name is None
        assert service.directory("a") is empty  # nothing moved: the same object
        other.directory.groups.create("a", [Change(AgentGroup("", "Sales", "-1"))])
        teams = service.directory("a")
        assert teams.revision == (0, 1) and set(teams.groups) == {"-1", "1"}
        other.directory.users.create("a", [Change(User(7, "ann", nickname="Ann", group_id="1"))])
        named = service.directory("a")
        assert named.revision == (1, 1)
        assert (named.label(7).name, named.group_of(7), named.members(["1"])) == ("Ann", "1", (7,))
        assert service.directory("a") is named
        # Deleted users leave the snapshot; other accounts have their own.
        other.directory.users.delete("a", [7], 1)
        assert service.directory("a").users == {}
        assert service.directory("b").revision == (0, 0)
    finally:
        store.close()
        other.close()
