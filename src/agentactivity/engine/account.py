"""All timelines of one account, and their figures over a set of scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agentactivity.engine.packed import Packing
from agentactivity.engine.records import ReasonIdInterner
from agentactivity.engine.timeline import (
    FIGURE_COLUMNS,
    FIGURES_PER_STATE,
    OFFLINE,
    STATE_NAMES_BY_CODE,
    AgentTimeline,
)
from agentactivity.events import Event

# The horizon of an account nothing was pruned from.
BEGINNING = -(2**62)


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


class AccountTimelines:
    """The engine's view of one account: every agent's timeline and the last seq seen.

    Queries evaluate agents through a packed snapshot (one searchsorted for all of
    them). Agents changed since the snapshot was taken are evaluated from a second,
    small packing of the changed agents the query selects; the snapshot is retaken
    once too many agents have changed, so its cost is shared by many events instead
    of paid at every query.
    """

    def __init__(self) -> None:
        self.timelines: dict[int, AgentTimeline] = {}
        self.reasons = ReasonIdInterner()
        self.last_seq = 0
        # Figures are exact from `horizon` on: what came before it was pruned (only each
        # agent's situation there is kept). An event older than the horizon (history
        # imported late) cannot be inserted into a pruned timeline: its agent is listed
        # in `stale` until the caller replaces its timeline from the store.
        self.horizon = BEGINNING
        self.stale: set[int] = set()
        self._snapshot: Packing | None = None
        self._changed: set[int] = set()
        self._delta: Packing | None = None  # the changed agents, while `_changed` holds
        self._sorted_ids: list[int] | None = None

    def add(self, seq: int, event: Event) -> None:
        if event.time < self.horizon:
            self.stale.add(event.agent_id)
            self.last_seq = seq
            return
        timeline = self.timelines.get(event.agent_id)
        if timeline is None:
            timeline = self.timelines[event.agent_id] = AgentTimeline(event.agent_id, self.reasons)
            self._sorted_ids = None
        timeline.add(seq, event)
        self.last_seq = seq
        self._changed.add(event.agent_id)
        self._delta = None

    def replace(self, agent_id: int, events: list[tuple[int, Event]]) -> None:
        """Rebuild one agent's timeline from the events that decide it from the horizon
        on (store.read_window), as if they had been applied one by one and pruned."""
        timeline = AgentTimeline(agent_id, self.reasons)
        for seq, event in sorted(events, key=lambda row: (row[1].time, row[0])):
            timeline.add(seq, event)
        if not timeline.prune(self.horizon):
            timeline.compact()
        if timeline.is_empty:
            self.timelines.pop(agent_id, None)
        else:
            self.timelines[agent_id] = timeline
        self._sorted_ids = None
        self._changed.add(agent_id)
        self._delta = None
        self.stale.discard(agent_id)

    def prune(self, before_ms: int) -> None:
        """Forget what no longer matters before `before_ms` (see `retention`)."""
        self.horizon = max(self.horizon, before_ms)
        for agent_id, timeline in list(self.timelines.items()):
            if timeline.prune(before_ms):
                self._changed.add(agent_id)
                self._delta = None
                if timeline.is_empty:
                    del self.timelines[agent_id]
                    self._sorted_ids = None

    def sorted_ids(self) -> list[int]:
        if self._sorted_ids is None:
            self._sorted_ids = sorted(self.timelines)
        return self._sorted_ids

    def _snapshot_now(self) -> Packing:
        if self._snapshot is None or len(self._changed) > max(64, len(self.timelines) // 10):
            ids = self.sorted_ids()
            self._snapshot = Packing([self.timelines[a] for a in ids], self.reasons)
            self._changed.clear()
            self._delta = None
        return self._snapshot

    def _changed_packing(self, selected: list[int]) -> Packing | None:
        """A packing of the selected agents changed since the snapshot (None: none).

        The packing of all changed agents is kept until the next change; a query that
        selects only some of them packs just those."""
        if not self._changed:
            return None
        if self._delta is not None:
            return self._delta
        chosen = sorted(a for a in selected if a in self._changed)
        if not chosen:
            return None
        complete = len(chosen) == sum(1 for a in self._changed if a in self.timelines)
        packing = Packing([self.timelines[a] for a in chosen], self.reasons)
        if complete:
            self._delta = packing
        return packing

    def figures(
        self, agent_ids: tuple[int, ...] | None, scopes: list[tuple[int, int]]
    ) -> ScopeFigures:
        """ms figures of the asked agents (None: all) over each scope [a, b)."""
        snapshot = self._snapshot_now()
        if agent_ids is None:
            selected = self.sorted_ids()
        else:
            selected = [a for a in agent_ids if a in self.timelines]
        delta = self._changed_packing(selected)
        edge_list = sorted({t for scope in scopes for t in scope})
        edges = np.array(edge_list, dtype=np.int64)
        position = {t: i for i, t in enumerate(edge_list)}
        lo = [position[a] for a, _ in scopes]
        hi = [position[b] for _, b in scopes]

        ids = np.array(selected, dtype=np.int64)
        parts = [(snapshot, np.arange(len(selected)))]
        if delta is not None:  # agents changed since the snapshot come from `delta`
            changed = np.isin(ids, delta.agent_ids)
            parts = [(snapshot, np.nonzero(~changed)[0]), (delta, np.nonzero(changed)[0])]
        states = np.zeros((len(selected), len(edges), FIGURE_COLUMNS), dtype=np.int64)
        reason_rows, reason_ids, reason_parts = [], [], []
        for packing, rows in parts:
            if not len(rows):
                continue
            part, owners, ids_of_series, reasons = packing.figures(packing.ranks(ids[rows]), edges)
            states[rows] = part
            reason_rows.append(rows[owners])
            reason_ids.extend(ids_of_series)
            reason_parts.append(reasons)
        if len(reason_parts) == 1:
            reasons, rows_of_reasons = reason_parts[0], reason_rows[0]
        elif reason_parts:
            reasons, rows_of_reasons = np.concatenate(reason_parts), np.concatenate(reason_rows)
        else:
            reasons = np.zeros((0, len(edges), FIGURES_PER_STATE), dtype=np.int64)
            rows_of_reasons = np.zeros(0, dtype=np.int64)
        return ScopeFigures(
            selected,
            states[:, hi] - states[:, lo],
            rows_of_reasons,
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
