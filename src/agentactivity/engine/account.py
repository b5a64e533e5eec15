"""All timelines of one account, and their figures over a set of scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agentactivity.engine.packed import PackedSeries, accrued_one
from agentactivity.engine.timeline import (
    FIGURE_COLUMNS,
    FIGURES_PER_STATE,
    OFFLINE,
    STATE_NAMES_BY_CODE,
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
    """A snapshot of timelines in packed form, for evaluating many agents at once."""

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
    """The engine's view of one account: every agent's timeline and the last seq seen.

    Queries evaluate most agents through a packed snapshot (one searchsorted for all of
    them). Agents changed since the snapshot was taken are evaluated one by one from
    their own, always current, arrays; the snapshot is retaken once too many have
    changed, so its cost is shared by many events instead of paid at every query.
    """

    def __init__(self) -> None:
        self.timelines: dict[int, AgentTimeline] = {}
        self.last_seq = 0
        self._snapshot: _Packing | None = None
        self._changed: set[int] = set()

    def add(self, seq: int, event: Event) -> None:
        timeline = self.timelines.get(event.agent_id)
        if timeline is None:
            timeline = self.timelines[event.agent_id] = AgentTimeline(event.agent_id)
        timeline.add(seq, event)
        self.last_seq = seq
        self._changed.add(event.agent_id)

    def prune(self, before_ms: int) -> None:
        """Forget what no longer matters before `before_ms` (see `retention`)."""
        for agent_id, timeline in list(self.timelines.items()):
            if timeline.prune(before_ms):
                self._changed.add(agent_id)
                if timeline.is_empty:
                    del self.timelines[agent_id]

    def _current_snapshot(self) -> _Packing:
        if self._snapshot is None or len(self._changed) > max(64, len(self.timelines) // 10):
            self._snapshot = _Packing(self.timelines)
            self._changed.clear()
        return self._snapshot

    def figures(
        self, agent_ids: tuple[int, ...] | None, scopes: list[tuple[int, int]]
    ) -> ScopeFigures:
        """ms figures of the asked agents (None: all) over each scope [a, b)."""
        snapshot = self._current_snapshot()
        if agent_ids is None:
            selected = sorted(self.timelines)
        else:
            selected = [a for a in agent_ids if a in self.timelines]
        edges = np.unique(np.array([t for scope in scopes for t in scope], dtype=np.int64))
        lo = np.searchsorted(edges, [a for a, _ in scopes])
        hi = np.searchsorted(edges, [b for _, b in scopes])

        from_snapshot = [
            row for row, a in enumerate(selected) if a not in self._changed and a in snapshot.rank
        ]
        one_by_one = [row for row, a in enumerate(selected) if a in self._changed]

        states = np.zeros((len(selected), len(edges), FIGURE_COLUMNS), dtype=np.int64)
        ranks = np.fromiter((snapshot.rank[selected[r]] for r in from_snapshot), dtype=np.int64)
        states[from_snapshot] = snapshot.states.accrued(ranks, edges)
        for row in one_by_one:
            states[row] = accrued_one(self.timelines[selected[row]].arrays(), edges)

        # Away reasons: the snapshot's series of unchanged agents, then changed ones.
        ranges = snapshot.reason_range[ranks]
        reason_rows = np.repeat(
            np.array(from_snapshot, dtype=np.int64), ranges[:, 1] - ranges[:, 0]
        )
        series = np.concatenate(
            [np.arange(a, b, dtype=np.int64) for a, b in ranges] or [np.zeros(0, np.int64)]
        )
        reason_ids = [snapshot.reason_ids[s] for s in series.tolist()]
        parts = [snapshot.reasons.accrued(series, edges)]
        extra_rows = []
        for row in one_by_one:
            for reason, arrays in self.timelines[selected[row]].reason_arrays().items():
                parts.append(accrued_one(arrays, edges)[None])
                reason_ids.append(reason)
                extra_rows.append(row)
        reasons = np.concatenate(parts)
        reason_rows = np.concatenate([reason_rows, np.array(extra_rows, dtype=np.int64)])
        return ScopeFigures(
            selected,
            states[:, hi] - states[:, lo],
            reason_rows,
            reason_ids,
            reasons[:, hi] - reasons[:, lo],
        )

    def current_state(
        self, agent_ids: tuple[int, ...] | None, as_of: int, window_start: int
    ) -> dict[str, dict[str, Any]]:
        """SPEC section 7's "agents" object: each asked agent (None: all) with an event
        in [window_start, as_of], keyed by id in ascending numeric order, reflecting
        every event with time <= as_of."""
        if agent_ids is None:
            selected = sorted(self.timelines)
        else:
            selected = [a for a in agent_ids if a in self.timelines]
        agents: dict[str, dict[str, Any]] = {}
        for agent_id in selected:
            timeline = self.timelines[agent_id]
            if not timeline.has_event_between(window_start, as_of):
                continue
            situation = timeline.current_at(as_of)
            logged_in = situation.state != OFFLINE
            chats = len(situation.chats)
            agents[str(agent_id)] = {
                "state": STATE_NAMES_BY_CODE[situation.state],
                "reasonId": situation.reason,
                "reasonName": None,  # reason names come with the reason configuration
                "since": situation.since,
                "loggedInSince": situation.logged_in_since if logged_in else None,
                "activeChats": chats,
                "maxChats": situation.max_chats,
                "atMaxConcurrency": logged_in
                and situation.max_chats > 0
                and chats >= situation.max_chats,
            }
        return agents
