"""Small Agent Activity queries answered on the event loop (no_wait.py, SPEC 11's Q4):
tried there only when nothing on their path waits; anything that would (the engine's
lock held by another thread, events to catch up on, the history, a big answer, a store
across the network) is done in a worker thread instead, with the same answer and one
query slot spent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

import agentactivity.api.activity as activity_module
import agentactivity.api.common as common_module
from agentactivity.api.app import create_app
from agentactivity.api.ratelimit import RateLimiter
from agentactivity.credentials import Credentials
from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from agentactivity.service import ActivityService
from tests.api.conftest import ACTIVITY, BASE_URL, DAY, HOUR, ingest, state
from tests.conftest import ACCOUNT, OAuth1Auth

ONE = {"v": "1", "timeframe": "1440", "agentIds": "7"}


class Threads:
    """Counts the handlers' hand-overs to a worker thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = common_module.run_in_threadpool

        async def counted(work: Any, *args: Any) -> Any:
            self.count += 1
            return await original(work, *args)

        monkeypatch.setattr(common_module, "run_in_threadpool", counted)
        monkeypatch.setattr(activity_module, "run_in_threadpool", counted)


class CountingLimiter(RateLimiter):
    """The app's limiter, counting the query slots taken."""

    slots = 0

    @contextmanager
    def query_slot(self, account_id: str) -> Iterator[None]:
        CountingLimiter.slots += 1
        with super().query_slot(account_id):
            yield


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Threads:
    return Threads(monkeypatch)


@contextmanager
def client(service: ActivityService, credentials: Credentials) -> Iterator[TestClient]:
    CountingLimiter.slots = 0
    limiter = CountingLimiter(1_000, 1_000_000, "memory://")
    with TestClient(create_app(service, limiter=limiter), base_url=BASE_URL) as test_client:
        test_client.auth = OAuth1Auth(credentials)
        yield test_client


def day(service: ActivityService, test_client: TestClient) -> None:
    now = service.clock()
    ingest(
        test_client,
        [
            state(7, now - 5 * HOUR, "ONLINE"),
            state(7, now - 3 * HOUR, "AWAY", "lunch"),
            state(8, now - 2 * HOUR, "ONLINE"),
            state(7, now - 2 * HOUR, "ONLINE"),
        ],
    )


def ask(test_client: TestClient, params: dict[str, str]) -> dict[str, Any]:
    answer = test_client.get(ACTIVITY, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_one_agent_query_is_answered_without_a_thread(
    service: ActivityService, credentials: Credentials, threads: Threads
) -> None:
    with client(service, credentials) as test_client:
        day(service, test_client)
        threads.count = 0
        one = ask(test_client, ONE)
        assert threads.count == 0
        everyone = ask(test_client, {**ONE, "agentIds": "all"})
        assert threads.count == 1  # authenticated at once, the big answer in a thread
    assert (
        one["agentsMetrics"]["metricsPerAgent"]["7"]
        == (everyone["agentsMetrics"]["metricsPerAgent"]["7"])
    )
    assert CountingLimiter.slots == 2


def test_with_the_engine_locked_by_another_thread_it_is_answered_from_a_thread(
    service: ActivityService, credentials: Credentials, threads: Threads
) -> None:
    with client(service, credentials) as test_client:
        day(service, test_client)
        free = ask(test_client, ONE)
        lock = service.engine._lock
        taken, release = threading.Event(), threading.Event()

        def hold() -> None:
            with lock:
                taken.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        assert taken.wait(10)
        threading.Timer(0.1, release.set).start()
        threads.count = 0
        slots = CountingLimiter.slots
        locked = ask(test_client, ONE)
        holder.join()
    assert locked == free
    assert threads.count == 1  # the answer, after the loop found the lock taken
    assert CountingLimiter.slots == slots + 1  # one slot, though tried twice


def test_events_stored_by_another_process_are_caught_up_in_a_thread(
    service: ActivityService, credentials: Credentials, threads: Threads
) -> None:
    with client(service, credentials) as test_client:
        day(service, test_client)
        before = ask(test_client, ONE)
        now = service.clock()
        # As another server or `import` would: in the store, not yet in this engine.
        late = Event("state", 7, now - HOUR, "direct", state="AWAY", reason_id="meeting")
        service.store.append(ACCOUNT, [late])
        threads.count = 0
        after = ask(test_client, ONE)
    assert threads.count == 1
    assert service.engine.last_seq(ACCOUNT) == service.store.last_seq(ACCOUNT)
    assert after != before  # the late hour away is counted
    assert after == service.agent_activity(ACCOUNT, ActivityQuery(1440, (7,), 1), now)


def test_the_history_and_a_store_over_the_network_are_never_read_on_the_loop(
    service: ActivityService, credentials: Credentials, threads: Threads
) -> None:
    with client(service, credentials) as test_client:
        day(service, test_client)
        service.prune()  # the engine now holds the live window only: 10 days back is history
        assert service.engine.horizon(ACCOUNT) > service.clock() - 10 * DAY
        threads.count = 0
        old = service.clock() - 10 * DAY
        ask(test_client, {**ONE, "to": str(old)})
        assert threads.count == 1
    service.store.local_reads = False  # as PostgreSQL's: every query goes to a thread
    with client(service, credentials) as test_client:
        threads.count = 0
        ask(test_client, ONE)
        assert threads.count == 1  # one hop for all of it, as before
    del service.store.local_reads


def test_a_query_by_the_hour_of_few_agents_is_small_and_of_many_is_not() -> None:
    few = ActivityQuery(timeframe=600, agent_ids=tuple(range(50)), version=1, interval=60)
    many = ActivityQuery(timeframe=1440, agent_ids=tuple(range(50)), version=1, interval=60)
    assert activity_module.small(few) and not activity_module.small(many)
    assert not activity_module.small(ActivityQuery(60, None, 1))
