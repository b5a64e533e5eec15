"""Resident bytes per retained event of the engine, measured in a fresh process.

    python -m bench.memory --agents 1000 --hours 24 --end 1764064800000

RSS is read after the imports and the simulator's set-up, then the events are simulated,
validated and applied hour by hour (so that little garbage is ever alive at once), one
Q1 is answered (the packed snapshot exists, as in a serving process), the inputs are
dropped and the collector run, and RSS is read again. The difference over the number of
events is what the engine keeps per event. A breakdown by structure, computed from the
engine's own containers, says where those bytes are. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from typing import Any

import numpy as np

from agentactivity.engine import Engine
from agentactivity.events import parse_event
from agentactivity.simulate import Simulator
from bench.data import ANY_TIME, FIRST_AGENT, HOUR_MS, SEED, queries

ACCOUNT = "bench"


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _nbytes(obj: Any) -> int:
    return int(obj.nbytes) if isinstance(obj, np.ndarray) else 0


def breakdown(engine: Engine) -> dict[str, int]:
    """Bytes held by each kind of structure of the engine (best effort: it reads the
    engine's private containers, and reports what it cannot read as missing)."""
    out: dict[str, int] = {}
    account = engine.account(ACCOUNT)
    if account is None:
        return out
    records = record_tuples = strings = 0
    seg_lists = seg_items = 0
    start_buf = state_buf = reason_buf = 0
    seen_strings: set[int] = set()
    segments = capacity_rows = reason_series = 0
    try:
        for timeline in account.timelines.values():
            recs = timeline._records
            records += sys.getsizeof(recs)
            for rec in recs:
                record_tuples += sys.getsizeof(rec)
                chat = rec[5]
                if chat is not None and id(chat) not in seen_strings:
                    seen_strings.add(id(chat))
                    strings += sys.getsizeof(chat)
            seg_lists += sys.getsizeof(timeline._starts) + sys.getsizeof(timeline._categories)
            seg_items += sum(sys.getsizeof(s) for s in timeline._starts)
            seg_items += sum(sys.getsizeof(c) for c in timeline._categories)
            segments += len(timeline._starts)
            start_buf += _nbytes(timeline._start_buffer)
            capacity_rows += len(timeline._start_buffer)
            state_buf += _nbytes(timeline._states.activity) + _nbytes(timeline._states.cumulative)
            for buffer in timeline._reasons.values():
                reason_buf += _nbytes(buffer.activity) + _nbytes(buffer.cumulative)
                reason_series += 1
        out["records: list + 7-tuples"] = records + record_tuples
        out["records: chat id strings"] = strings
        out["segments: Python lists (starts, categories)"] = seg_lists + seg_items
        out["segment arrays: starts buffer"] = start_buf
        out["segment arrays: state activity + cumulative"] = state_buf
        out["segment arrays: per-reason activity + cumulative"] = reason_buf
        snapshot = account._snapshot
        if snapshot is not None:
            packed = 0
            for series in (snapshot.states, snapshot.reasons):
                for name in series.__slots__:
                    packed += _nbytes(getattr(series, name, None))
            out["packed snapshot (all agents)"] = packed
        out["_segments"] = segments
        out["_capacity_rows"] = capacity_rows
        out["_reason_series"] = reason_series
    except AttributeError as exc:  # the engine's internals changed: say so, keep going
        out["_unreadable"] = 1
        print(f"memory breakdown incomplete: {exc}", file=sys.stderr)
    return out


def measure(agents: int, hours: float, end: int) -> dict[str, Any]:
    start = end - int(hours * HOUR_MS)
    simulator = Simulator(agents=agents, seed=SEED, start_ms=start, first_agent_id=FIRST_AGENT)
    engine = Engine()
    gc.collect()
    before = rss_bytes()
    seq = 0
    steps = max(1, int(hours))
    for h in range(1, steps + 1):
        until = end if h == steps else start + h * HOUR_MS
        raw = simulator.events_until(until)
        events = [parse_event(obj, ANY_TIME) for obj in raw]
        engine.apply(ACCOUNT, enumerate(events, start=seq + 1))
        seq += len(events)
        del raw, events
    answer = engine.agent_activity(ACCOUNT, queries(end)["Q1"], end)
    del answer
    gc.collect()
    after = rss_bytes()
    parts = breakdown(engine)
    return {
        "agents": agents,
        "hours": hours,
        "events": seq,
        "rss_before": before,
        "rss_after": after,
        "bytes_per_event": (after - before) / max(1, seq),
        "breakdown_bytes_per_event": {
            k: v / max(1, seq) for k, v in parts.items() if not k.startswith("_")
        },
        "segments": parts.get("_segments"),
        "capacity_rows": parts.get("_capacity_rows"),
        "reason_series": parts.get("_reason_series"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--end", type=int, required=True)
    args = parser.parse_args()
    print(json.dumps(measure(args.agents, args.hours, args.end)))


if __name__ == "__main__":
    main()
