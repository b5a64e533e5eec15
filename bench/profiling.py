"""Where the time goes: profiles of the in-process queries and a breakdown of ingest.

- Queries: cProfile over repeated in-process runs gives the functions with the most
  own time (JSON); pyinstrument, where installed, writes the call tree as text to
  bench/results/profile-<query>.txt.
- Ingest: the service's ingest path without HTTP (JSON decoding, validation, the
  store's append on a fresh SQLite file, the engine catching up), stage by stage, in
  batches of 1,000; the difference to the HTTP rate is HTTP, OAuth and the client.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from agentactivity.events import TimeBounds, parse_batch


def top_functions(fn: Callable[[], Any], runs: int, limit: int = 12) -> list[dict[str, Any]]:
    """The functions with the most own time over `runs` calls of `fn`."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(runs):
        fn()
    profile.disable()
    stats = pstats.Stats(profile, stream=io.StringIO())
    total = sum(row[2] for row in stats.stats.values()) or 1.0  # type: ignore[attr-defined]
    rows = []
    for (path, line, name), (_cc, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/bench/" in path:
            continue  # the benchmark's own frames (their "own time" is the answer's freeing)
        where = path.split("/site-packages/")[-1].split("/src/")[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "calls_per_run": calls / runs,
                "own_ms_per_run": own * 1000 / runs,
                "cumulative_ms_per_run": cumulative * 1000 / runs,
                "own_share": own / total,
            }
        )
    rows.sort(key=lambda r: -r["own_ms_per_run"])
    return rows[:limit]


def call_tree(fn: Callable[[], Any], runs: int, path: Path) -> bool:
    """pyinstrument's call tree of `runs` calls of `fn`, written to `path`."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return False
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(runs):
        fn()
    profiler.stop()
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return True


def ingest_stages(
    raw: list[dict[str, Any]], workdir: Path, advance: Callable[[int], None] | None = None
) -> dict[str, float]:
    """Seconds per stage of the service's ingest path for every event, batches of 1,000."""
    from agentactivity.service import ActivityService
    from agentactivity.settings import Settings
    from agentactivity.store import open_store

    settings = Settings(
        db_url=f"sqlite:///{workdir}/stages.db", retention_days=3650, history_days=3650
    )
    store = open_store(settings.db_url)
    service = ActivityService(store, settings)
    account = "12345678"
    bodies = [orjson.dumps(raw[i : i + 1000]) for i in range(0, len(raw), 1000)]
    bounds = TimeBounds(oldest=0, newest=2**62)
    decode = validate = store_append = engine_catch_up = 0.0
    try:
        for body in bodies:
            t0 = time.perf_counter()
            items = orjson.loads(body)
            t1 = time.perf_counter()
            events, problems = parse_batch(items, bounds)
            assert not problems, problems[:3]
            t2 = time.perf_counter()
            store.append(account, events)
            t3 = time.perf_counter()
            service.catch_up(account)
            t4 = time.perf_counter()
            decode += t1 - t0
            validate += t2 - t1
            store_append += t3 - t2
            engine_catch_up += t4 - t3
            if advance:
                advance(1)
    finally:
        store.close()
    return {
        "json_decode_s": decode,
        "validate_s": validate,
        "store_append_s": store_append,
        "engine_catch_up_s": engine_catch_up,
    }
