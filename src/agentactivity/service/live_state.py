"""The live state of agents (SPEC section 7) and its change feed: what `GET .../agentstate`
lists, the state gauges read, and the live stream follows.

Every agent-state object is made here (`_state_body`): the engine's current state with
reason names and the directory's fields filled in. The change feed (feed.py) is fed
with the batches the service applies to the engine, under the service's catch-up lock,
so changes are published in the order events reach the engine; streams sync it with the
store every poll interval and open on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from agentactivity.clock import Clock
from agentactivity.directory import DirectorySnapshot
from agentactivity.engine import Engine
from agentactivity.events import Event
from agentactivity.feed import ChangeFeed, Evaluate, FeedStart
from agentactivity.settings import Settings
from agentactivity.store import Store


class LiveState:
    """Agents' current state and its change feed, over the service's store and engine.

    Takes from the service what it shares with it: the catch-up lock and the catch-up
    that runs under it (so the feed sees events in the engine's order), the catch-up a
    listing makes when the store is ahead, the directory
    snapshots, the reason names and the accounts this server holds."""

    def __init__(
        self,
        store: Store,
        engine: Engine,
        settings: Settings,
        clock: Clock,
        catch_up_lock: threading.Lock,
        catch_up_locked: Callable[[str], int],
        catch_up_if_behind: Callable[[str], None],
        directory: Callable[[str], DirectorySnapshot],
        name_reasons: Callable[[str, Mapping[str, dict[str, Any]]], None],
        account_ids: Callable[[], list[str]],
    ) -> None:
        self._store = store
        self._engine = engine
        self._settings = settings
        self._clock = clock
        self._catch_up_lock = catch_up_lock
        self._catch_up_locked = catch_up_locked
        self._catch_up_if_behind = catch_up_if_behind
        self._directory = directory
        self._name_reasons = name_reasons
        self._account_ids = account_ids
        # Changes of agents' current state, for the live stream (fed under the catch-up
        # lock, so in the order events reach the engine).
        self.feed = ChangeFeed(settings.stream_log_size)
        self._feed_revisions: dict[str, int] = {}  # reasons revision each feed last saw
        # The directory revision each feed last saw (streams filtered by agent groups
        # compare it with the one they selected their agents at).
        self._feed_directories: dict[str, tuple[int, int]] = {}

    def current_state(
        self,
        account_id: str,
        agent_ids: tuple[int, ...] | None,
        as_of: int,
        group_ids: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        """SPEC section 7's current state at `as_of` (epoch ms), after catching up, of
        the agents asked (None: all) within the agent groups asked (None: any). Raises
        UnknownGroups for an unknown or deleted group id."""
        directory = self._directory(account_id)
        agent_ids = directory.select(agent_ids, group_ids)
        self._catch_up_if_behind(account_id)
        return self._state_body(account_id, agent_ids, as_of, directory)

    def feed_directory_revision(self, account_id: str) -> tuple[int, int] | None:
        """The directory revision the account's change feed last published objects at."""
        return self._feed_directories.get(account_id)

    def current_states(self, as_of: int) -> dict[str, dict[str, Any]]:
        """Every stored account's current-state listing at `as_of` as the engine has it
        (no catch-up: for the metrics, read at every scrape)."""
        return {
            account_id: self._state_body(account_id, None, as_of)["agents"]
            for account_id in self._account_ids()
        }

    def _state_body(
        self,
        account_id: str,
        agent_ids: tuple[int, ...] | None,
        as_of: int,
        directory: DirectorySnapshot | None = None,
    ) -> dict[str, Any]:
        """The one place state objects are made, for the listing and the stream alike."""
        window_start = as_of - self._settings.retention_ms
        answer = self._engine.current_state(account_id, agent_ids, as_of, window_start)
        self._name_reasons(account_id, answer["agents"])
        label_agents(answer["agents"], directory or self._directory(account_id))
        return answer

    def _evaluator(self, account_id: str) -> Evaluate:
        def evaluate(agent_ids: tuple[int, ...] | None, as_of: int) -> dict[str, Any]:
            agents: dict[str, Any] = self._state_body(account_id, agent_ids, as_of)["agents"]
            return agents

        return evaluate

    # --- the live stream -----------------------------------------------------------------

    def applied(
        self, account_id: str, batch: list[tuple[int, Event]] | tuple[tuple[int, Event], ...]
    ) -> None:
        """Events the service just applied to the engine (catch-up lock held): publish
        what they changed."""
        self.feed.applied(
            account_id,
            batch,
            self._clock(),
            self._evaluator(account_id),
            self._engine.last_seq(account_id),
        )

    def sync_feed(self, account_id: str) -> None:
        """Apply events other processes stored and publish changes that came due (the
        streams of an account call this every poll interval)."""
        with self._catch_up_lock:
            self._sync_feed_locked(account_id)

    def _sync_feed_locked(self, account_id: str) -> None:
        # Read before anything is evaluated: a rename racing with this sync is caught
        # by the next one.
        revision = self._store.reasons.revision(account_id)
        directory = self._directory(account_id).revision
        if self._store.last_seq(account_id) > self._engine.last_seq(account_id):
            self._catch_up_locked(account_id)
        now, evaluate = self._clock(), self._evaluator(account_id)
        watermark = self._engine.last_seq(account_id)
        self.feed.run_due(account_id, now, evaluate, watermark)
        if (
            self._feed_revisions.get(account_id, revision) != revision
            or self._feed_directories.get(account_id, directory) != directory
        ):
            # Reason names or the directory changed: objects of agents Away with a
            # reason, or renamed, or moved to another group, may read anew.
            self.feed.reevaluate(account_id, now, evaluate, watermark)
        self._feed_revisions[account_id] = revision
        self._feed_directories[account_id] = directory

    def open_feed(
        self,
        account_id: str,
        last_event_id: int | None,
        agent_ids: tuple[int, ...] | None = None,
    ) -> FeedStart:
        """Where a stream of the account starts: in step with the store first, then a
        resume after `last_event_id` or a snapshot (see feed.ChangeFeed.start)."""
        with self._catch_up_lock:
            self._sync_feed_locked(account_id)
            return self.feed.start(
                account_id,
                last_event_id,
                self._clock(),
                self._evaluator(account_id),
                self._engine.last_seq(account_id),
                agent_ids,
            )


def label_agents(agents: Mapping[str, dict[str, Any]], directory: DirectorySnapshot) -> None:
    """Add the directory's fields to agent-state objects ({agentId: object}, SPEC 8)."""
    for agent_id, agent in agents.items():
        label = directory.label(int(agent_id))
        agent["agentName"] = label.name
        agent["employeeId"] = label.employee_id
        agent["agentGroupId"] = label.group_id
