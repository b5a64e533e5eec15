"""Rendered scopes kept for the next identical query (a polling client asks the same
closed intervals every few minutes).

The `agentsMetrics` JSON of one scope [a, b) depends only on the events before b (an
agent's figures up to b are decided by its events up to b), the agents selected, and
whether totals are asked. So a scope's text stays exact until an event older than b
reaches the account: `invalidate(account, t)` (called for every batch applied, with its
oldest event time) drops the texts of scopes ending after t; anything else that rewrites
timelines (a load, a pruning, an agent rebuilt from the store) drops the account's all.

Texts are kept per (account, selection): the agents asked (None: all), totals and the
interval length, holding the scopes of the last query of that selection only; the
least recently used selections go first once `max_bytes` is exceeded. A text rendered
from figures read before an invalidation is not kept (`generation`).

Not thread-safe: the engine calls it under its lock.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

# Enough for a 10,000-agent day by the hour (~48 MB) and several smaller selections.
DEFAULT_MAX_BYTES = 128 * 1024 * 1024

Selection = tuple[tuple[int, ...] | None, bool, int]  # (agent ids, totals, interval)
Scope = tuple[int, int]


@dataclass(slots=True)
class _Texts:
    scopes: dict[Scope, bytes] = field(default_factory=dict)
    size: int = 0


class ScopeCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._texts: OrderedDict[tuple[str, Selection], _Texts] = OrderedDict()
        self._size = 0
        self._generations: dict[str, int] = {}

    def generation(self, account_id: str) -> int:
        """Changes whenever texts of the account may have become stale."""
        return self._generations.get(account_id, 0)

    def get(self, account_id: str, selection: Selection, scopes: list[Scope]) -> list[bytes | None]:
        """The kept text of each scope, None where there is none."""
        key = (account_id, selection)
        texts = self._texts.get(key)
        if texts is None:
            return [None] * len(scopes)
        self._texts.move_to_end(key)
        return [texts.scopes.get(scope) for scope in scopes]

    def put(
        self,
        account_id: str,
        selection: Selection,
        scopes: list[Scope],
        texts: list[bytes],
        generation: int,
    ) -> None:
        """Keep the texts of one query's scopes (replacing the selection's earlier ones),
        unless the account changed since `generation` was read."""
        if generation != self.generation(account_id):
            return
        key = (account_id, selection)
        kept = _Texts(dict(zip(scopes, texts, strict=True)))
        kept.size = sum(len(text) for text in texts)
        if kept.size > self.max_bytes:
            return
        self._drop(key)
        self._texts[key] = kept
        self._size += kept.size
        while self._size > self.max_bytes:
            self._drop(next(iter(self._texts)))

    def invalidate(self, account_id: str, oldest_ms: int) -> None:
        """Events from `oldest_ms` on reached the account: scopes ending after it changed."""
        self._bump(account_id)
        for (account, _), texts in self._texts.items():
            if account != account_id:
                continue
            stale = [scope for scope in texts.scopes if scope[1] > oldest_ms]
            for scope in stale:
                removed = len(texts.scopes.pop(scope))
                texts.size -= removed
                self._size -= removed

    def clear(self, account_id: str) -> None:
        """Timelines of the account were rewritten: nothing kept for it is trusted."""
        self._bump(account_id)
        for key in [key for key in self._texts if key[0] == account_id]:
            self._drop(key)

    def _bump(self, account_id: str) -> None:
        self._generations[account_id] = self.generation(account_id) + 1

    def _drop(self, key: tuple[str, Selection]) -> None:
        texts = self._texts.pop(key, None)
        if texts is not None:
            self._size -= texts.size
