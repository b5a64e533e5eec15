"""Work that must not wait: a small query answered on the event loop itself.

Handing a request to a worker thread and back costs about 0.2 ms, as much as a one-agent
answer (docs/performance.md, Fourteenth measurement). A small query is therefore tried
on the event loop first, inside `never_wait()`: every lock on its path is taken with
`held(lock)`, which then does not wait but raises WouldWait when another thread holds
it (an ingest, a big query). The caller then does the same work in a worker thread,
where `held` waits as usual. Code that would do long work (a store read of history, a
catch-up) checks `waiting_forbidden()` and raises WouldWait itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class WouldWait(Exception):
    """The work would wait or take long: do it again in a worker thread."""


class _Lock(Protocol):
    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...

    def release(self) -> None: ...


_local = threading.local()


def waiting_forbidden() -> bool:
    return getattr(_local, "forbidden", False)


@contextmanager
def never_wait() -> Iterator[None]:
    """In this block, `held` raises WouldWait instead of waiting (this thread only)."""
    before = waiting_forbidden()
    _local.forbidden = True
    try:
        yield
    finally:
        _local.forbidden = before


@contextmanager
def held(lock: _Lock) -> Iterator[None]:
    """`with lock:`, except inside `never_wait()`, where a taken lock raises WouldWait."""
    if not lock.acquire(blocking=not waiting_forbidden()):
        raise WouldWait("a lock is held by other work")
    try:
        yield
    finally:
        lock.release()
