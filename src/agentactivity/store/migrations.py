"""Versioned schema migrations, for every backend.

The schema of a database is the list of migrations applied to it, recorded in its
`schema_version` table (one row per version). `migrate(store)` applies the missing ones,
in order, each in a transaction of its own that also records it; a process that finds a
migration already applied by another (both starting at once) skips it. Stores apply
missing migrations when they open (so upgrading the program upgrades the database), and
`agentactivity db upgrade` does it on demand and says what it did.

A database whose `schema_version` names a version this program does not know was
written by a newer agentactivity: it is refused, never downgraded or guessed at.

Version 1 is the schema of the first release, which had no `schema_version` table: a
SQLite file with its tables and no `schema_version` is recognised as version 1 (the
table is added, nothing else is touched).

To change the schema, append a Migration with the next version and the statements for
both backends; never edit one that has shipped.

Every table but `schema_version` carries `account_id`, and every primary key starts with
it, so that the PostgreSQL schema can be distributed by account (Citus: `accounts` and
`events` distributed by `account_id` and co-located, one shard per account's writes; see
POSTGRES_V1 for `credentials`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from agentactivity.clock import now_ms
from agentactivity.store import status_projection
from agentactivity.store.adapter import Sql
from agentactivity.store.base import StoreError
from agentactivity.store.identity import new_identity

log = logging.getLogger("agentactivity.store")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]
    # Run after the statements, in the same transaction: rows the new tables derive
    # from those already stored.
    then: Callable[[Sql], None] | None = None


SQLITE_V1 = (
    """CREATE TABLE IF NOT EXISTS accounts (
        account_id TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS credentials (
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        access_token TEXT NOT NULL,
        app_key TEXT NOT NULL,
        app_secret TEXT NOT NULL,
        access_token_secret TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (access_token)
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        account_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        agent_id INTEGER NOT NULL,
        time INTEGER NOT NULL,
        type TEXT NOT NULL,
        state TEXT,
        reason_id TEXT,
        chat_id TEXT,
        max_chats INTEGER,
        PRIMARY KEY (account_id, seq)
    ) WITHOUT ROWID""",
    "CREATE UNIQUE INDEX IF NOT EXISTS events_by_event_id ON events (account_id, event_id)",
)

# Credentials: the primary key starts with account_id like every other table's, and
# access_token is unique on its own too, because a request names only its token and the
# lookup must find exactly one account. With Citus, `credentials` is a reference table
# (`SELECT create_reference_table('credentials')`): small, written once per key, read on
# every request, copied to every node, where unique indexes on any column are allowed, so
# the lookup by token stays one local read. For the same reason it has no foreign key to
# `accounts` (a reference table cannot reference a distributed one): `add_credentials`
# creates the account in the same transaction instead.
POSTGRES_V1 = (
    """CREATE TABLE accounts (
        account_id TEXT NOT NULL,
        last_seq BIGINT NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id)
    )""",
    """CREATE TABLE credentials (
        account_id TEXT NOT NULL,
        access_token TEXT NOT NULL,
        app_key TEXT NOT NULL,
        app_secret TEXT NOT NULL,
        access_token_secret TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, access_token)
    )""",
    "CREATE UNIQUE INDEX credentials_by_token ON credentials (access_token)",
    """CREATE TABLE events (
        account_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        event_id TEXT NOT NULL,
        agent_id BIGINT NOT NULL,
        time BIGINT NOT NULL,
        type TEXT NOT NULL,
        state TEXT,
        reason_id TEXT,
        chat_id TEXT,
        max_chats INTEGER,
        PRIMARY KEY (account_id, seq)
    )""",
    "CREATE UNIQUE INDEX events_by_event_id ON events (account_id, event_id)",
)

# Status reasons (store/reasons.py): per account, a collection row (its revision, the
# last id given out; the row writers lock) and the items. `text_key` (the text folded as
# reasons.text_key does) is unique among items not deleted; with Citus both tables are
# distributed by account_id, co-located with `accounts`.
_REASONS = """CREATE TABLE status_reasons (
        account_id TEXT NOT NULL,
        id BIGINT NOT NULL,
        text TEXT NOT NULL,
        text_key TEXT NOT NULL,
        state TEXT NOT NULL,
        enabled BOOLEAN NOT NULL,
        deleted BOOLEAN NOT NULL,
        display_order BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, id)
    )"""
_REASON_COLLECTIONS = """CREATE TABLE reason_collections (
        account_id TEXT NOT NULL,
        revision BIGINT NOT NULL,
        last_id BIGINT NOT NULL,
        PRIMARY KEY (account_id)
    )"""
SQLITE_V2 = (
    _REASON_COLLECTIONS,
    _REASONS,
    "CREATE UNIQUE INDEX status_reasons_by_text ON status_reasons (account_id, text_key) "
    "WHERE deleted = 0",
)
POSTGRES_V2 = (
    _REASON_COLLECTIONS,
    _REASONS,
    "CREATE UNIQUE INDEX status_reasons_by_text ON status_reasons (account_id, text_key) "
    "WHERE NOT deleted",
)

# Dashboard links (dashboard_token.py, store/dashboard_tokens.py): one signing secret
# per account, and each link's token id, expiry and revocation.
DASHBOARD_TOKENS = (
    """CREATE TABLE dashboard_secrets (
        account_id TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id)
    )""",
    """CREATE TABLE dashboard_tokens (
        account_id TEXT NOT NULL,
        token_id TEXT NOT NULL,
        label TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT,
        PRIMARY KEY (account_id, token_id)
    )""",
)

# People and teams (SPEC section 8; store/directory.py, users.py, agent_groups.py). One
# collection row per account holds both revisions (users, groups) and the last group id
# given out: a change of either collection locks it, because memberships join the two
# (a user must not enter a group that a concurrent change deletes). Group ids are the
# account's sequence 1, 2, ...; the root -1 gets its row at the first group change.
# `login_key` / `name_key` are the texts folded as configuration.text_key does, unique
# among users not deleted / among the siblings not deleted. External ids are unique in
# the account, deleted users included: a platform's id names one person for good, and a
# connector resolves it with one read of the unique index. Their primary key starts with
# the user, which is how a listing joins them (SQLite without statistics picked the
# other index and scanned every id of the account for each user: 20 s for 10,000).
_DIRECTORY = (
    """CREATE TABLE directory_collections (
        account_id TEXT NOT NULL,
        users_revision BIGINT NOT NULL,
        groups_revision BIGINT NOT NULL,
        last_group_id BIGINT NOT NULL,
        PRIMARY KEY (account_id)
    )""",
    """CREATE TABLE agent_groups (
        account_id TEXT NOT NULL,
        id BIGINT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        parent_id BIGINT,
        enabled BOOLEAN NOT NULL,
        description TEXT,
        deleted BOOLEAN NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, id)
    )""",
    """CREATE TABLE users (
        account_id TEXT NOT NULL,
        id BIGINT NOT NULL,
        login_name TEXT NOT NULL,
        login_key TEXT NOT NULL,
        full_name TEXT,
        nickname TEXT,
        employee_id TEXT,
        enabled BOOLEAN NOT NULL,
        max_chats INTEGER,
        skill_ids TEXT NOT NULL,
        group_id BIGINT NOT NULL,
        assignment_date TEXT NOT NULL,
        deleted BOOLEAN NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, id)
    )""",
    "CREATE INDEX users_by_group ON users (account_id, group_id)",
    """CREATE TABLE user_external_ids (
        account_id TEXT NOT NULL,
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        user_id BIGINT NOT NULL,
        PRIMARY KEY (account_id, user_id, source)
    )""",
    "CREATE UNIQUE INDEX user_external_ids_by_id "
    "ON user_external_ids (account_id, source, external_id)",
)
_USERS_BY_LOGIN = "CREATE UNIQUE INDEX users_by_login ON users (account_id, login_key) WHERE "
_GROUPS_BY_NAME = (
    "CREATE UNIQUE INDEX agent_groups_by_name ON agent_groups (account_id, parent_id, name_key) "
    "WHERE "
)
SQLITE_DIRECTORY = (
    *_DIRECTORY,
    _USERS_BY_LOGIN + "deleted = 0",
    _GROUPS_BY_NAME + "deleted = 0",
)
POSTGRES_DIRECTORY = (
    *_DIRECTORY,
    _USERS_BY_LOGIN + "NOT deleted",
    _GROUPS_BY_NAME + "NOT deleted",
)

# Team links (dashboard-link --group): the agent group a link is limited to (its members
# and those of its descendants); NULL, the whole account.
TEAM_LINKS = ("ALTER TABLE dashboard_tokens ADD COLUMN group_id TEXT",)

# History (SPEC section 9): the agents each account has events of, and the events by
# agent and time, so that an agent's situation at any instant of the history is found
# from its last logout before it (event_log.read_window) instead of a scan of months,
# and pruning at the history's edge reads only each agent's oldest events.
HISTORY = (
    """CREATE TABLE agents (
        account_id TEXT NOT NULL,
        agent_id BIGINT NOT NULL,
        PRIMARY KEY (account_id, agent_id)
    )""",
    "INSERT INTO agents (account_id, agent_id) SELECT DISTINCT account_id, agent_id FROM events",
    "CREATE INDEX events_by_agent_time ON events (account_id, agent_id, time)",
)

# Status changes (SPEC section 9; status_changes.py, store/status_changes.py): the
# records derived from `state` events, written in the transaction that stores the events.
# Their primary key is the v2 order (time, agent, the event's seq, part), so a page is
# one range of it; the second index serves one agent's records (v1, agentId, late
# events). `status_tails` is each agent's situation after its latest state event (the
# in-order ingest reads it, one row per agent), and the list of agents with records;
# `status_change_hours` counts the records of each hour, so a page at any offset starts
# from the right hour instead of skipping every record before it. On SQLite the records
# are stored in their primary key's order (WITHOUT ROWID): a page reads one stretch.
_STATUS_CHANGES = """CREATE TABLE status_changes (
        account_id TEXT NOT NULL,
        time BIGINT NOT NULL,
        agent_id BIGINT NOT NULL,
        event_seq BIGINT NOT NULL,
        part SMALLINT NOT NULL,
        session_id BIGINT NOT NULL,
        sequence_number INTEGER NOT NULL,
        status_type SMALLINT NOT NULL,
        status_sub_type SMALLINT NOT NULL,
        reason_id TEXT,
        prev_time BIGINT,
        PRIMARY KEY (account_id, time, agent_id, event_seq, part)
    )"""
_STATUS_CHANGES_MORE = (
    "CREATE INDEX status_changes_by_agent "
    "ON status_changes (account_id, agent_id, time, event_seq, part)",
    """CREATE TABLE status_tails (
        account_id TEXT NOT NULL,
        agent_id BIGINT NOT NULL,
        last_time BIGINT NOT NULL,
        state TEXT NOT NULL,
        reason_id TEXT,
        session_id BIGINT NOT NULL,
        sequence_number INTEGER NOT NULL,
        last_change BIGINT,
        PRIMARY KEY (account_id, agent_id)
    )""",
    """CREATE TABLE status_change_hours (
        account_id TEXT NOT NULL,
        hour BIGINT NOT NULL,
        records BIGINT NOT NULL,
        PRIMARY KEY (account_id, hour)
    )""",
)

# Connectors (SPEC section 10): each account's settings of each connector as one JSON
# object (a Twilio auth token and activity mapping, Firehose access key hashes).
CONNECTOR_SETTINGS = (
    """CREATE TABLE connector_settings (
        account_id TEXT NOT NULL,
        connector TEXT NOT NULL,
        settings TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, connector)
    )""",
)

# The store's identity (one row, not per account: a Citus reference table): a random id
# and a secret made once, when the database is created or upgraded. Engine snapshots
# (service/snapshot_file.py) name the id and are signed with the secret, so a snapshot
# is trusted only by the database it was written for.
STORE_IDENTITY = (
    """CREATE TABLE store_identity (
        store_id TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )""",
)


def _new_identity(sql: Sql) -> None:
    store_id, secret = new_identity()
    sql(
        "INSERT INTO store_identity (store_id, secret, created_at) VALUES (?, ?, ?)",
        (store_id, secret, now_ms()),
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "accounts, credentials and the event log", SQLITE_V1, POSTGRES_V1),
    Migration(2, "status reasons and their revision", SQLITE_V2, POSTGRES_V2),
    Migration(3, "dashboard link secrets and tokens", DASHBOARD_TOKENS, DASHBOARD_TOKENS),
    Migration(
        4,
        "people and teams: users, agent groups and their revisions",
        SQLITE_DIRECTORY,
        POSTGRES_DIRECTORY,
    ),
    Migration(5, "dashboard links limited to a team", TEAM_LINKS, TEAM_LINKS),
    Migration(6, "history: the agents of each account, events by agent and time", HISTORY, HISTORY),
    Migration(
        7,
        "status changes, agents' status tails and hourly counts",
        (_STATUS_CHANGES + " WITHOUT ROWID", *_STATUS_CHANGES_MORE),
        (_STATUS_CHANGES, *_STATUS_CHANGES_MORE),
        status_projection.rebuild,
    ),
    Migration(8, "connector settings", CONNECTOR_SETTINGS, CONNECTOR_SETTINGS),
    Migration(
        9,
        "the store's identity (a random id and secret that sign engine snapshots)",
        STORE_IDENTITY,
        STORE_IDENTITY,
        _new_identity,
    ),
)
LATEST = MIGRATIONS[-1].version

# Not part of any migration: the table that records them (the same on both backends).
SCHEMA_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Step:
    """What `migrate` did: applied a migration, or recognised an older schema as it."""

    version: int
    description: str
    recognised: bool = False

    def __str__(self) -> str:
        how = "recognised the existing schema as" if self.recognised else "applied"
        return f"{how} version {self.version}: {self.description}"


class Migratable(Protocol):
    """What a store offers `migrate`; each runs in one transaction of its own."""

    # The database, for messages (never with a password).
    where: str

    def schema_version(self) -> tuple[int, bool]:
        """(version, legacy): the highest version recorded (0 for a new database);
        legacy means the version-1 tables exist without a schema_version table."""
        ...

    def apply_migration(self, migration: Migration, record_only: bool) -> bool:
        """In one transaction, serialised with other processes: unless the database
        is at `migration.version` or later by now, run its statements (not when
        `record_only`) and record it. Returns whether it did."""
        ...

    def close(self) -> None: ...


def newer_schema(where: str, version: int) -> StoreError:
    return StoreError(
        f"database {where} has schema version {version}, newer than this agentactivity "
        f"knows (up to {LATEST}): it was written by a newer release. Upgrade agentactivity "
        "to that release or later, or point --db at another database"
    )


def check(store: Migratable) -> int:
    """The store's schema version; a StoreError if a newer release wrote it."""
    version, legacy = store.schema_version()
    if version > LATEST:
        raise newer_schema(store.where, version)
    return 1 if legacy else version


def pending(version: int) -> list[Migration]:
    return [m for m in MIGRATIONS if m.version > version]


def migrate(store: Migratable) -> list[Step]:
    """Bring the store's schema to LATEST; returns what was done (empty: up to date)."""
    version, legacy = store.schema_version()
    if version > LATEST:
        raise newer_schema(store.where, version)
    steps: list[Step] = []
    if legacy:
        first = MIGRATIONS[0]
        if store.apply_migration(first, record_only=True):
            steps.append(Step(first.version, first.description, recognised=True))
        version = first.version
    for migration in pending(version):
        if store.apply_migration(migration, record_only=False):
            steps.append(Step(migration.version, migration.description))
    for step in steps:
        log.info("database %s: %s", store.where, step)
    return steps
