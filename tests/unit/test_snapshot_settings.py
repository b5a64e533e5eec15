"""Where snapshots live (service/snapshots.snapshot_directory) and how they are turned
off: flags, environment and the defaults per backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentactivity.service.snapshots import snapshot_directory
from agentactivity.settings import Settings, SettingsError


def test_beside_a_sqlite_file_by_default() -> None:
    settings = Settings(db_url="sqlite:////var/lib/aa/agentactivity.db")
    assert snapshot_directory(settings) == Path("/var/lib/aa/agentactivity.db.snapshots")


def test_none_for_an_in_memory_database() -> None:
    assert snapshot_directory(Settings(db_url="sqlite:///:memory:")) is None


def test_named_after_the_postgres_database_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(db_url="postgresql://app:secret@db.example:5432/activity")
    assert snapshot_directory(settings) == tmp_path / "activity.snapshots"


def test_an_explicit_folder_or_empty_for_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTACTIVITY_SNAPSHOT_DIR", "/srv/snaps")
    assert snapshot_directory(Settings.from_env()) == Path("/srv/snaps")
    monkeypatch.setenv("AGENTACTIVITY_SNAPSHOT_DIR", "")
    assert snapshot_directory(Settings.from_env()) is None
    # The flags win over the environment (`serve --no-snapshot` passes "").
    monkeypatch.setenv("AGENTACTIVITY_SNAPSHOT_DIR", "/srv/snaps")
    assert snapshot_directory(Settings.from_env(snapshot_dir="")) is None


def test_the_write_intervals_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTACTIVITY_SNAPSHOT_INTERVAL_SECONDS", "0")
    with pytest.raises(SettingsError, match="snapshot interval"):
        Settings.from_env()
    monkeypatch.setenv("AGENTACTIVITY_SNAPSHOT_INTERVAL_SECONDS", "60")
    monkeypatch.setenv("AGENTACTIVITY_SNAPSHOT_EVENTS", "0")
    with pytest.raises(SettingsError, match="snapshot_events"):
        Settings.from_env()
