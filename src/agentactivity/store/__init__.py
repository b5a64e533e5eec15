"""Durable storage behind one small interface; SQLite is the embedded default."""

from agentactivity.store.base import AppendResult, Store, StoreBusyError, StoreError
from agentactivity.store.sqlite import SQLiteStore


def open_store(url: str) -> Store:
    """Open the store a database URL names (see `agentactivity serve --help`)."""
    if url.startswith(("postgresql:", "postgres:")):
        raise StoreError(
            "PostgreSQL is not supported yet by this version; use a SQLite file "
            "(sqlite:///path/to/file.db or a bare path)"
        )
    return SQLiteStore(url)


__all__ = ["AppendResult", "SQLiteStore", "Store", "StoreBusyError", "StoreError", "open_store"]
