"""`agentactivity import` and `export` measured as an operator runs them: real processes
on a simulated file, into a fresh SQLite file.

    python -m bench.transfer --agents 10000 --hours 167

The file is written hour by hour (the simulator's events of one hour at a time, so the
benchmark itself stays small); each command runs in a process of its own, whose peak
resident memory is its own high-water mark (`ru_maxrss` of os.wait4). Reported: events,
file bytes, wall and CPU seconds, events/s and peak RSS of the import (both passes) and
of the export, and whether the export gives the file back byte for byte. Prints one
JSON object.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentactivity.clock import DAY_MS, HOUR_MS
from agentactivity.simulate import Simulator, write_ndjson
from bench.data import FIRST_AGENT, SEED

ACCOUNT = "bench"


def simulated_file(path: Path, agents: int, hours: int, end: int) -> int:
    start = end - hours * HOUR_MS
    simulator = Simulator(agents=agents, seed=SEED, start_ms=start, first_agent_id=FIRST_AGENT)
    count = 0
    with path.open("w") as stream:
        for hour in range(1, hours + 1):
            count += write_ndjson(simulator.events_until(start + hour * HOUR_MS), stream)
    return count


def cli() -> list[str]:
    script = Path(sys.executable).parent / "agentactivity"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "agentactivity.cli"]


# Runs a command and writes its rusage (maxrss KiB, CPU s, blocks written) as JSON to
# argv[1]. A child's ru_maxrss counts the memory of the process that spawned it (Linux
# keeps the high-water mark across exec), so the command is spawned by this small
# process, never by the benchmark's (or a test's) own large one.
WRAPPER = (
    "import json, os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, u = os.wait4(p.pid, 0)\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    json.dump([u.ru_maxrss, u.ru_utime + u.ru_stime, u.ru_oublock], f)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run(*args: str) -> dict[str, Any]:
    """One `agentactivity` command: wall and CPU seconds, peak RSS, bytes written, the
    last line it said."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        usage, log = Path(tmp) / "usage.json", Path(tmp) / "stderr"
        with log.open("wb") as stderr:
            command = [sys.executable, "-c", WRAPPER, str(usage), *cli(), *args]
            code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=stderr).returncode
        wall = time.perf_counter() - t0
        lines = log.read_text(errors="replace").strip().splitlines()
        if code != 0:
            raise RuntimeError(f"agentactivity {args[0]} failed: {lines[-1:] or code}")
        maxrss_kib, cpu_s, blocks = json.loads(usage.read_text())
    return {
        "wall_s": wall,
        "cpu_s": cpu_s,
        "peak_rss_bytes": maxrss_kib * 1024,
        # What the disk was asked to write (the WAL, the checkpoints), in bytes.
        "written_bytes": blocks * 512,
        "said": lines[-1] if lines else "",
    }


def measure(
    agents: int, hours: int, end: int, workdir: Path, batch: int | None = None
) -> dict[str, Any]:
    source = workdir / "events.ndjson"
    events = simulated_file(source, agents, hours, end)
    db = f"sqlite:///{workdir / 'import.db'}"
    batching = ("--batch", str(batch)) if batch else ()
    imported = run("import", "--account", ACCOUNT, "--db", db, "--input", str(source), *batching)
    copy = workdir / "export.ndjson"
    exported = run("export", "--account", ACCOUNT, "--db", db, "--output", str(copy))
    out: dict[str, Any] = {
        "agents": agents,
        "hours": hours,
        "events": events,
        "file_bytes": source.stat().st_size,
        "database_bytes": sum(p.stat().st_size for p in workdir.glob("import.db*")),
        "import": {**imported, "events_per_s": events / imported["wall_s"]},
        "export": {**exported, "events_per_s": events / exported["wall_s"]},
        "round_trip_identical": filecmp.cmp(copy, source, shallow=False),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transfer")
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=167)
    parser.add_argument("--end", type=int, default=None, help="epoch ms (default: a day ago)")
    parser.add_argument("--batch", type=int, default=None, help="import --batch (its default)")
    args = parser.parse_args()
    end = args.end if args.end is not None else time.time_ns() // 1_000_000 - DAY_MS
    with tempfile.TemporaryDirectory(prefix="agentactivity-transfer-") as tmp:
        print(json.dumps(measure(args.agents, args.hours, end, Path(tmp), args.batch)))


if __name__ == "__main__":
    main()


def tables(results: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The measure as a table for bench/report.py (none if it was skipped)."""
    t = results.get("transfer")
    if not t:
        return []
    rows = [
        [
            name,
            f"{t[name]['events_per_s']:,.0f}/s",
            f"{t[name]['wall_s']:,.1f} s",
            f"{t[name]['cpu_s']:,.1f} s",
            f"{t[name]['peak_rss_bytes'] / 2**20:,.0f} MiB",
        ]
        for name in ("import", "export")
    ]
    title = (
        f"Import and export, SQLite ({t['agents']:,} agents x {t['hours']} h: "
        f"{t['events']:,} events, {t['file_bytes'] / 1e6:,.0f} MB; round trip identical: "
        f"{'yes' if t['round_trip_identical'] else 'NO'})"
    )
    return [(title, ["command", "events/s", "wall", "CPU", "peak RSS"], rows)]
