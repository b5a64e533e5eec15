"""The nonce file shared by the workers of `serve --workers N`: the same rules as the
in-memory store (expiry after 2x the window, bounded, fail closed), across processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from agentactivity.api.auth import MemoryNonceStore
from agentactivity.api.file_nonces import FileNonceStore
from agentactivity.store import StoreBusyError


def test_expires_like_the_memory_store(tmp_path: Path) -> None:
    now = [1000.0]
    stores = [
        FileNonceStore(str(tmp_path / "n.db"), window_s=300, clock=lambda: now[0]),
        MemoryNonceStore(window_s=300, clock=lambda: now[0]),
    ]
    for s in stores:
        now[0] = 1000.0
        assert s.check_and_add("a", 1000)
        assert not s.check_and_add("a", 1000)
        now[0] += 599
        assert not s.check_and_add("a", 1000)
        now[0] += 1
        assert s.check_and_add("a", 1600)
        assert len(s) == 1


def test_bounded_and_fails_closed(tmp_path: Path) -> None:
    now = [1000.0]
    s = FileNonceStore(str(tmp_path / "n.db"), window_s=300, capacity=3, clock=lambda: now[0])
    for i in range(10):
        assert s.check_and_add(f"k{i}", 1000 + i)
        assert len(s) <= 3
    assert len(s) == 3
    assert not s.check_and_add("k0", 1000)  # evicted early, yet its replay is still refused
    assert not s.check_and_add("k9", 1009)
    assert s.check_and_add("k10", 1010)
    now[0] += 600  # everything expired
    assert s.check_and_add("k0", 1600) and len(s) == 1


def test_a_nonce_used_through_one_connection_is_refused_through_another(tmp_path: Path) -> None:
    path = str(tmp_path / "n.db")
    first, second = FileNonceStore(path), FileNonceStore(path)
    assert first.check_and_add("x", 1)
    assert not second.check_and_add("x", 1)
    assert second.check_and_add("y", 1)
    assert not first.check_and_add("y", 1)
    first.close()
    second.close()


def _claim(path: str, keys: list[str], results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = FileNonceStore(path)
    results.put([key for key in keys if store.check_and_add(key, 1)])
    store.close()


def test_processes_racing_for_the_same_nonces_accept_each_once(tmp_path: Path) -> None:
    path = str(tmp_path / "n.db")
    FileNonceStore(path).close()
    keys = [f"nonce-{i}" for i in range(300)]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=_claim, args=(path, keys, results)) for _ in range(3)]
    for process in processes:
        process.start()
    accepted = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    flat = [key for batch in accepted for key in batch]
    assert sorted(flat) == sorted(keys)  # every nonce accepted exactly once, by someone


def test_a_locked_file_is_a_retryable_error_never_an_acceptance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "n.db")
    # Wait 0.1 s for the lock instead of 5 s (read when the file is opened).
    monkeypatch.setattr(f"{FileNonceStore.__module__}.BUSY_TIMEOUT_S", 0.1)
    store = FileNonceStore(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusyError, match="nonce store"):
            store.check_and_add("z", 1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.check_and_add("z", 1)
