"""The change feed behind the live stream of agent state (SPEC section 7).

For every account a stream has been opened on, the feed keeps the last object published
for each agent and a bounded log of changes: an agent's object evaluated at "now" that
differs from the last one published. It is fed by whoever applies events to the engine
(the service, under its catch-up lock, so changes are logged in the order events are
applied) and asked to re-evaluate agents when a future-dated event takes effect.

Ids: a change caused by applied events carries the sequence of the agent's last event in
that batch; a change that happens because a future-dated event's time has come carries
the account's last applied sequence at that moment ("timed"). Ids therefore never
decrease along the log, and only timed changes may repeat an id. A client that saw
everything up to id N resumes right after the last entry with id <= N, unless an entry
with id N is timed (it cannot be told whether the client saw it): then it gets a
snapshot instead, as it does when N is older than the log.

No I/O and no asyncio here: objects come from an `Evaluate` callback (the current-state
function of service/live_state.py), and listeners are plain callables.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agentactivity.events import Event

log = logging.getLogger("agentactivity.feed")

# (agent ids or None for all, as_of ms) -> {"agentId": object} as SPEC section 7 lists them.
Evaluate = Callable[[tuple[int, ...] | None, int], dict[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    agent_id: int
    state: dict[str, Any]
    # Not caused by an event of its own (a future-dated event coming due, a reason
    # renamed): its id is the last applied sequence, which may repeat.
    timed: bool = False


@dataclass(frozen=True, slots=True)
class FeedStart:
    """Where a new stream begins: after log position `cursor`, with a snapshot first
    unless it resumes (`snapshot` None)."""

    cursor: int
    snapshot: dict[str, Any] | None
    snapshot_id: int


@dataclass
class _AccountFeed:
    published: dict[int, dict[str, Any]]
    # Ids below `floor` cannot be resumed from (older than the log or than this process).
    floor: int
    log: deque[Change] = field(default_factory=deque)
    ids: deque[int] = field(default_factory=deque)
    first_pos: int = 0  # absolute position of log[0]
    listeners: set[Callable[[], None]] = field(default_factory=set)
    last_poll: float = float("-inf")

    @property
    def end(self) -> int:
        return self.first_pos + len(self.log)


class ChangeFeed:
    def __init__(self, log_size: int) -> None:
        self.log_size = log_size
        self._accounts: dict[str, _AccountFeed] = {}
        # Per account (tracked or not): (time, agent) of events stored with a future time.
        self._future: dict[str, list[tuple[int, int]]] = {}
        self._lock = threading.RLock()

    # --- fed by the service, under its catch-up lock ------------------------------------

    def applied(
        self,
        account_id: str,
        batch: Iterable[tuple[int, Event]],
        now: int,
        evaluate: Evaluate,
        watermark: int,
    ) -> None:
        """Events just applied to the engine: publish what they changed at `now`, and
        remember future-dated ones to re-evaluate when their time comes."""
        with self._lock:
            future = self._future.setdefault(account_id, [])
            feed = self._accounts.get(account_id)
            if feed is None:  # nobody listens: only remember what is yet to happen
                for item in [(e.time, e.agent_id) for _, e in batch if e.time > now]:
                    heapq.heappush(future, item)
                self._pop_due(future, now)
                return
            effective: dict[int, int] = {}
            for seq, event in batch:
                if event.time > now:
                    heapq.heappush(future, (event.time, event.agent_id))
                else:
                    effective[event.agent_id] = seq
            due = self._pop_due(future, now)
            causes = {agent: watermark for agent in due}
            causes.update(effective)
            self._publish(feed, causes, now, evaluate, timed=set(due) - set(effective))

    def run_due(self, account_id: str, now: int, evaluate: Evaluate, watermark: int) -> None:
        """Publish the changes of future-dated events whose time has come."""
        with self._lock:
            future = self._future.get(account_id)
            feed = self._accounts.get(account_id)
            if not future or feed is None:
                return
            due = self._pop_due(future, now)
            if due:
                self._publish(feed, dict.fromkeys(due, watermark), now, evaluate, timed=due)

    def reevaluate(self, account_id: str, now: int, evaluate: Evaluate, watermark: int) -> None:
        """Publish every agent whose object changed without an event (reason names
        renamed): "timed" changes like those of future-dated events."""
        with self._lock:
            feed = self._accounts.get(account_id)
            if feed is not None and feed.published:
                agents = set(feed.published)
                self._publish(feed, dict.fromkeys(agents, watermark), now, evaluate, agents)

    @staticmethod
    def _pop_due(future: list[tuple[int, int]], now: int) -> set[int]:
        agents = set()
        while future and future[0][0] <= now:
            agents.add(heapq.heappop(future)[1])
        return agents

    def _publish(
        self,
        feed: _AccountFeed,
        causes: dict[int, int],
        now: int,
        evaluate: Evaluate,
        timed: set[int],
    ) -> None:
        if not causes:
            return
        objects = evaluate(tuple(sorted(causes)), now)
        published = False
        for agent_id, cause in sorted(causes.items(), key=lambda item: (item[1], item[0])):
            state = objects.get(str(agent_id))
            # An agent not listed at `now` (e.g. only future events yet) has no object.
            if state is None or feed.published.get(agent_id) == state:
                continue
            feed.published[agent_id] = state
            feed.log.append(Change(cause, agent_id, state, agent_id in timed))
            feed.ids.append(cause)
            published = True
        while len(feed.log) > self.log_size:
            dropped = feed.log.popleft()
            feed.ids.popleft()
            feed.first_pos += 1
            # A client at the id of a dropped change saw it, unless it was timed (then
            # it may have seen only the change before it with the same id).
            feed.floor = max(feed.floor, dropped.id + dropped.timed)
        if published:
            for wake in list(feed.listeners):
                try:
                    wake()
                except Exception:  # a listener's trouble must never fail an ingest
                    log.exception("change feed: waking a stream failed")

    # --- used by streams -----------------------------------------------------------------

    def start(
        self,
        account_id: str,
        last_event_id: int | None,
        now: int,
        evaluate: Evaluate,
        watermark: int,
        agent_ids: tuple[int, ...] | None,
    ) -> FeedStart:
        """Begin a stream at `now`, the feed being in step with the engine (`watermark`
        is the account's last applied sequence). Resumes after `last_event_id` when the
        log allows it, else starts with a snapshot of the asked agents (also when the id
        is ahead of the store: the client's state comes from a history the store no
        longer has, e.g. a database restored from a backup)."""
        with self._lock:
            feed = self._accounts.get(account_id)
            if feed is None:
                # The first stream of the account in this process: what every agent looks
                # like now is the baseline; nothing before it can be resumed.
                everyone = evaluate(None, now)
                baseline = {int(agent): state for agent, state in everyone.items()}
                feed = self._accounts[account_id] = _AccountFeed(baseline, watermark + 1)
            if last_event_id is not None and self._resumable(feed, last_event_id, watermark):
                position = feed.first_pos + bisect.bisect_right(feed.ids, last_event_id)
                return FeedStart(position, None, watermark)
            snapshot = {"asOf": now, "agents": evaluate(agent_ids, now)}
            return FeedStart(feed.end, snapshot, watermark)

    @staticmethod
    def _resumable(feed: _AccountFeed, last_event_id: int, watermark: int) -> bool:
        if not feed.floor <= last_event_id <= watermark:
            return False
        # The entries with this id: a timed one may or may not have reached the client.
        lo = bisect.bisect_left(feed.ids, last_event_id)
        hi = bisect.bisect_right(feed.ids, last_event_id)
        return not any(feed.log[i].timed for i in range(lo, hi))

    def read(self, account_id: str, cursor: int) -> tuple[list[Change], int] | None:
        """Changes after log position `cursor` and the new cursor; None if the log has
        moved past `cursor` (the reader fell too far behind and needs a snapshot)."""
        with self._lock:
            feed = self._accounts.get(account_id)
            if feed is None:
                return [], cursor
            if cursor < feed.first_pos:
                return None
            return [feed.log[i] for i in range(cursor - feed.first_pos, len(feed.log))], feed.end

    def listen(self, account_id: str, wake: Callable[[], None]) -> None:
        with self._lock:
            feed = self._accounts.get(account_id)
            if feed is not None:
                feed.listeners.add(wake)

    def unlisten(self, account_id: str, wake: Callable[[], None]) -> None:
        with self._lock:
            feed = self._accounts.get(account_id)
            if feed is not None:
                feed.listeners.discard(wake)

    def next_due(self, account_id: str) -> int | None:
        """When the earliest pending future-dated event of the account takes effect."""
        with self._lock:
            future = self._future.get(account_id)
            return future[0][0] if future else None

    def claim_poll(self, account_id: str, monotonic_s: float, every_s: float) -> bool:
        """True for one caller per `every_s` per account: that caller polls the store
        (several streams of one account share the polling)."""
        with self._lock:
            feed = self._accounts.get(account_id)
            if feed is None or monotonic_s - feed.last_poll < every_s:
                return False
            feed.last_poll = monotonic_s
            return True
