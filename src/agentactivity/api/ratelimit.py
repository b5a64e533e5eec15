"""Per-account limits on the query method (SPEC section 4).

Two limits, both checked after authentication so that only a caller who proved to be the
account spends the account's budget, and both answered with 429 at once (never queued):

- requests in progress: at most `max_concurrent` queries of one account run at the same
  time. A plain per-process counter under a lock; the handler's work runs in a threadpool.
- a sustained rate: at most `rate_per_second` queries of one account in any one second,
  kept by the `limits` library in a storage named by URI (`memory://` by default, kept
  by api/local_rate.py instead, which needs no timer thread; a shared `redis://...`
  makes the rate hold across all the servers using that Redis).

The in-progress counter always stays in this process: with several servers an account may
have up to `max_concurrent` queries in progress on each of them. If the shared storage
fails, the query is answered 503 (Retry-After), not let through unchecked.

A query refused by one limit spends nothing of the other: the in-progress slot is given
back when the rate refuses, and the rate is only consulted once a slot is held.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from agentactivity.api.errors import ApiError
from agentactivity.api.local_rate import MovingWindow
from agentactivity.settings import Settings

RETRY_AFTER = {"Retry-After": "1"}
# The first part of every key in the storage, so that a shared storage can hold other keys.
KEY_PREFIX = "agentactivity-query"
# Redis keys of the rate limit start with this (the nonces' with agentactivity:nonce:).
REDIS_KEY_PREFIX = "agentactivity:limits"
REDIS_TIMEOUT_S = 2.0


class RateLimiter:
    """`with limiter.query_slot(account_id):` around the work of one query."""

    def __init__(
        self,
        max_concurrent: int,
        rate_per_second: int,
        storage_uri: str = "memory://",
        noun: str = "queries",
    ) -> None:
        if max_concurrent < 1 or rate_per_second < 1:
            raise ValueError("max_concurrent and rate_per_second must be at least 1")
        self.max_concurrent = max_concurrent
        self.rate_per_second = rate_per_second
        self._rate = RateLimitItemPerSecond(rate_per_second, 1)
        self.storage_uri = storage_uri
        # What is limited, in messages and as the storage keys' first part.
        self.noun = noun
        self._key = KEY_PREFIX if noun == "queries" else f"agentactivity-{noun.replace(' ', '-')}"
        options: dict[str, float | str | bool] = {"wrap_exceptions": True}
        if storage_uri.split(":", 1)[0] in ("redis", "rediss", "unix", "redis+unix"):
            options.update(
                key_prefix=REDIS_KEY_PREFIX,
                socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S,
            )
        storage = storage_from_string(storage_uri, **options)
        if not isinstance(storage, Storage):
            raise ValueError(f"rate limit storage {storage_uri!r}: use a synchronous storage")
        # Moving window: each accepted query is logged with its time and a query passes when
        # fewer than `rate_per_second` were accepted in the second before it. So a quiet
        # account may send a burst of up to the whole second's allowance at once, yet no
        # one-second interval, wherever it starts, ever holds more than the cap (a fixed
        # window lets up to twice the cap through across a window boundary; the sliding
        # window counter only approximates the past window). The price is one timestamp per
        # accepted query for a second: at most `rate_per_second` entries per account.
        self.storage = storage
        self._window = MovingWindowRateLimiter(storage)
        # In memory, our own window (same rule, no timer thread: api/local_rate.py).
        self._local = MovingWindow(rate_per_second) if isinstance(storage, MemoryStorage) else None
        self._lock = threading.Lock()
        self._in_progress: dict[str, int] = {}

    @property
    def in_process(self) -> bool:
        """The window is in this process's memory: a slot is taken without I/O."""
        return self._local is not None

    @classmethod
    def from_settings(cls, settings: Settings, storage_uri: str | None = None) -> RateLimiter:
        """Limits from the settings; the storage is settings.redis_url if set, else memory."""
        uri = storage_uri or settings.redis_url or "memory://"
        return cls(settings.max_concurrent_queries, settings.query_rate_per_second, uri)

    @classmethod
    def for_connectors(cls, settings: Settings, storage_uri: str | None = None) -> RateLimiter:
        """The webhook connectors' own limits (a flood of callbacks spends no query
        budget, and queries spend none of theirs); storage as `from_settings`."""
        uri = storage_uri or settings.redis_url or "memory://"
        return cls(
            settings.connector_max_concurrent,
            settings.connector_rate_per_second,
            uri,
            noun="webhook requests",
        )

    def in_progress(self, account_id: str) -> int:
        """How many queries of the account hold a slot now."""
        with self._lock:
            return self._in_progress.get(account_id, 0)

    @contextmanager
    def query_slot(self, account_id: str) -> Iterator[None]:
        """Hold one of the account's slots for the block, or raise ApiError(429) at once.

        The slot is given back however the block ends (an answer, an ApiError, a crash).
        """
        self._acquire(account_id)
        try:
            yield
        finally:
            self._release(account_id)

    def _acquire(self, account_id: str) -> None:
        with self._lock:
            running = self._in_progress.get(account_id, 0)
            if running >= self.max_concurrent:
                raise ApiError(
                    429,
                    f"too many {self.noun} in progress: account {account_id} already has "
                    f"{running} {self.noun} running, the most allowed at once is "
                    f"{self.max_concurrent}; wait for an answer before sending another one, "
                    "then retry after 1 second",
                    headers=dict(RETRY_AFTER),
                )
            self._in_progress[account_id] = running + 1
        try:
            if self._local is not None:
                allowed = self._local.hit(account_id)
            else:
                allowed = self._window.hit(self._rate, self._key, account_id)
        except StorageError as exc:
            self._release(account_id)
            raise ApiError(
                503,
                "the rate limit storage is unavailable "
                f"({type(exc.storage_error).__name__}); retry after 1 second",
                headers=dict(RETRY_AFTER),
            ) from exc
        except BaseException:
            self._release(account_id)
            raise
        if not allowed:
            self._release(account_id)
            raise ApiError(
                429,
                f"rate limit reached: account {account_id} may send at most "
                f"{self.rate_per_second} {self.noun} per second; slow down and retry after "
                "1 second",
                headers=dict(RETRY_AFTER),
            )

    def _release(self, account_id: str) -> None:
        with self._lock:
            running = self._in_progress.get(account_id, 0) - 1
            if running > 0:
                self._in_progress[account_id] = running
            else:
                # Idle accounts leave no entry behind.
                self._in_progress.pop(account_id, None)
