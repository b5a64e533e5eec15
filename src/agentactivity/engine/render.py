"""Figures in ms written straight to the reference's JSON (SPEC section 3).

An answer for all agents over many intervals holds tens of thousands of small objects;
building them as Python dicts costs ten to thirty times more than the figures
themselves. So the JSON is written from templates: the fixed parts (keys, ids, names)
are encoded once, and each agent entry is one `%` formatting of 16 whole seconds and its
reasons. Only (agent, scope) pairs that are listed are ever converted from arrays.
"""

from __future__ import annotations

import numpy as np
import orjson

from agentactivity.directory import DirectorySnapshot
from agentactivity.engine.account import ScopeFigures
from agentactivity.engine.groups import group_sums
from agentactivity.query import StateNames

VALUE = '{"total":%d,"chatting":%d,"notChatting":%d,"chattingInMaxConcurrency":%d}'


def _json_text(value: str) -> str:
    """A JSON string literal, safe to embed in a %-template."""
    return orjson.dumps(value).decode().replace("%", "%%")


def entries_template(names: StateNames) -> str:
    """The four entries of an agent: 16 %d (seconds) and one %s (the reasons array)."""
    return (
        f'[{{"id":2,"name":{_json_text(names.online)},"value":{VALUE}}},'
        f'{{"id":3,"name":{_json_text(names.back_soon)},"value":{VALUE}}},'
        f'{{"reasons":%s,"id":4,"name":{_json_text(names.away)},"value":{VALUE}}},'
        f'{{"id":-1,"name":{_json_text(names.logged_in)},"value":{VALUE}}}]'
    )


def to_seconds(ms: np.ndarray) -> np.ndarray:
    """(..., 3k) ms columns (total, chatting, at max) per group -> (..., 4k) seconds
    (total, chatting, notChatting, chattingInMaxConcurrency), each floored on its own."""
    total, chatting, at_max = ms[..., 0::3], ms[..., 1::3], ms[..., 2::3]
    seconds = np.stack([total, chatting, total - chatting, at_max], axis=-1) // 1000
    return seconds.reshape(*ms.shape[:-1], 4 * (ms.shape[-1] // 3))


def with_logged_in(ms: np.ndarray) -> np.ndarray:
    """Append the "Logged in" group, the sum of the three states, to 9 ms columns."""
    return np.concatenate([ms, ms[..., 0:3] + ms[..., 3:6] + ms[..., 6:9]], axis=-1)


class Renderer:
    """Writes one query's answer, scope by scope, from its ms figures."""

    def __init__(
        self,
        figures: ScopeFigures,
        names: StateNames,
        totals: bool,
        groups: DirectorySnapshot | None = None,
    ) -> None:
        self._template = entries_template(names)
        self._totals = totals
        self._figures = figures
        states = figures.states  # (agent, scope, 9)
        listed = states[..., 0::3].sum(axis=-1) > 0  # logged in during the scope
        self._listed = listed
        scopes, rows = np.nonzero(listed.T)  # scope-major, agents ascending within
        seconds = to_seconds(with_logged_in(states[rows, scopes])).tolist()
        self._pairs: list[list[tuple[int, list[int]]]] = [[] for _ in range(states.shape[1])]
        for scope, row, values in zip(scopes.tolist(), rows.tolist(), seconds):
            self._pairs[scope].append((row, values))
        self._agent_keys = [f'"{agent}":' for agent in figures.agent_ids]

        # Away reasons with time in a scope: (total ms, id, seconds) per (agent, scope).
        reasons = figures.reasons  # (series, scope, 3)
        series, r_scopes = np.nonzero(reasons[..., 0] > 0)
        totals_ms = reasons[series, r_scopes, 0].tolist()
        r_seconds = to_seconds(reasons[series, r_scopes]).tolist()
        rows_of = figures.reason_rows[series].tolist()
        self._reasons: dict[tuple[int, int], list[tuple[int, str, list[int]]]] = {}
        for s, scope, row, total, values in zip(
            series.tolist(), r_scopes.tolist(), rows_of, totals_ms, r_seconds
        ):
            self._reasons.setdefault((row, scope), []).append(
                (total, figures.reason_ids[s], values)
            )
        for found in self._reasons.values():
            found.sort(key=lambda item: (-item[0], item[1]))  # total desc, then id
        self._reason_ids: dict[str, str] = {}
        self._groups: list[str] | None = None
        if groups is not None:
            self._groups = self._group_entries(figures, listed, groups)

    def _group_entries(
        self, figures: ScopeFigures, listed: np.ndarray, directory: DirectorySnapshot
    ) -> list[str]:
        """Per scope, the inside of its `metricsPerGroup` object."""
        sums = group_sums(figures, listed, directory)
        keys = [orjson.dumps(group_id).decode() + ":" for group_id in sums.group_ids]
        seconds = to_seconds(with_logged_in(sums.states)).tolist()  # (group, scope, 16)
        reasons = sums.reasons
        per_scope: list[list[str]] = [[] for _ in range(listed.shape[1])]
        scopes, groups = np.nonzero(sums.listed.T)  # scope-major, groups ascending within
        for scope, group in zip(scopes.tolist(), groups.tolist()):
            found = self._reasons_json(reasons.get((group, scope)))
            per_scope[scope].append(keys[group] + self._entries(seconds[group][scope], found))
        return [",".join(parts) for parts in per_scope]

    def _reasons_json(self, found: list[tuple[int, str, list[int]]] | None) -> str:
        if not found:
            return "[]"
        parts = []
        for _total, reason_id, values in found:
            text = self._reason_ids.get(reason_id)
            if text is None:
                text = self._reason_ids[reason_id] = orjson.dumps(reason_id).decode()
            parts.append('{"id":%s,"value":%s}' % (text, VALUE % tuple(values)))
        return "[" + ",".join(parts) + "]"

    def _entries(self, values: list[int], reasons: str) -> str:
        return self._template % (*values[:8], reasons, *values[8:])

    def agents_metrics(self, scope: int) -> str:
        reasons = self._reasons
        keys = self._agent_keys
        per_agent = ",".join(
            keys[row] + self._entries(values, self._reasons_json(reasons.get((row, scope))))
            for row, values in self._pairs[scope]
        )
        totals = self._sum_entries(scope) if self._totals else "[]"
        if self._groups is not None:
            # Beside metricsPerAgent (SPEC 8), before metricsTotals: docs/api.md.
            return '{"metricsPerAgent":{%s},"metricsPerGroup":{%s},"metricsTotals":%s}' % (
                per_agent,
                self._groups[scope],
                totals,
            )
        return '{"metricsPerAgent":{%s},"metricsTotals":%s}' % (per_agent, totals)

    def _sum_entries(self, scope: int) -> str:
        """The four entries of the sum, in ms, over the agents listed in the scope."""
        figures = self._figures
        listed = self._listed[:, scope]
        state_ms = figures.states[listed, scope].sum(axis=0)
        reasons = figures.reasons[:, scope]  # (series, 3)
        chosen = np.nonzero(listed[figures.reason_rows] & (reasons[:, 0] > 0))[0]
        sums: dict[str, np.ndarray] = {}
        for s in chosen.tolist():
            reason_id = figures.reason_ids[s]
            sums[reason_id] = sums.get(reason_id, 0) + reasons[s]
        found = sorted(
            ((int(ms[0]), rid, to_seconds(ms).tolist()) for rid, ms in sums.items()),
            key=lambda item: (-item[0], item[1]),
        )
        values = to_seconds(with_logged_in(state_ms)).tolist()
        return self._entries(values, self._reasons_json(found))


def scope_texts(
    figures: ScopeFigures,
    names: StateNames,
    totals: bool,
    groups: DirectorySnapshot | None = None,
) -> list[bytes]:
    """The `agentsMetrics` object of every scope of `figures`, each on its own (a scope's
    text does not depend on the others: engine/scope_cache.py keeps them)."""
    renderer = Renderer(figures, names, totals, groups)
    return [renderer.agents_metrics(k).encode() for k in range(figures.states.shape[1])]


def assemble(texts: list[bytes], intervals: list[int], version: int) -> bytes:
    """The whole answer from the scopes' texts: texts[0] is the window's, texts[1..] the
    intervals' (newest first) whose unclipped ends are `intervals`. One join: answers of
    many MB are copied once."""
    parts: list[bytes] = [b'{"meta":{"responseCode":200},"body":'] if version == 2 else []
    if intervals:
        parts.append(b'{"metricsByIntervals":[')
        for k, (stamp, text) in enumerate(zip(intervals, texts[1:], strict=True)):
            head = b'{"timestamp":%d,"metricsData":{"agentsMetrics":' % stamp
            parts += [b"," + head if k else head, text, b"}}"]
        parts.append(b'],"agentsMetrics":')
    else:
        parts.append(b'{"agentsMetrics":')
    parts += [texts[0], b"}}" if version == 2 else b"}"]
    return b"".join(parts)


def render(
    figures: ScopeFigures,
    names: StateNames,
    totals: bool,
    intervals: list[int],
    version: int,
    groups: DirectorySnapshot | None = None,
) -> bytes:
    """The whole answer: scope 0 is the window, scopes 1.. the intervals (newest first)
    whose unclipped ends are `intervals`; with `groups`, each scope's metricsPerGroup
    over that directory."""
    return assemble(scope_texts(figures, names, totals, groups), intervals, version)
