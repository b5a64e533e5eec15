"""The engine: an in-memory, always-current index of every account's timelines.

It is a cache of the store. Callers feed it events in store order (`apply`), and ask
for figures (`agent_activity`). It does no I/O.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import orjson

from agentactivity.directory import DirectorySnapshot
from agentactivity.engine.account import BEGINNING, AccountTimelines, ScopeFigures
from agentactivity.engine.frozen import FrozenAccount, freeze, thaw
from agentactivity.engine.render import assemble, render, scope_texts
from agentactivity.engine.scope_cache import DEFAULT_MAX_BYTES, ScopeCache
from agentactivity.events import Event
from agentactivity.no_wait import WouldWait, held
from agentactivity.query import ActivityQuery, StateNames, interval_scopes


class Engine:
    def __init__(
        self, names: StateNames | None = None, cache_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.names = names or StateNames()
        self._accounts: dict[str, AccountTimelines] = {}
        self._lock = threading.RLock()
        # Rendered scopes for the next identical query, dropped by any event before
        # their end (engine/scope_cache.py).
        self._scopes = ScopeCache(cache_bytes)

    def _writable(self, account_id: str) -> AccountTimelines:
        """The account's timelines, created empty if new (the lock held)."""
        account = self._accounts.get(account_id)
        if account is None:
            account = self._accounts[account_id] = AccountTimelines()
        return account

    def apply(self, account_id: str, events: Iterable[tuple[int, Event]]) -> None:
        """Add events in store order; sequences already seen are skipped."""
        with self._lock:
            account = self._writable(account_id)
            oldest: int | None = None
            for seq, event in events:
                if seq > account.last_seq:
                    account.add(seq, event)
                    if oldest is None or event.time < oldest:
                        oldest = event.time
            if oldest is not None:
                self._scopes.invalidate(account_id, oldest)

    def load(
        self, account_id: str, agents: dict[int, list[tuple[int, Event]]], horizon: int
    ) -> None:
        """Set agents' timelines from the events that decide them from `horizon` on
        (store.read_window), pruned at `horizon`: the start-up's load, agent by agent."""
        with self._lock:
            account = self._writable(account_id)
            account.horizon = max(account.horizon, horizon)
            for agent_id, events in agents.items():
                account.replace(agent_id, events)
            self._scopes.clear(account_id)

    def freeze(self, account_id: str) -> FrozenAccount | None:
        """A copy of the account's timelines for a snapshot (None: no such account). The
        lock is held for the copy only; the caller encodes and writes it outside."""
        with self._lock:
            account = self._accounts.get(account_id)
            return freeze(account) if account is not None else None

    def restore(self, account_id: str, frozen: FrozenAccount) -> None:
        """Set the account's timelines from a snapshot (engine/frozen.py), replacing any:
        the start-up's load when a valid snapshot is found. ValueError if it is not
        self-consistent (the engine is then left as it was)."""
        account = thaw(frozen)
        with self._lock:
            self._accounts[account_id] = account
            self._scopes.clear(account_id)  # answers kept before are not of these timelines

    def set_last_seq(self, account_id: str, last_seq: int) -> None:
        """After a load: every event up to `last_seq` is reflected."""
        with self._lock:
            account = self._writable(account_id)
            account.last_seq = max(account.last_seq, last_seq)

    def horizon(self, account_id: str) -> int:
        """Figures of the account are exact from this instant on (see AccountTimelines)."""
        with held(self._lock):
            account = self._accounts.get(account_id)
            return account.horizon if account else BEGINNING

    def stale_agents(self, account_id: str) -> set[int]:
        """Agents given events older than the horizon: replace them from the store."""
        with self._lock:
            account = self._accounts.get(account_id)
            return set(account.stale) if account else set()

    def prune(self, account_id: str, before_ms: int) -> None:
        with self._lock:
            account = self._accounts.get(account_id)
            if account is not None:
                account.prune(before_ms)
                self._scopes.clear(account_id)

    def last_seq(self, account_id: str) -> int:
        with held(self._lock):
            account = self._accounts.get(account_id)
            return account.last_seq if account else 0

    def holdings(self) -> dict[str, int]:
        """{account: agents with a timeline} of every account in memory (the metrics show
        what a partition holds)."""
        with self._lock:
            return {a: len(account.timelines) for a, account in self._accounts.items()}

    def account(self, account_id: str) -> AccountTimelines | None:
        """The account's timelines (for checks and measurements: the caller reads them
        while nothing else changes the engine)."""
        with self._lock:
            return self._accounts.get(account_id)

    def figures(
        self, account_id: str, agent_ids: tuple[int, ...] | None, scopes: list[tuple[int, int]]
    ) -> ScopeFigures:
        """Raw ms figures of the asked agents (None: all) over each scope [a, b)."""
        with self._lock:
            account = self._accounts.get(account_id) or AccountTimelines()
            return account.figures(agent_ids, scopes)

    def agent_activity_json(
        self,
        account_id: str,
        query: ActivityQuery,
        now_ms: int,
        directory: DirectorySnapshot | None = None,
        past: AccountTimelines | None = None,
    ) -> bytes:
        """The whole response body of SPEC section 3 for one validated query, as JSON.

        `query.agent_ids` is the final selection (the service has already narrowed it to
        `agentGroupIds`); `directory` gives the groups of `groupTotals` (None: no
        directory, every agent in the root); `past`, timelines read from the store for a
        window older than the horizon, used instead of the engine's own."""
        start, end = query.window(now_ms)
        intervals = interval_scopes(start, end, query.interval) if query.interval else []
        scopes = [(start, end)] + [(a, b) for _, a, b in intervals]
        stamps = [stamp for stamp, _, _ in intervals]
        if past is not None or query.group_totals:
            # Not kept: the history is read anew each time, and group totals follow the
            # directory, which changes without any event.
            if past is not None:
                figures = past.figures(query.agent_ids, scopes)
            else:
                figures = self.figures(account_id, query.agent_ids, scopes)
            groups = None
            if query.group_totals:
                groups = directory if directory is not None else DirectorySnapshot.of([], [])
            return render(figures, self.names, query.totals, stamps, query.version, groups)
        return assemble(self._scope_texts(account_id, query, scopes), stamps, query.version)

    def _scope_texts(
        self, account_id: str, query: ActivityQuery, scopes: list[tuple[int, int]]
    ) -> list[bytes]:
        """Each scope's `agentsMetrics`: kept ones as they are, the others rendered from
        figures of those scopes alone (then kept)."""
        selection = (query.agent_ids, query.totals, query.interval or 0)
        with held(self._lock):
            generation = self._scopes.generation(account_id)
            texts = self._scopes.get(account_id, selection, scopes)
            missing = [k for k, text in enumerate(texts) if text is None]
            if not missing:
                return [text for text in texts if text is not None]
            account = self._accounts.get(account_id) or AccountTimelines()
            figures = account.figures(query.agent_ids, [scopes[k] for k in missing])
        # Rendered outside the lock; kept only if no event came meanwhile (generation).
        for k, text in zip(missing, scope_texts(figures, self.names, query.totals), strict=True):
            texts[k] = text
        done = [text for text in texts if text is not None]
        try:
            with held(self._lock):
                self._scopes.put(account_id, selection, scopes, done, generation)
        except WouldWait:
            pass  # on the event loop with the lock taken: exact all the same, not kept
        return done

    def agent_activity(
        self,
        account_id: str,
        query: ActivityQuery,
        now_ms: int,
        directory: DirectorySnapshot | None = None,
    ) -> dict[str, Any]:
        """The same answer, decoded (for tests and in-process callers)."""
        answer = self.agent_activity_json(account_id, query, now_ms, directory)
        decoded: dict[str, Any] = orjson.loads(answer)
        return decoded

    def current_state(
        self,
        account_id: str,
        agent_ids: tuple[int, ...] | None,
        as_of: int,
        window_start: int,
    ) -> dict[str, Any]:
        """The body of SPEC section 7's current-state answer at `as_of`: agents with an
        event in [window_start, as_of] (None: all, else those among `agent_ids`)."""
        with self._lock:
            account = self._accounts.get(account_id) or AccountTimelines()
            agents = account.current_state(agent_ids, as_of, window_start)
        return {"asOf": as_of, "agents": agents}
