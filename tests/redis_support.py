"""Redis for the tests of state shared by several servers (nonces, query rate).

At $AGENTACTIVITY_TEST_REDIS (default redis://127.0.0.1:6379/15). Every test starts with
no agentactivity:* keys there. Unreachable, the tests are skipped with a message saying
how to enable them; under CI (CI=true) they fail instead, so that a CI run never passes
without them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tests.services import require_service

REDIS_URL = os.environ.get("AGENTACTIVITY_TEST_REDIS", "redis://127.0.0.1:6379/15")
KEYS = "agentactivity:*"


def connect() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3)


@functools.cache
def redis_problem() -> str | None:
    """Why Redis cannot be used for tests, or None (asked once per session)."""
    try:
        with connect() as client:
            client.ping()
    except redis.RedisError as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def require_redis() -> None:
    require_service(
        redis_problem(),
        f"Redis is not reachable at {REDIS_URL}",
        "CI must run the Redis tests (.ci/run starts it)",
        "start Redis there (redis-server --port 6379), or set "
        "AGENTACTIVITY_TEST_REDIS to the URL of a Redis database the tests may write to",
    )


def flush_test_keys() -> None:
    with connect() as client:
        keys = list(client.scan_iter(KEYS, count=1000))
        if keys:
            client.delete(*keys)


@contextmanager
def shared_redis() -> Iterator[str]:
    """The test Redis's URL, with no agentactivity:* keys at the start (and the end)."""
    require_redis()
    flush_test_keys()
    try:
        yield REDIS_URL
    finally:
        flush_test_keys()
