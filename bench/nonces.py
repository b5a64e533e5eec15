"""What one nonce check costs: in memory, in the workers' shared file, in Redis.

    python -m bench.nonces [--checks 20000] [--redis redis://127.0.0.1:6379/14]

Each check is what one authenticated request does once (a new nonce, recorded); the
file store is measured on a store that already holds `--filled` nonces.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from agentactivity.api.auth import MemoryNonceStore, NonceStore
from agentactivity.api.file_nonces import FileNonceStore


def per_check_us(store: NonceStore, checks: int) -> float:
    keys = [uuid.uuid4().hex for _ in range(checks)]
    now = int(time.time())
    started = time.perf_counter()
    for key in keys:
        if not store.check_and_add(key, now):
            raise RuntimeError("a new nonce was refused")
    return (time.perf_counter() - started) / checks * 1e6


def run(checks: int, filled: int, redis_url: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {"checks": checks, "filled": filled}
    result["memory_us"] = per_check_us(MemoryNonceStore(), checks)
    with tempfile.TemporaryDirectory() as tmp:
        store = FileNonceStore(str(Path(tmp) / "nonces.db"))
        per_check_us(store, filled)
        result["file_us"] = per_check_us(store, checks)
        store.close()
    if redis_url:
        from agentactivity.api.nonces import RedisNonceStore

        redis_store = RedisNonceStore(redis_url)
        result["redis_us"] = per_check_us(redis_store, checks)
        redis_store.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nonces", description=__doc__)
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--filled", type=int, default=100_000)
    parser.add_argument("--redis", default=None)
    args = parser.parse_args(argv)
    json.dump(run(args.checks, args.filled, args.redis), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
