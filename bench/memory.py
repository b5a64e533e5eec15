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


def breakdown(engine: Engine) -> dict[str, int]:
    """Bytes held by each kind of structure of the engine (best effort: it reads the
    engine's private containers, and reports what it cannot read as missing)."""
    out: dict[str, int] = {}
    account = engine.account(ACCOUNT)
    if account is None:
        return out
    columns = chat_text = segment_columns = objects = 0
    segments = 0
    try:
        for timeline in account.timelines.values():
            log = timeline._log
            columns += sum(sys.getsizeof(c) for c in (log.times, log.seqs, log.infos))
            chat_text += sys.getsizeof(log.chat_text)
            starts, categories = timeline.segment_starts, timeline.segment_categories
            segment_columns += sys.getsizeof(starts) + sys.getsizeof(categories)
            segments += len(starts)
            situation = timeline.situation
            objects += sys.getsizeof(timeline) + sys.getsizeof(log) + sys.getsizeof(situation)
            objects += sys.getsizeof(situation.chats)
        out["records: time, seq, info columns"] = columns
        out["records: chat id text"] = chat_text
        out["segments: start, category columns"] = segment_columns
        out["per-agent objects (timeline, log, situation)"] = objects
        snapshot = account._snapshot
        if snapshot is not None:
            out["packed snapshot: state series"] = snapshot.states.nbytes
            out["packed snapshot: reason series"] = snapshot.reasons.nbytes
            out["_reason_rows"] = len(snapshot.reasons._keys)
            out["_reason_series"] = len(snapshot.reason_numbers)
        out["_segments"] = segments
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
        "reason_series": parts.get("_reason_series"),
        "reason_rows": parts.get("_reason_rows"),
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
