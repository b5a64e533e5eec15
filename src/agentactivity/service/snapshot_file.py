"""One account's engine snapshot as a file: its format, its atomic write, its checks.

A snapshot is a cache of the engine as the engine is a cache of the store, so a file is
trusted only once it proves it belongs to this database at a sequence it still holds.
The file:

    MAGIC (8 bytes) | header length (4, little endian) | header (JSON) | columns | HMAC

The header names the format and program version, the store's id, the account, the seq
the content reflects and the eventId stored there (its fingerprint), the horizon, the
account's reason ids and each column (engine/frozen.py): name, dtype and length. The
columns follow as raw little-endian arrays. The last 32 bytes are HMAC-SHA256 of all
before, keyed with the store's secret (store/identity.py): only the database that wrote
a snapshot can have signed it, and a changed byte anywhere shows. Nothing of the body is
interpreted before that check, and nothing is ever unpickled: a file in the directory
is data, whoever wrote it.

Writes go to a temporary file in the same directory, flushed to disk, then renamed over
the old snapshot, and the directory is flushed too: a crash at any point leaves the old
snapshot or the new one, never half of one (a leftover temporary file is never read).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

import agentactivity
from agentactivity.engine.frozen import COLUMNS, FrozenAccount
from agentactivity.store.identity import StoreIdentity

MAGIC = b"AGACSNAP"
# Bump when the frozen columns change meaning: older files are then refused and rebuilt.
FORMAT = 1
SUFFIX = ".snapshot"
TEMPORARY = ".tmp"
DIGEST = 32
MAX_HEADER = 64 * 1024 * 1024  # reason ids are in the header; far beyond any real account
NO_SNAPSHOT = "no snapshot yet"
DTYPES: dict[str, np.dtype[Any]] = {"int64": np.dtype("<i8"), "uint8": np.dtype("u1")}


class SnapshotRefused(Exception):
    """The snapshot cannot be used; the message says why (one log line)."""


@dataclass(frozen=True)
class Snapshot:
    """A verified snapshot: what it reflects, and the content."""

    account_id: str
    seq: int
    event_id: str | None  # stored at `seq` when written (None: seq 0)
    written_at: int  # epoch ms
    frozen: FrozenAccount
    size: int  # bytes of the file


def path_for(directory: Path, account_id: str) -> Path:
    return directory / f"{account_id}{SUFFIX}"


def _header(
    frozen: FrozenAccount, account_id: str, identity: StoreIdentity, event_id: str | None
) -> bytes:
    columns = []
    for name in COLUMNS:
        column = frozen.columns[name]
        dtype = "uint8" if column.dtype == np.uint8 else "int64"
        columns.append([name, dtype, len(column)])
    return orjson.dumps(
        {
            "format": FORMAT,
            "program": agentactivity.__version__,
            "store": identity.store_id,
            "account": account_id,
            "seq": frozen.last_seq,
            "eventId": event_id,
            "horizon": frozen.horizon,
            "writtenAt": time.time_ns() // 1_000_000,
            "reasons": frozen.reason_names,
            "columns": columns,
        }
    )


def write(
    directory: Path,
    account_id: str,
    frozen: FrozenAccount,
    identity: StoreIdentity,
    event_id: str | None,
) -> int:
    """Write the account's snapshot atomically; returns its size in bytes."""
    target = path_for(directory, account_id)
    temporary = directory / f".{account_id}{SUFFIX}.{os.getpid()}{TEMPORARY}"
    header = _header(frozen, account_id, identity, event_id)
    signer = hmac.new(identity.secret, digestmod=hashlib.sha256)
    size = 0
    try:
        with open(temporary, "wb") as out:
            parts: list[bytes | memoryview] = [MAGIC, len(header).to_bytes(4, "little"), header]
            parts += [frozen.columns[name].data.cast("B") for name in COLUMNS]
            for part in parts:
                signer.update(part)
                out.write(part)
                size += len(part)
            out.write(signer.digest())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(directory)
    return size + DIGEST


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (the directory's entry)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(directory: Path) -> int:
    """Delete temporary files a crashed writer left (call while holding the writer's
    lock: no write is then in progress); returns how many."""
    removed = 0
    for leftover in directory.glob(f".*{SUFFIX}.*{TEMPORARY}"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def read(directory: Path, account_id: str, identity: StoreIdentity) -> Snapshot:
    """The account's snapshot, checked to be whole, of this format and program, written
    for this database and this account; SnapshotRefused otherwise. What it reflects is
    checked against the store by the caller (service/snapshots.py)."""
    path = path_for(directory, account_id)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotRefused(NO_SNAPSHOT) from None
    except OSError as exc:
        raise SnapshotRefused(f"unreadable ({exc.strerror or exc})") from exc
    fixed = len(MAGIC) + 4
    if len(data) < fixed + DIGEST or not data.startswith(MAGIC):
        raise SnapshotRefused("not a snapshot file (too short or no snapshot header)")
    length = int.from_bytes(data[len(MAGIC) : fixed], "little")
    if length > min(MAX_HEADER, len(data) - fixed - DIGEST):
        raise SnapshotRefused("damaged or truncated (its header runs past the file's end)")
    try:
        header: dict[str, Any] = orjson.loads(data[fixed : fixed + length])
        columns = [(str(n), DTYPES[str(d)], int(c)) for n, d, c in header["columns"]]
        version = (header["format"], header["program"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise SnapshotRefused(f"damaged (its header does not read: {exc})") from exc
    if version != (FORMAT, agentactivity.__version__):
        raise SnapshotRefused(
            f"written by another version (format {version[0]}, agentactivity {version[1]}; "
            f"this is format {FORMAT}, agentactivity {agentactivity.__version__})"
        )
    if header.get("store") != identity.store_id:
        raise SnapshotRefused(
            f"written for another database (store id {header.get('store')}; "
            f"this database is {identity.store_id})"
        )
    body = sum(dtype.itemsize * count for _, dtype, count in columns)
    expected = fixed + length + body + DIGEST
    if len(data) != expected:
        raise SnapshotRefused(f"truncated or damaged ({len(data)} bytes, expected {expected})")
    signed = memoryview(data)[: len(data) - DIGEST]
    digest = hmac.new(identity.secret, signed, hashlib.sha256).digest()
    if not hmac.compare_digest(digest, data[len(data) - DIGEST :]):
        raise SnapshotRefused("checksum mismatch (the file was damaged or altered)")
    if header.get("account") != account_id:
        raise SnapshotRefused(f"written for account {header.get('account')!r}")
    arrays, offset = {}, fixed + length
    for name, dtype, count in columns:
        arrays[name] = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        offset += dtype.itemsize * count
    frozen = FrozenAccount(
        int(header["seq"]), int(header["horizon"]), list(header["reasons"]), arrays
    )
    event_id = header.get("eventId")
    return Snapshot(
        account_id,
        frozen.last_seq,
        None if event_id is None else str(event_id),
        int(header.get("writtenAt", 0)),
        frozen,
        len(data),
    )
