"""The store (store/base.py's `Store`) over any backend's adapter (store/adapter.py).

It composes one object per concept, each the statements of its tables written once:
the event log and accounts (event_log.py), API keys (credentials.py), dashboard links
(dashboard_tokens.py), status reasons (reasons.py, reached as `store.reasons`) and the
directory of users and agent groups (directory.py, `store.directory`), the status-change
records (status_changes.py, `store.status_changes`; written with the events), the
connectors' settings and identity map (connectors.py, `store.connectors`), the
store's own identity (identity.py, for engine snapshots), and
applies the schema migrations (migrations.py) at open. A backend's module (sqlite.py,
postgres.py) opens its adapter and hands it here.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentactivity.clock import now_ms
from agentactivity.credentials import Credentials
from agentactivity.dashboard_token import DashboardToken
from agentactivity.events import Event
from agentactivity.store import migrations
from agentactivity.store.adapter import Adapter
from agentactivity.store.base import AppendResult
from agentactivity.store.connectors import Connectors
from agentactivity.store.credentials import CredentialTable
from agentactivity.store.dashboard_tokens import DashboardTokens
from agentactivity.store.directory import Directory
from agentactivity.store.event_log import EventLog
from agentactivity.store.identity import IdentityTable, StoreIdentity
from agentactivity.store.migrations import Migration
from agentactivity.store.reasons import ReasonCollections
from agentactivity.store.status_changes import StatusChanges


class SqlStore:
    # Whether reads are short and on this machine (SQLite), not across a network.
    local_reads = False

    def __init__(self, adapter: Adapter, auto_migrate: bool = True) -> None:
        """Take over `adapter` (closed here if the schema check or migration fails) and
        bring its schema to the latest version, or only check it unless `auto_migrate`."""
        self._adapter = adapter
        self.where = adapter.where
        self._log = EventLog(adapter)
        self._credentials = CredentialTable(adapter)
        self._dashboard = DashboardTokens(adapter)
        self.reasons = ReasonCollections(adapter)
        self.directory = Directory(adapter)
        self.status_changes = StatusChanges(adapter)
        self.connectors = Connectors(adapter)
        self._identity = IdentityTable(adapter)
        try:
            if auto_migrate:
                migrations.migrate(self)
            else:
                migrations.check(self)
        except BaseException:
            adapter.close()
            raise

    def close(self) -> None:
        self._adapter.close()

    # --- schema versions (migrations.Migratable) ----------------------------------------

    def schema_version(self) -> tuple[int, bool]:
        return self._adapter.schema_version()

    def apply_migration(self, migration: Migration, record_only: bool) -> bool:
        with self._adapter.migration() as sql:
            sql(migrations.SCHEMA_VERSION_TABLE)
            ((version,),) = sql("SELECT MAX(version) FROM schema_version")
            version = int(version or 0)
            if version > migrations.LATEST:
                raise migrations.newer_schema(self.where, version)
            if version >= migration.version:
                return False
            if not record_only:
                for statement in self._adapter.ddl(migration):
                    sql(statement)
                if migration.then is not None:
                    migration.then(sql)
            sql(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, now_ms()),
            )
        return True

    # --- accounts and the event log ---------------------------------------------------

    def append(self, account_id: str, events: list[Event]) -> AppendResult:
        return self._log.append(account_id, events)

    def read_after(
        self, account_id: str, after_seq: int, limit: int = 50_000
    ) -> list[tuple[int, Event]]:
        return self._log.read_after(account_id, after_seq, limit)

    def read_window(
        self,
        account_id: str,
        start_ms: int,
        end_ms: int,
        agent_ids: Sequence[int] | None,
        max_seq: int,
    ) -> list[tuple[int, Event]]:
        return self._log.read_window(account_id, start_ms, end_ms, agent_ids, max_seq)

    def agent_ids(self, account_id: str) -> list[int]:
        return self._log.agent_ids(account_id)

    def last_seq(self, account_id: str) -> int:
        return self._log.last_seq(account_id)

    def last_seqs(self) -> dict[str, int]:
        return self._log.last_seqs()

    def prune(self, account_id: str, before_ms: int) -> int:
        return self._log.prune(account_id, before_ms)

    def account_ids(self) -> list[str]:
        return self._log.account_ids()

    def ensure_account(self, account_id: str) -> None:
        self._log.ensure_account(account_id)

    # --- the store's identity (engine snapshots) -----------------------------------------

    def identity(self) -> StoreIdentity:
        return self._identity.identity()

    def event_id_at(self, account_id: str, seq: int) -> str | None:
        return self._identity.event_id_at(account_id, seq)

    # --- API keys ---------------------------------------------------------------------

    def add_credentials(self, credentials: Credentials) -> None:
        self._credentials.add(credentials)

    def credentials_for_token(self, access_token: str) -> Credentials | None:
        return self._credentials.for_token(access_token)

    # --- dashboard links --------------------------------------------------------------

    def dashboard_secret(self, account_id: str, create: bool = False) -> str | None:
        return self._dashboard.secret(account_id, create)

    def add_dashboard_token(self, token: DashboardToken) -> None:
        self._dashboard.add(token)

    def dashboard_token(self, account_id: str, token_id: str) -> DashboardToken | None:
        return self._dashboard.get(account_id, token_id)

    def dashboard_tokens(self, account_id: str) -> list[DashboardToken]:
        return self._dashboard.listing(account_id)

    def revoke_dashboard_token(
        self, account_id: str, token_id: str, at_ms: int
    ) -> DashboardToken | None:
        return self._dashboard.revoke(account_id, token_id, at_ms)
