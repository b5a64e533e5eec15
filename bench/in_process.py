"""The engine built in the benchmark's own process, and its answers as the server sends them.

The in-process figures, the DuckDB check and the profiles all read this engine, under
one account (`ACCOUNT`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from agentactivity.engine import Engine
from agentactivity.query import ActivityQuery

ACCOUNT = "bench"


def served(engine: Engine, query: ActivityQuery, end: int) -> Callable[[], bytes]:
    """The engine's answer as the server sends it: JSON bytes."""
    return lambda: engine.agent_activity_json(ACCOUNT, query, end)


def engine_output(engine: Engine) -> str:
    return "JSON bytes (Engine.agent_activity_json)"


def decoded(answer: Any) -> dict[str, Any]:
    return dict(orjson.loads(answer)) if isinstance(answer, bytes) else dict(answer)


def build_engine(events: list[Any], advance: Callable[[int], None] | None = None) -> Engine:
    # No kept scopes (engine/scope_cache.py): the in-process figures time the rendering
    # (what a first query costs); over HTTP the server keeps them as it does in service.
    engine = Engine(cache_bytes=0)
    for i in range(0, len(events), 1000):
        engine.apply(ACCOUNT, enumerate(events[i : i + 1000], start=i + 1))
        if advance:
            advance(1)
    return engine
