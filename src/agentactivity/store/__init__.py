"""Durable storage behind one small interface; SQLite is the embedded default, PostgreSQL
the shared one (postgresql:// URLs). Each table's statements are written once
(event_log, credentials, dashboard_tokens, reasons) over a per-backend adapter
(adapter.py; sqlite.py and postgres.py hold the backends' own parts).

May import the domain modules only; the service (and the CLI, for keys and transfers)
import it.
"""

from agentactivity.store.base import AppendResult, Store, StoreBusyError, StoreError
from agentactivity.store.sqlite import SQLiteStore


def open_store(url: str, auto_migrate: bool = True, cache_mib: int | None = None) -> Store:
    """Open the store a database URL names (see `agentactivity serve --help`), applying
    the schema migrations it lacks unless `auto_migrate` is false. `cache_mib`: SQLite's
    page cache for bulk work (PostgreSQL's is the server's shared_buffers)."""
    if url.startswith(("postgresql:", "postgres:")):
        from agentactivity.store.postgres import PostgresStore

        return PostgresStore(url, auto_migrate=auto_migrate)
    return SQLiteStore(url, auto_migrate=auto_migrate, cache_mib=cache_mib)


__all__ = ["AppendResult", "SQLiteStore", "Store", "StoreBusyError", "StoreError", "open_store"]
