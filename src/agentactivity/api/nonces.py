"""State shared by several servers through Redis: the OAuth nonces already used.

With one server the nonces live in its memory (auth.MemoryNonceStore). Behind a load
balancer a replayed request may reach another server, so each server must see the nonces
every other server accepted: `SET key 1 NX EX <2*window>` records a nonce and tells
whether it was new in one atomic step, for all servers at once. The key lives twice the
timestamp window, which covers every moment a replay could still pass the clock check.

Redis failures are StoreBusyError: the request is answered 503 with Retry-After (never
accepted unchecked, never a 500).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis

from agentactivity.store import StoreBusyError

KEY_PREFIX = "agentactivity:nonce:"
# A request waits at most this long for Redis before it is answered 503.
TIMEOUT_S = 2.0


def redact(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S, health_check_interval=30
    )


class SharedStateError(StoreBusyError):
    """Redis (the state shared by all servers) could not be used; retryable (503)."""


class RedisNonceStore:
    """NonceStore on Redis: atomic and shared by every server using the same Redis."""

    def __init__(self, url: str, window_s: int = 300) -> None:
        self.url = url
        self._ttl = 2 * window_s
        self._redis = redis_client(url)

    def ping(self) -> None:
        """Raise SharedStateError unless Redis answers."""
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise SharedStateError(f"Redis at {redact(self.url)} is not reachable: {exc}") from exc

    def check_and_add(self, key: str, timestamp: int) -> bool:
        try:
            added = self._redis.set(KEY_PREFIX + key, 1, nx=True, ex=self._ttl)
        except redis.RedisError as exc:
            raise SharedStateError(
                f"the nonce store (Redis at {redact(self.url)}) is unavailable: {exc}; "
                "retry shortly"
            ) from exc
        return bool(added)

    def close(self) -> None:
        self._redis.close()
