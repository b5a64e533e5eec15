"""no_wait.py: inside never_wait() a lock another thread holds raises WouldWait at once;
outside it, held() waits as `with lock:` does; the flag is per thread and restored."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from agentactivity.no_wait import WouldWait, held, never_wait, waiting_forbidden


def hold_in_other_thread(lock: Any) -> tuple[threading.Event, threading.Event]:
    taken, release = threading.Event(), threading.Event()

    def run() -> None:
        with lock:
            taken.set()
            release.wait(10)

    threading.Thread(target=run, daemon=True).start()
    assert taken.wait(10)
    return taken, release


@pytest.mark.parametrize("make_lock", [threading.Lock, threading.RLock])
def test_a_taken_lock_raises_inside_never_wait_and_is_left_alone(make_lock) -> None:
    lock = make_lock()
    _, release = hold_in_other_thread(lock)
    with never_wait(), pytest.raises(WouldWait), held(lock):
        raise AssertionError("entered a lock another thread holds")
    release.set()
    with held(lock):  # the other thread's hold ended: waits for it, then enters
        assert not waiting_forbidden()


def test_outside_never_wait_held_waits_for_the_other_thread() -> None:
    lock = threading.Lock()
    _, release = hold_in_other_thread(lock)
    threading.Timer(0.05, release.set).start()
    entered = []
    with held(lock):
        entered.append(True)
    assert entered == [True]
    assert not lock.locked()


def test_a_free_lock_is_taken_and_given_back_inside_never_wait() -> None:
    lock = threading.Lock()
    with never_wait():
        with held(lock):
            assert lock.locked()
        assert not lock.locked()
        with pytest.raises(ValueError), held(lock):
            raise ValueError("the work failed")
        assert not lock.locked()


def test_the_flag_is_per_thread_and_restored_after_nesting() -> None:
    seen: list[bool] = []
    with never_wait():
        with never_wait():
            assert waiting_forbidden()
        assert waiting_forbidden()
        other = threading.Thread(target=lambda: seen.append(waiting_forbidden()))
        other.start()
        other.join()
    assert seen == [False]
    assert not waiting_forbidden()
