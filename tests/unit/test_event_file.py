"""cli/event_file.py: the two passes of `import` over an NDJSON file, line by line."""

from __future__ import annotations

import io

import orjson
import pytest

from agentactivity.cli import event_file
from agentactivity.cli.event_file import MAX_LINE, MAX_PROBLEMS, FileChanged
from agentactivity.events import TimeBounds

BOUNDS = TimeBounds(oldest=1_000, newest=2**63 - 1, window="the history")


def line(i: int, **extra: object) -> bytes:
    event = {"type": "state", "agentId": str(i % 7 + 1), "time": 5_000 + i, "eventId": f"e{i}"}
    return orjson.dumps({**event, "state": "ONLINE", **extra}) + b"\n"


def test_the_first_pass_counts_lines_and_names_each_problem_by_line() -> None:
    data = line(1) + b"\n" + line(2, state="NAPPING") + b"{oops\n" + line(3, time=10) + line(4)
    reported: list[int] = []
    checked = event_file.check(io.BytesIO(data), BOUNDS, reported.append)
    assert (checked.lines, checked.events, checked.invalid) == (6, 2, 3)
    assert checked.problems[0].startswith("line 3: state must be one of")
    assert checked.problems[1].startswith("line 4: not JSON")
    assert checked.problems[2].startswith("line 5: time 10 is older than the history")
    assert sum(reported) == len(data)


def test_only_the_first_problems_are_kept_but_all_are_counted() -> None:
    data = b"".join(b"nope\n" if i % 2 else line(i) for i in range(3 * MAX_PROBLEMS * 2))
    checked = event_file.check(io.BytesIO(data), BOUNDS, lambda n: None)
    assert checked.invalid == 3 * MAX_PROBLEMS
    assert len(checked.problems) == MAX_PROBLEMS
    assert checked.problems[-1].startswith(f"line {2 * MAX_PROBLEMS}: not JSON")


def test_a_line_too_long_for_an_event_is_a_problem_and_the_count_goes_on() -> None:
    huge = b'{"type": "state", "pad": "' + b"x" * (3 * MAX_LINE) + b'"}\n'
    data = line(1) + huge + line(2)
    checked = event_file.check(io.BytesIO(data), BOUNDS, lambda n: None)
    assert (checked.lines, checked.events, checked.invalid) == (3, 2, 1)
    assert checked.problems == [
        f"line 2: longer than {MAX_LINE} bytes: not one event (one is a few hundred)"
    ]


def test_the_copy_is_the_input_byte_for_byte() -> None:
    data = line(1) + b'{"type": "x", "pad": "' + b"y" * (MAX_LINE + 5) + b'"}\n' + line(2)[:-1]
    copy = io.BytesIO()
    checked = event_file.check(io.BytesIO(data), BOUNDS, lambda n: None, copy=copy)
    assert copy.getvalue() == data
    assert checked.lines == 3 and checked.events == 2  # the last line has no newline


def test_the_second_pass_yields_batches_in_file_order() -> None:
    data = b"".join(line(i) for i in range(10)) + b"\n"
    reported: list[int] = []
    batches = list(event_file.batches(io.BytesIO(data), BOUNDS, 4, reported.append))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert [e.event_id for b in batches for e in b] == [f"e{i}" for i in range(10)]
    assert sum(reported) == len(data)


def test_the_second_pass_stops_at_a_line_the_first_did_not_see() -> None:
    data = line(1) + line(2) + b"changed\n" + line(3)
    batches = event_file.batches(io.BytesIO(data), BOUNDS, 1, lambda n: None)
    assert len(next(batches)) == 1 and len(next(batches)) == 1
    with pytest.raises(FileChanged, match="line 3: not JSON"):
        next(batches)
