"""Fixtures of the consumer's tests: a real NATS JetStream (tests/jetstream.py) and a
service on an in-memory store whose clock is pinned."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import SQLiteStore
from tests.conftest import FakeClock
from tests.jetstream import Names, fresh_names

# A fixed instant off every 5-minute boundary: every figure is relative to it.
NOW = 1_714_557_600_000 + 161_803


@pytest.fixture
def names() -> Iterator[Names]:
    with fresh_names() as created:
        yield created


@pytest.fixture
def service() -> Iterator[ActivityService]:
    store = SQLiteStore(":memory:")
    yield ActivityService(store, Settings(db_url=":memory:"), clock=FakeClock(NOW))
    store.close()
