"""The store: the only source of truth. Accounts, credentials and an append-only event
log per account, each event numbered by a per-account sequence (1, 2, 3, ... without gaps)
that gives the arrival order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from agentactivity.credentials import Credentials
from agentactivity.dashboard_token import DashboardToken
from agentactivity.events import Event
from agentactivity.store.connectors import Connectors
from agentactivity.store.directory import Directory
from agentactivity.store.identity import StoreIdentity
from agentactivity.store.reasons import ReasonCollections
from agentactivity.store.status_changes import StatusChanges


@dataclass(frozen=True, slots=True)
class AppendResult:
    accepted: int
    duplicates: int
    last_seq: int
    # The accepted events with the sequence numbers they were stored under.
    stored: tuple[tuple[int, Event], ...] = ()


EventRow = tuple[
    str, int, str, int, int, str, "str | None", "str | None", "str | None", "int | None"
]


def number_new_events(
    events: list[Event], known_ids: set[str], last_seq: int
) -> list[tuple[int, Event]]:
    """The events not seen before, numbered on from `last_seq` in arrival order. A repeat
    inside the batch is a duplicate too."""
    seen = set(known_ids)
    numbered: list[tuple[int, Event]] = []
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        last_seq += 1
        numbered.append((last_seq, event))
    return numbered


def event_row(account_id: str, seq: int, event: Event) -> EventRow:
    """(account_id, seq, event_id, agent_id, time, type, state, reason_id, chat_id,
    max_chats): the events table's columns."""
    return (
        account_id,
        seq,
        event.event_id,
        event.agent_id,
        event.time,
        event.type,
        event.state,
        event.reason_id,
        event.chat_id,
        event.max_chats,
    )


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


class StoreBusyError(StoreError):
    """The store is momentarily unavailable (e.g. locked); the same call may succeed later."""


class Store(Protocol):
    # The accounts' status reasons (store/reasons.py).
    reasons: ReasonCollections
    # The accounts' users and agent groups (store/directory.py).
    directory: Directory
    # The status-change records derived from state events (store/status_changes.py).
    status_changes: StatusChanges
    # The connectors' settings and the platforms' agent ids (store/connectors.py).
    connectors: Connectors
    # Reads are short and on this machine (an embedded file, no network round trip):
    # small queries may then be answered on the event loop (no_wait.py).
    local_reads: bool

    def append(self, account_id: str, events: list[Event]) -> AppendResult:
        """Store the events not seen before (by eventId), atomically and durably."""
        ...

    def read_after(
        self, account_id: str, after_seq: int, limit: int = 50_000
    ) -> list[tuple[int, Event]]:
        """Events with seq > after_seq in seq order, at most `limit`."""
        ...

    def read_window(
        self,
        account_id: str,
        start_ms: int,
        end_ms: int,
        agent_ids: Sequence[int] | None,
        max_seq: int,
    ) -> list[tuple[int, Event]]:
        """The events with seq <= max_seq that decide the asked agents' (None: all)
        timelines over [start_ms, end_ms): those inside it and the few before it that
        give each agent's situation at start_ms (store/event_window.py), in seq order."""
        ...

    def agent_ids(self, account_id: str) -> list[int]:
        """The agents the account has (or had) events of, ascending."""
        ...

    def last_seq(self, account_id: str) -> int: ...

    def last_seqs(self) -> dict[str, int]:
        """Every account's last_seq, in one cheap query (readiness, engine lag)."""
        ...

    def prune(self, account_id: str, before_ms: int) -> int:
        """Delete events older than `before_ms` (the history's edge) that no figure or
        state after it depends on; returns how many were deleted."""
        ...

    def account_ids(self) -> list[str]: ...

    def ensure_account(self, account_id: str) -> None: ...

    def identity(self) -> StoreIdentity:
        """This database's id and secret (store/identity.py): what engine snapshots are
        named and signed with."""
        ...

    def event_id_at(self, account_id: str, seq: int) -> str | None:
        """The eventId stored at `seq` of the account (None: none, or pruned)."""
        ...

    def add_credentials(self, credentials: Credentials) -> None: ...

    def credentials_for_token(self, access_token: str) -> Credentials | None: ...

    # Dashboard links (store/dashboard_tokens.py, dashboard_token.py).
    def dashboard_secret(self, account_id: str, create: bool = False) -> str | None: ...

    def add_dashboard_token(self, token: DashboardToken) -> None: ...

    def dashboard_token(self, account_id: str, token_id: str) -> DashboardToken | None: ...

    def dashboard_tokens(self, account_id: str) -> list[DashboardToken]: ...

    def revoke_dashboard_token(
        self, account_id: str, token_id: str, at_ms: int
    ) -> DashboardToken | None: ...

    def close(self) -> None: ...
