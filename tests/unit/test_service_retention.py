"""The service prunes store and engine together; answers inside the window don't move,
and a restart from the pruned store answers the same."""

from __future__ import annotations

import gc

from agentactivity.events import TimeBounds, parse_batch
from agentactivity.query import ActivityQuery
from agentactivity.service.activity import YOUNG_GC_THRESHOLD, ActivityService
from agentactivity.settings import Settings
from agentactivity.simulate import Simulator
from agentactivity.store import SQLiteStore
from tests.conftest import FakeClock

DAY = 86_400_000


def test_prune_keeps_answers_inside_the_window(tmp_path) -> None:
    start = 1_790_000_000_000
    clock = FakeClock(start)
    settings = Settings(db_url=str(tmp_path / "r.db"), retention_days=1, history_days=1)
    service = ActivityService(SQLiteStore(settings.db_url), settings, clock=clock)
    simulator = Simulator(agents=30, seed=3, start_ms=start)
    for hour in range(1, 49):  # two days, ingested as time goes by
        clock.now = start + hour * 3_600_000
        raw = simulator.events_until(clock.now)
        events, problems = parse_batch(raw, TimeBounds.around(clock.now, settings.retention_ms))
        assert not problems
        service.ingest("a", events)

    now = clock.now
    queries = [
        ActivityQuery(1440, None, 1, 60, now, True),
        ActivityQuery(600, None, 2, 30, now - 7_200_000, True),
        ActivityQuery(60, None, 1, 5, now - DAY + 3_600_000, False),
    ]
    before = [service.agent_activity("a", q) for q in queries]
    stored_before = len(service.store.read_after("a", 0, limit=10**9))

    deleted = service.prune()
    assert deleted > stored_before // 3  # a day of two is history
    assert [service.agent_activity("a", q) for q in queries] == before

    service.store.close()
    restarted = ActivityService(SQLiteStore(settings.db_url), settings, clock=clock)
    restarted.load()
    assert [restarted.agent_activity("a", q) for q in queries] == before
    assert len(restarted.store.read_after("a", 0, limit=10**9)) == stored_before - deleted
    assert restarted.prune() == 0  # nothing more to do until time moves on
    restarted.store.close()


def test_load_keeps_the_collector_out_of_answer_building(tmp_path) -> None:
    settings = Settings(db_url=str(tmp_path / "g.db"))
    service = ActivityService(SQLiteStore(settings.db_url), settings)
    previous = gc.get_threshold()
    try:
        gc.set_threshold(700, *previous[1:])
        service.load()
        assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, *previous[1:])
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
        service.store.close()
