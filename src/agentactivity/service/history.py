"""Figures over windows older than the engine's horizon, read from the store on demand.

The engine holds the live window (AGENTACTIVITY_RETENTION_DAYS) and each agent's
situation at its start; the store keeps the history (AGENTACTIVITY_HISTORY_DAYS). A
query reaching before the engine's horizon reads the events that decide its window
(store.read_window: the window's events plus, per agent, those since its last logout
before it), builds throwaway timelines and computes the figures from them exactly as
the engine does. The cost is that of the window, not of the history: about one read
and one timeline step per event in the window. At most `max_concurrent` such reads run
at once in a process, so a burst of old queries queues behind them instead of taking
every thread and the store from the live ones.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence

from agentactivity.engine.account import AccountTimelines
from agentactivity.events import Event
from agentactivity.store import Store

# A window end that no event reaches.
FOREVER = 2**62


def by_agent(
    events: list[tuple[int, Event]], agent_ids: Sequence[int] = ()
) -> dict[int, list[tuple[int, Event]]]:
    """(seq, event) rows grouped by agent (each agent of `agent_ids` present, maybe empty)."""
    grouped: dict[int, list[tuple[int, Event]]] = defaultdict(list)
    for agent_id in agent_ids:
        grouped[agent_id] = []
    for seq, event in events:
        grouped[event.agent_id].append((seq, event))
    return grouped


class History:
    def __init__(self, store: Store, max_concurrent: int = 2) -> None:
        self._store = store
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def timelines(
        self, account_id: str, agent_ids: tuple[int, ...] | None, start: int, end: int
    ) -> AccountTimelines:
        """Timelines of the asked agents (None: all) exact over [start, end), from every
        event the store holds now."""
        with self._slots:
            max_seq = self._store.last_seq(account_id)
            events = self._store.read_window(account_id, start, end, agent_ids, max_seq)
            timelines = AccountTimelines()
            for agent_id, rows in by_agent(events).items():
                timelines.replace(agent_id, rows)
            timelines.last_seq = max_seq
            return timelines
