"""An NDJSON file of events read line by line, in constant memory, for `agentactivity
import`: a first pass that checks every line and keeps only the count and the first
problems (with their line numbers), and a second that yields the events in batches.

Nothing here holds more than one line and one batch, whatever the file's size. A line
is read at most MAX_LINE bytes at a time: a longer one (no event is) is reported as a
problem without ever being held whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

import orjson

from agentactivity.events import Event, EventError, TimeBounds, parse_event

# The problems kept (and printed) of an invalid file; the others are only counted.
MAX_PROBLEMS = 20
# The longest line taken; an event is a few hundred bytes, the ingest API's whole
# batch at most 10 MiB.
MAX_LINE = 1 << 20
# Progress is reported every this many bytes (not every line: the bar has a lock).
REPORT_EVERY = 1 << 20

Advance = Callable[[int], None]


class FileChanged(RuntimeError):
    """The second pass met a line the first pass did not see (the file was changed in
    between); the message names the line."""


@dataclass
class Checked:
    """What the first pass found: the lines read, the events among them, how many lines
    are invalid and the first MAX_PROBLEMS of them (`line N: what is wrong`)."""

    lines: int = 0
    events: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, number: int, message: str) -> None:
        self.invalid += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"line {number}: {message}")


def lines(stream: IO[bytes], copy: IO[bytes] | None = None) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for each line; None for a line over MAX_LINE bytes (read and
    dropped in pieces). Each piece read is written to `copy` first, if given."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE)
        if not raw:
            return
        number += 1
        if copy is not None:
            copy.write(raw)
        if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # the rest of the line, dropped
                raw = stream.readline(MAX_LINE)
                if copy is not None:
                    copy.write(raw)
            yield number, None
            continue
        yield number, raw


def _event(raw: bytes | None, bounds: TimeBounds) -> Event:
    if raw is None:
        raise EventError(f"longer than {MAX_LINE} bytes: not one event (one is a few hundred)")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EventError(f"not JSON ({exc})") from exc
    return parse_event(obj, bounds)


def _blank(raw: bytes | None) -> bool:
    return raw is not None and raw.isspace()  # e.g. a trailing empty line


def check(
    stream: IO[bytes],
    bounds: TimeBounds,
    advance: Advance,
    copy: IO[bytes] | None = None,
) -> Checked:
    """Every line checked as the ingest API checks an event (blank lines skipped); the
    bytes read reported to `advance` as it goes; every byte copied to `copy` if given
    (stdin, which cannot be read twice)."""
    checked = Checked()
    unreported = 0
    for number, raw in lines(stream, copy):
        checked.lines = number
        unreported += MAX_LINE if raw is None else len(raw)
        if unreported >= REPORT_EVERY:
            advance(unreported)
            unreported = 0
        if _blank(raw):
            continue
        try:
            _event(raw, bounds)
        except EventError as exc:
            checked.problem(number, str(exc))
        else:
            checked.events += 1
    advance(unreported)
    return checked


def batches(
    stream: IO[bytes], bounds: TimeBounds, size: int, advance: Advance
) -> Iterator[list[Event]]:
    """The events of a checked file in file order, `size` at a time; the bytes of each
    batch reported to `advance` once the caller has stored it (asked for the next).
    FileChanged if a line is invalid after all."""
    batch: list[Event] = []
    unreported = 0
    for number, raw in lines(stream):
        unreported += MAX_LINE if raw is None else len(raw)
        if _blank(raw):
            continue
        try:
            batch.append(_event(raw, bounds))
        except EventError as exc:
            raise FileChanged(f"line {number}: {exc}") from exc
        if len(batch) == size:
            yield batch
            advance(unreported)
            unreported = 0
            batch = []
    if batch:
        yield batch
    advance(unreported)
