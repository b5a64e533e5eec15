"""Timing one figure: the median of repeated runs after a warm-up, within a time budget.

`python -m bench` times Q1-Q4 in-process, their floor, DuckDB and over HTTP with `Timer`;
its options `--repeat`, `--min-runs` and `--budget` are the three numbers of `Timer`."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


class Timer:
    """Median of repeated runs: at least `min_runs`, at most `repeat`, and no more once
    `budget_s` seconds have been spent (after `min_runs`). One untimed warm-up first."""

    def __init__(self, repeat: int, min_runs: int, budget_s: float) -> None:
        self.repeat, self.min_runs, self.budget_s = repeat, min_runs, budget_s

    def __call__(
        self, fn: Callable[[], Any], advance: Callable[[int], None] | None = None
    ) -> dict[str, Any]:
        t0 = time.perf_counter()
        result = fn()
        cold = time.perf_counter() - t0
        times: list[float] = []
        spent = 0.0
        while len(times) < self.repeat and (len(times) < self.min_runs or spent < self.budget_s):
            t0 = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - t0
            times.append(elapsed)
            spent += elapsed
            if advance:
                advance(1)
        return {
            "median_ms": statistics.median(times) * 1000,
            "min_ms": min(times) * 1000,
            "max_ms": max(times) * 1000,
            "runs": len(times),
            "first_ms": cold * 1000,
            "result": result,
        }


def without_result(measure: dict[str, Any]) -> dict[str, Any]:
    """A measure of `Timer` without the value its function returned."""
    return {k: v for k, v in measure.items() if k != "result"}
