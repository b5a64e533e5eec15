"""The service: the store and the engine kept in step.

Every write goes to the store first; the engine then catches up by sequence. Before a
query the engine catches up too, so that an event acknowledged by any process sharing
the store is in the very next answer (read-your-writes).
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
from collections.abc import Mapping
from typing import Any

import orjson

from agentactivity.clock import Clock, now_ms
from agentactivity.directory import DirectorySnapshot
from agentactivity.engine import Engine
from agentactivity.engine.account import AccountTimelines, ScopeFigures
from agentactivity.events import Event, TimeBounds, checked_batch
from agentactivity.no_wait import WouldWait, waiting_forbidden
from agentactivity.query import ActivityQuery
from agentactivity.service.directory import DirectoryCache
from agentactivity.service.history import FOREVER, History, by_agent
from agentactivity.service.live_state import LiveState
from agentactivity.service.reason_names import ReasonNames
from agentactivity.service.snapshots import Snapshots, snapshot_directory
from agentactivity.service.status_changes import StatusPage, selected_agents, status_page
from agentactivity.settings import Settings
from agentactivity.status_changes import StatusQuery
from agentactivity.store import AppendResult, Store

log = logging.getLogger("agentactivity.service")
YOUNG_GC_THRESHOLD = 100_000  # allocations between two young-generation collections
LOAD_AGENTS_PER_READ = 500


class ActivityService:
    def __init__(
        self, store: Store, settings: Settings, clock: Clock = now_ms, answers: bool = True
    ) -> None:
        self.store = store
        # False: a writer only (`agentactivity consume`), whose engine stays empty; the
        # servers answering on the store catch up with what it stores.
        self.answers = answers
        self.settings = settings
        self.clock = clock
        self.engine = Engine(settings.state_names)
        self.history = History(store, settings.max_history_reads)
        self._catch_up_lock = threading.Lock()
        self._reason_names = ReasonNames(store)
        self._directory = DirectoryCache(store)
        # Events this process stored / found already stored, for the metrics.
        self._ingest_lock = threading.Lock()
        self._accepted = 0
        self._duplicates = 0
        # Agents' current state and the change feed of the live stream
        # (service/live_state.py), fed by `_apply`.
        self.live = LiveState(
            store,
            self.engine,
            settings,
            clock,
            self._catch_up_lock,
            self._catch_up_locked,
            self.catch_up_if_behind,
            self.directory,
            self.name_reasons,
            self.account_ids,
        )
        # Engine snapshots (None: off): read at start-up, written by `serve`.
        directory = snapshot_directory(settings)
        self.snapshots = (
            Snapshots(directory, store, self.engine, self._catch_up_lock) if directory else None
        )

    def load(self) -> int:
        """Rebuild the engine from the store (the live window and each agent's situation
        at its start); returns the number of events read."""
        loaded = sum(self._load_account(account_id) for account_id in self.account_ids())
        # The engine's objects live as long as the process: keep the cyclic garbage
        # collector from walking them again and again (a full pass over a large engine
        # costs more than a query).
        gc.freeze()
        # An answer for many agents allocates a few hundred thousand objects; with the
        # default threshold (700) the collector runs hundreds of times while one is
        # built (a quarter of Q2's time at 10,000 agents). Young collections stay
        # cheap, they just run less often.
        gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])
        return loaded

    def account_ids(self) -> list[str]:
        """The stored accounts this server holds (all, unless `serve --partition`)."""
        return self.settings.partition.only_held(self.store.account_ids())

    def _last_seqs(self) -> dict[str, int]:
        """{account: last stored sequence} of the accounts this server holds."""
        partition = self.settings.partition
        return {a: seq for a, seq in self.store.last_seqs().items() if partition.holds(a)}

    def _load_account(self, account_id: str) -> int:
        """Take the account's snapshot if valid (service/snapshots.py), else read its live
        window agent by agent (a bounded piece of memory at a time); then catch up with
        whatever was stored after."""
        horizon = self.clock() - self.settings.retention_ms
        read = 0
        with self._catch_up_lock:
            if self.snapshots is not None and self.snapshots.restore(account_id, horizon):
                # Older than the window now: left to the pruning pass that follows
                # start-up in the background (figures stay exact from any horizon).
                return self._catch_up_locked(account_id)
            last_seq = self.store.last_seq(account_id)
            agents = self.store.agent_ids(account_id)
            self.engine.load(account_id, {}, horizon)
            for i in range(0, len(agents), LOAD_AGENTS_PER_READ):
                chunk = agents[i : i + LOAD_AGENTS_PER_READ]
                read += self._load_agents(account_id, chunk, horizon, last_seq)
            self.engine.set_last_seq(account_id, last_seq)
            return read + self._catch_up_locked(account_id)

    def _load_agents(self, account_id: str, agents: list[int], horizon: int, last_seq: int) -> int:
        """Set the agents' timelines from the events (seq <= last_seq) that decide them
        from `horizon` on; returns the number of events read."""
        events = self.store.read_window(account_id, horizon, FOREVER, agents, last_seq)
        self.engine.load(account_id, by_agent(events, agents), horizon)
        return len(events)

    def answer_from_store(self, account_id: str) -> None:
        """Answer every window of the account from the store (service/history.py), with
        nothing in the engine: for one-off readers such as the report command, whose
        figures reach back anywhere in the history."""
        with self._catch_up_lock:
            self.engine.load(account_id, {}, FOREVER)
            self.engine.set_last_seq(account_id, self.store.last_seq(account_id))

    def catch_up(self, account_id: str) -> int:
        """Feed the engine every stored event it has not seen yet."""
        with self._catch_up_lock:
            return self._catch_up_locked(account_id)

    def catch_up_if_behind(self, account_id: str) -> None:
        """Catch up when the store holds events the engine has not seen (other servers',
        workers', `import`'s): one short read of the store's last seq when it does not.
        On the event loop (no_wait.py) a catch-up raises WouldWait instead."""
        if self.store.last_seq(account_id) > self.engine.last_seq(account_id):
            if waiting_forbidden():
                raise WouldWait("events to catch up on")
            self.catch_up(account_id)

    def _catch_up_locked(self, account_id: str) -> int:
        read = 0
        after = self.engine.last_seq(account_id)
        while True:
            batch = self.store.read_after(account_id, after)
            if not batch:
                return read
            self._apply(account_id, batch)
            after = batch[-1][0]
            read += len(batch)

    def _apply(
        self, account_id: str, batch: list[tuple[int, Event]] | tuple[tuple[int, Event], ...]
    ) -> None:
        """Every event reaches the engine here (catch-up lock held): the change feed
        publishes what it changed before the ingest that stored it is acknowledged."""
        self.engine.apply(account_id, batch)
        stale = sorted(self.engine.stale_agents(account_id))
        if stale:
            # History older than the horizon (an import): those agents' situation at the
            # horizon may have changed; rebuild them from the store.
            horizon, last_seq = self.engine.horizon(account_id), self.engine.last_seq(account_id)
            self._load_agents(account_id, stale, horizon, last_seq)
        self.live.applied(account_id, batch)

    def prune(self, store: bool = True) -> int:
        """Forget events that nothing after the edge depends on: in the store before the
        history (AGENTACTIVITY_HISTORY_DAYS), in the engine before the live window
        (AGENTACTIVITY_RETENTION_DAYS). Returns the number of events deleted from the store.

        With `store=False` only the engine forgets: for processes sharing a store that
        another one prunes (the workers of `serve --workers N`)."""
        now = self.clock()
        deleted = 0
        for account_id in self.account_ids():
            if store:
                deleted += self.store.prune(account_id, now - self.settings.history_ms)
            self.engine.prune(account_id, now - self.settings.retention_ms)
        return deleted

    def start_pruning(self, every_s: float, store: bool = True) -> threading.Event:
        """Prune now and then every `every_s` seconds in a daemon thread; set the
        returned event to stop."""
        stop = threading.Event()

        def loop() -> None:
            while True:
                try:
                    deleted = self.prune(store)
                    if store:
                        log.info("retention: pruned %d events", deleted)
                    else:
                        log.info("retention: pruned the engine (the store is pruned by another)")
                except Exception:  # keep serving; the next round tries again
                    log.exception("retention: pruning failed")
                if stop.wait(every_s):
                    return

        threading.Thread(target=loop, name="retention", daemon=True).start()
        return stop

    def ingest_items(self, account_id: str, items: list[Any]) -> AppendResult:
        """Validate raw events as one atomic batch (BatchRefused: nothing stored) and
        store them: the front door of every producer, HTTP or connector."""
        settings = self.settings
        bounds = TimeBounds.around(self.clock(), settings.retention_ms)
        return self.ingest(account_id, checked_batch(items, bounds, settings.max_batch_events))

    def ingest(self, account_id: str, events: list[Event]) -> AppendResult:
        result = self.store.append(account_id, events)
        with self._ingest_lock:
            self._accepted += result.accepted
            self._duplicates += result.duplicates
        if not self.answers:
            return result
        with self._catch_up_lock:
            # The batch just stored goes straight to the engine when it is next in line;
            # otherwise (another writer came between) the engine reads from the store.
            first_seq = result.last_seq - len(result.stored) + 1
            if result.stored and self.engine.last_seq(account_id) == first_seq - 1:
                self._apply(account_id, result.stored)
            if self.engine.last_seq(account_id) < result.last_seq:
                self._catch_up_locked(account_id)
        return result

    def ingest_counts(self) -> tuple[int, int]:
        """Events accepted and duplicates found by `ingest` since this service started."""
        with self._ingest_lock:
            return self._accepted, self._duplicates

    def catch_up_all(self) -> int:
        """Catch up every account the store is ahead on; returns the events applied."""
        return sum(
            self.catch_up(account_id)
            for account_id, last_seq in self._last_seqs().items()
            if last_seq > self.engine.last_seq(account_id)
        )

    def lag(self) -> int:
        """Stored events the engine has not applied yet, over all accounts (one query).

        Raises whatever the store raises when it cannot answer."""
        return sum(
            max(0, last_seq - self.engine.last_seq(account_id))
            for account_id, last_seq in self._last_seqs().items()
        )

    def agent_activity_json(
        self, account_id: str, query: ActivityQuery, now_ms: int | None = None
    ) -> bytes:
        """The response body as JSON; `now_ms` is the instant the request was validated
        against. Raises UnknownGroups for an unknown or deleted id of `agentGroupIds`.

        On the event loop (no_wait.py) anything beyond the engine's memory and one short
        store read (the directory, a catch-up, the history) raises WouldWait instead."""
        directory = None
        if query.agent_group_ids is not None or query.group_totals:
            if waiting_forbidden():
                raise WouldWait("the directory is read")
            # One snapshot for the filter and the rollups: membership as it is now.
            directory = self.directory(account_id)
            selected = directory.select(query.agent_ids, query.agent_group_ids)
            query = dataclasses.replace(query, agent_ids=selected)
        self.catch_up_if_behind(account_id)
        now = self.clock() if now_ms is None else now_ms
        past = self._past(account_id, query.agent_ids, *query.window(now))
        return self.engine.agent_activity_json(account_id, query, now, directory, past)

    def scope_figures(
        self, account_id: str, agent_ids: tuple[int, ...] | None, scopes: list[tuple[int, int]]
    ) -> ScopeFigures:
        """Raw ms figures of the asked agents (None: all) over each scope [a, b), after
        catching up (reports and other callers that render figures their own way)."""
        self.catch_up_if_behind(account_id)
        start, end = min(a for a, _ in scopes), max(b for _, b in scopes)
        past = self._past(account_id, agent_ids, start, end)
        if past is not None:
            return past.figures(agent_ids, scopes)
        return self.engine.figures(account_id, agent_ids, scopes)

    def _past(
        self, account_id: str, agent_ids: tuple[int, ...] | None, start: int, end: int
    ) -> AccountTimelines | None:
        """Timelines read from the store when [start, end) begins before the engine's
        horizon (the live window), else None: the engine answers. On the event loop
        (no_wait.py) such a read raises WouldWait instead."""
        if start >= self.engine.horizon(account_id):
            return None
        if waiting_forbidden():
            raise WouldWait("the history is read")
        return self.history.timelines(account_id, agent_ids, start, end)

    def agent_activity(
        self, account_id: str, query: ActivityQuery, now_ms: int | None = None
    ) -> dict[str, Any]:
        """The same answer, decoded."""
        decoded: dict[str, Any] = orjson.loads(self.agent_activity_json(account_id, query, now_ms))
        return decoded

    def status_changes(
        self, account_id: str, query: StatusQuery, group_ids: tuple[str, ...] | None = None
    ) -> StatusPage:
        """SPEC section 9's page of status changes, of the agents `query` asks for
        within the agent groups `group_ids` (None: any). Raises UnknownGroups."""
        directory = self.directory(account_id)
        agents = selected_agents(directory, query, group_ids)
        reasons = self.reason_names(account_id)
        return status_page(self.store, account_id, query, agents, directory, reasons)

    def select_agents(
        self,
        account_id: str,
        agent_ids: tuple[int, ...] | None,
        group_ids: tuple[str, ...] | None,
        strict: bool = True,
    ) -> tuple[tuple[int, ...] | None, tuple[int, int]]:
        """`agentIds` within the members of `agentGroupIds` now, and the directory
        revision that says so. Unknown or deleted group ids raise UnknownGroups, unless
        not `strict` (a stream open while a group it asked for is deleted): then they
        select nobody."""
        directory = self.directory(account_id)
        if not strict and group_ids is not None:
            group_ids = tuple(group for group in group_ids if group in directory.groups)
        return directory.select(agent_ids, group_ids), directory.revision

    def reason_names(self, account_id: str) -> Mapping[str, str]:
        """{reasonId: text} from the account's status reasons (deleted ones included),
        as of the store's current revision of them."""
        return self._reason_names.names(account_id)

    def name_reasons(self, account_id: str, agents: Mapping[str, dict[str, Any]]) -> None:
        """Fill `reasonName` in agent-state objects ({agentId: object}) from their
        `reasonId`: the one place every producer of such objects names reasons."""
        self._reason_names.name(account_id, agents)

    def directory(self, account_id: str) -> DirectorySnapshot:
        """The account's users and agent groups (not deleted), as of the store's current
        revisions of both: one cheap read per call, the items re-read only when changed."""
        return self._directory.snapshot(account_id)
