"""All timelines of one account, and their figures over a set of scopes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agentactivity.engine.packed import PackedSeries
from agentactivity.engine.timeline import (
    FIGURE_COLUMNS,
    FIGURES_PER_STATE,
    AgentTimeline,
    SegmentArrays,
)
from agentactivity.events import Event


@dataclass(frozen=True, slots=True)
class ScopeFigures:
    """Raw ms figures of the selected agents over each scope.

    `states[a, k]` holds the 9 state columns of agent `agent_ids[a]` in scope k;
    `reasons[r, k]` the (total, chatting, at max) of Away reason `reason_ids[r]` of
    agent row `reason_rows[r]`.
    """

    agent_ids: list[int]
    states: np.ndarray
    reason_rows: np.ndarray
    reason_ids: list[str]
    reasons: np.ndarray


class _Packing:
    """A snapshot of every timeline in packed form, rebuilt after any change."""

    def __init__(self, timelines: dict[int, AgentTimeline]) -> None:
        self.order = sorted(timelines)
        self.rank = {agent: i for i, agent in enumerate(self.order)}
        self.states = PackedSeries([timelines[a].arrays() for a in self.order], FIGURE_COLUMNS)
        reason_series: list[SegmentArrays] = []
        self.reason_ids: list[str] = []
        self.reason_range = np.zeros((len(self.order), 2), dtype=np.int64)
        for i, agent in enumerate(self.order):
            self.reason_range[i, 0] = len(reason_series)
            for reason, arrays in timelines[agent].reason_arrays().items():
                reason_series.append(arrays)
                self.reason_ids.append(reason)
            self.reason_range[i, 1] = len(reason_series)
        self.reasons = PackedSeries(reason_series, FIGURES_PER_STATE)


class AccountTimelines:
    """The engine's view of one account: every agent's timeline and the last seq seen."""

    def __init__(self) -> None:
        self.timelines: dict[int, AgentTimeline] = {}
        self.last_seq = 0
        self._packing: _Packing | None = None

    def add(self, seq: int, event: Event) -> None:
        timeline = self.timelines.get(event.agent_id)
        if timeline is None:
            timeline = self.timelines[event.agent_id] = AgentTimeline(event.agent_id)
        timeline.add(seq, event)
        self.last_seq = seq
        self._packing = None

    def _packed(self) -> _Packing:
        if self._packing is None:
            self._packing = _Packing(self.timelines)
        return self._packing

    def figures(
        self, agent_ids: tuple[int, ...] | None, scopes: list[tuple[int, int]]
    ) -> ScopeFigures:
        """ms figures of the asked agents (None: all) over each scope [a, b)."""
        packing = self._packed()
        if agent_ids is None:
            selected = list(packing.order)
        else:
            selected = [a for a in agent_ids if a in packing.rank]
        ranks = np.fromiter((packing.rank[a] for a in selected), dtype=np.int64)
        edges = np.unique(np.array([t for scope in scopes for t in scope], dtype=np.int64))
        lo = np.searchsorted(edges, [a for a, _ in scopes])
        hi = np.searchsorted(edges, [b for _, b in scopes])

        accrued = packing.states.accrued(ranks, edges)
        states = accrued[:, hi] - accrued[:, lo]

        ranges = packing.reason_range[ranks]
        counts = ranges[:, 1] - ranges[:, 0]
        reason_rows = np.repeat(np.arange(len(ranks)), counts)
        series = (
            np.concatenate([np.arange(a, b) for a, b in ranges])
            if len(ranges)
            else np.zeros(0, dtype=np.int64)
        ).astype(np.int64)
        reason_accrued = packing.reasons.accrued(series, edges)
        reasons = reason_accrued[:, hi] - reason_accrued[:, lo]
        reason_ids = [packing.reason_ids[s] for s in series.tolist()]
        return ScopeFigures(selected, states, reason_rows, reason_ids, reasons)
