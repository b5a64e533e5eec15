"""Engine snapshots against the store (service/snapshots.py), on each backend.

A snapshot is used only when it proves it belongs to this database at a seq the store
still holds; otherwise the account is rebuilt. Either way every answer must equal that
of an engine rebuilt from the store alone (snapshots off)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService, snapshot_file
from agentactivity.settings import Settings
from agentactivity.store import Store, open_store
from tests.conftest import FakeClock
from tests.simulated import HOUR_MS, PINNED_END, pinned_events
from tests.store.conftest import backend_url, raw_execute

ACCOUNT = "snapacct"
NOW = PINNED_END
QUERIES = [
    ActivityQuery(timeframe=1440, agent_ids=None, version=1, to=NOW),
    ActivityQuery(timeframe=1440, agent_ids=None, version=2, interval=60, to=NOW),
    ActivityQuery(timeframe=60, agent_ids=(1001, 1003), version=1, interval=5, to=NOW),
]


def answers(service: ActivityService) -> list[Any]:
    found: list[Any] = [service.agent_activity(ACCOUNT, q, NOW) for q in QUERIES]
    found.append(service.live.current_state(ACCOUNT, None, NOW))
    found.append(service.engine.last_seq(ACCOUNT))
    return found


class World:
    """One database, its snapshot folder, and services opened on it at NOW."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.clock = FakeClock(NOW)
        self.opened: list[Store] = []

    def settings(self, snapshots: bool = True, **more: Any) -> Settings:
        folder = str(self.folder) if snapshots else ""
        return Settings(**{"db_url": self.url, "snapshot_dir": folder, **more})

    def service(self, snapshots: bool = True, **more: Any) -> ActivityService:
        store = open_store(self.url)
        self.opened.append(store)
        return ActivityService(store, self.settings(snapshots, **more), clock=self.clock)

    def loaded(self, snapshots: bool = True, **more: Any) -> ActivityService:
        service = self.service(snapshots, **more)
        service.load()
        return service

    def ingest(self, events: list[dict[str, Any]]) -> None:
        service = self.service(snapshots=False)
        for i in range(0, len(events), 1000):
            service.ingest_items(ACCOUNT, events[i : i + 1000])

    def write_snapshot(self, **more: Any) -> ActivityService:
        service = self.loaded(**more)
        snapshots = service.snapshots
        assert snapshots is not None
        assert snapshots.write_due(300, 1_000_000) == 1
        snapshots.release()
        return service

    def rebuilt(self) -> list[Any]:
        return answers(self.loaded(snapshots=False))

    def close(self) -> None:
        for store in self.opened:
            store.close()


def day(seed: int = 1, hours: float = 20, agents: int = 12) -> list[dict[str, Any]]:
    return pinned_events(agents, seed, hours, NOW)


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with backend_url(request.param, tmp_path) as url:
        w = World(url, tmp_path / "snapshots")
        yield w
        w.close()


def snapshot_path(world: World) -> Path:
    return snapshot_file.path_for(world.folder, ACCOUNT)


def refused(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "snapshot not used" in r.getMessage()]


def test_a_valid_snapshot_answers_as_a_rebuild(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.ingest(day())
    world.write_snapshot()
    assert snapshot_path(world).stat().st_size > 0
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    restored = world.loaded()
    assert any("loaded the snapshot of seq" in r.getMessage() for r in caplog.records)
    assert not refused(caplog)
    assert answers(restored) == world.rebuilt()


def test_a_stale_snapshot_is_caught_up_exactly(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    events = day()
    half = len(events) // 2
    world.ingest(events[:half])
    world.write_snapshot()
    later = events[half:]
    # Late events too: some of the newer ones dated back before the snapshot's events.
    late = [
        {**e, "time": e["time"] - 6 * HOUR_MS, "eventId": f"late{i}"}
        for i, e in enumerate(later[:40])
    ]
    world.ingest(later + late)
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    restored = world.loaded()
    assert not refused(caplog)
    assert restored.snapshots is not None and restored.engine.last_seq(ACCOUNT) == len(events) + 40
    assert answers(restored) == world.rebuilt()


def test_no_snapshot_rebuilds_and_one_is_written_soon(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.ingest(day())
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    service = world.loaded()
    assert any("no snapshot yet" in m for m in refused(caplog))
    assert answers(service) == world.rebuilt()
    assert service.snapshots is not None and service.snapshots.write_due(300, 10**6) == 1
    # Written once; nothing new since: not written again.
    assert service.snapshots.write_due(300, 10**6) == 0
    service.snapshots.release()
    assert snapshot_path(world).exists()


def damage_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) * 2 // 3] ^= 0x40
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])


def other_version(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"format":1', b'"format":7', 1))


def not_a_snapshot(path: Path) -> None:
    path.write_bytes(b"hello")


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (damage_one_byte, "checksum mismatch"),
        (truncate, "truncated"),
        (other_version, "written by another version"),
        (not_a_snapshot, "not a snapshot file"),
    ],
)
def test_a_damaged_or_foreign_file_is_refused_and_rebuilt(
    world: World, caplog: pytest.LogCaptureFixture, spoil: Any, reason: str
) -> None:
    world.ingest(day())
    world.write_snapshot()
    spoil(snapshot_path(world))
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    service = world.loaded()
    assert any(reason in m for m in refused(caplog)), refused(caplog)
    assert answers(service) == world.rebuilt()


def test_a_snapshot_of_another_database_with_the_same_events_is_refused(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = World(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other-snapshots")
    try:
        events = day()
        other.ingest(events)  # same account, same events: the same seqs and eventIds
        other.write_snapshot()
        world.ingest(events)
        world.folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(snapshot_file.path_for(other.folder, ACCOUNT), snapshot_path(world))
        caplog.set_level(logging.INFO, "agentactivity.snapshots")
        service = world.loaded()
        assert any("written for another database" in m for m in refused(caplog))
        assert answers(service) == world.rebuilt()
    finally:
        other.close()


def restore_backup(world: World, keep_seq: int) -> None:
    """The database as an older backup of it had it: events after `keep_seq` gone."""
    raw_execute(
        world.url, "DELETE FROM events WHERE account_id = ? AND seq > ?", (ACCOUNT, keep_seq)
    )
    raw_execute(
        world.url, "UPDATE accounts SET last_seq = ? WHERE account_id = ?", (keep_seq, ACCOUNT)
    )


def test_a_snapshot_ahead_of_the_store_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    events = day()
    world.ingest(events)
    world.write_snapshot()
    restore_backup(world, len(events) // 2)
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    service = world.loaded()
    assert any("but the store ends at seq" in m for m in refused(caplog))
    assert answers(service) == world.rebuilt()


def test_a_reused_seq_is_told_by_its_fingerprint(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    events = day()
    world.ingest(events)
    world.write_snapshot()
    restore_backup(world, len(events) // 2)
    world.ingest(day(seed=2))  # other events take the seqs again, past the snapshot's
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    service = world.loaded()
    assert any("holds another event at seq" in m for m in refused(caplog))
    assert answers(service) == world.rebuilt()


def test_a_snapshot_whose_event_was_pruned_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    events = day()
    world.ingest(events)
    world.write_snapshot()
    raw_execute(
        world.url, "DELETE FROM events WHERE account_id = ? AND seq = ?", (ACCOUNT, len(events))
    )
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    world.loaded()
    assert any("was pruned" in m for m in refused(caplog))


def test_a_longer_live_window_than_the_snapshot_covers_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.ingest(day())
    world.write_snapshot(retention_days=1.0)  # its horizon: a day before NOW
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    longer = world.loaded(retention_days=7.0)
    assert any("the live window now starts" in m for m in refused(caplog))
    assert answers(longer) == world.rebuilt()


def test_a_shorter_live_window_takes_the_snapshot(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.ingest(day())
    world.write_snapshot(retention_days=7.0)
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    shorter = world.loaded(retention_days=0.5)
    assert not refused(caplog)
    assert answers(shorter) == answers(world.loaded(snapshots=False, retention_days=0.5))


def test_a_crash_mid_write_leaves_the_old_snapshot_usable(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = day()
    world.ingest(events[:100])
    world.write_snapshot()
    old = snapshot_path(world).read_bytes()
    world.ingest(events[100:])
    service = world.loaded()
    assert service.snapshots is not None

    def crash(*args: object) -> None:
        raise OSError("the disk went away")

    monkeypatch.setattr(snapshot_file.os, "replace", crash)
    assert service.snapshots.is_writer()
    with pytest.raises(OSError, match="went away"):
        service.snapshots.write_due(300, 10**6, force=True)
    monkeypatch.undo()
    service.snapshots.release()
    assert snapshot_path(world).read_bytes() == old
    # A writer killed before its rename leaves a temporary file: never read, and
    # removed by the next writer.
    leftover = world.folder / f".{ACCOUNT}{snapshot_file.SUFFIX}.99999{snapshot_file.TEMPORARY}"
    leftover.write_bytes(b"half a snapshot")
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    restored = world.loaded()
    assert not refused(caplog)
    assert answers(restored) == world.rebuilt()
    assert restored.snapshots is not None and restored.snapshots.is_writer()
    assert not leftover.exists()
    restored.snapshots.release()


def test_one_writer_per_folder(world: World) -> None:
    world.ingest(day(hours=4))
    first, second = world.loaded(), world.loaded()
    assert first.snapshots is not None and second.snapshots is not None
    assert first.snapshots.is_writer()
    assert not second.snapshots.is_writer()
    assert second.snapshots.write_due(300, 10**6, force=True) == 0
    first.snapshots.release()  # the writer stops (or dies): another takes over
    assert second.snapshots.is_writer()
    assert second.snapshots.write_due(300, 10**6) == 1
    second.snapshots.release()


def test_a_foreign_snapshot_renamed_to_this_database_fails_its_checksum(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = World(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other-snapshots")
    try:
        events = day()
        other.ingest(events)
        other.write_snapshot()
        world.ingest(events)
        here = world.service().store.identity().store_id.encode()
        there = open_store(other.url)
        other.opened.append(there)
        data = snapshot_file.path_for(other.folder, ACCOUNT).read_bytes()
        world.folder.mkdir(parents=True, exist_ok=True)
        snapshot_path(world).write_bytes(data.replace(there.identity().store_id.encode(), here))
        caplog.set_level(logging.INFO, "agentactivity.snapshots")
        service = world.loaded()
        assert any("checksum mismatch" in m for m in refused(caplog))
        assert answers(service) == world.rebuilt()
    finally:
        other.close()


def test_history_older_than_the_snapshot_horizon_reloads_its_agents(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.ingest(day())
    world.write_snapshot(retention_days=0.5)  # its horizon: 12 h before NOW
    store = world.service().store
    old = [
        Event("state", 1001, NOW - 15 * HOUR_MS, "old-1", state="ONLINE"),
        Event("chat_start", 1001, NOW - 14 * HOUR_MS, "old-2", chat_id="c-old"),
        Event("state", 1002, NOW - 13 * HOUR_MS, "old-3", state="AWAY", reason_id="9"),
    ]
    store.append(ACCOUNT, old)  # history imported late, past what ingest would accept
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    restored = world.loaded(retention_days=0.5)
    assert not refused(caplog)
    assert answers(restored) == answers(world.loaded(snapshots=False, retention_days=0.5))


def test_a_folder_that_cannot_be_written_is_said_once_and_serving_goes_on(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world.ingest(day(hours=2))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    service = world.loaded(snapshot_dir=str(blocker / "snapshots"))
    assert service.snapshots is not None
    caplog.set_level(logging.INFO, "agentactivity.snapshots")
    assert service.snapshots.write_due(300, 10**6) == 0
    assert service.snapshots.write_due(300, 10**6) == 0
    warnings = [r.getMessage() for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(warnings) == 1 and "--no-snapshot" in warnings[0]
