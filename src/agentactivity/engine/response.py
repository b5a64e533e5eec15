"""Figures in ms turned into the reference's JSON shape (SPEC section 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agentactivity.engine.account import ScopeFigures


@dataclass(frozen=True, slots=True)
class StateNames:
    """Display names of the four entries; the ids are the stable keys."""

    online: str = "Online"
    back_soon: str = "Back in 5"
    away: str = "Away"
    logged_in: str = "Logged in"


def to_seconds(ms: np.ndarray) -> np.ndarray:
    """(..., 3k) ms columns (total, chatting, at max) per group -> (..., k, 4) seconds
    (total, chatting, notChatting, chattingInMaxConcurrency), each floored on its own."""
    total, chatting, at_max = ms[..., 0::3], ms[..., 1::3], ms[..., 2::3]
    return np.stack([total, chatting, total - chatting, at_max], axis=-1) // 1000


def _value(seconds: list[int]) -> dict[str, int]:
    return {
        "total": seconds[0],
        "chatting": seconds[1],
        "notChatting": seconds[2],
        "chattingInMaxConcurrency": seconds[3],
    }


def _with_logged_in(ms: np.ndarray) -> np.ndarray:
    """Append the "Logged in" group, the sum of the three states, to 9 ms columns."""
    logged_in = ms[..., 0:3] + ms[..., 3:6] + ms[..., 6:9]
    return np.concatenate([ms, logged_in], axis=-1)


class ResponseBuilder:
    """Shapes one query's figures, scope by scope."""

    def __init__(self, figures: ScopeFigures, names: StateNames, totals: bool) -> None:
        self._names = names
        self._totals = totals
        self._agent_ids = [str(a) for a in figures.agent_ids]
        self._states_ms = figures.states  # (agent, scope, 9)
        self._listed = (figures.states[..., 0::3].sum(axis=-1) > 0).T.tolist()  # [scope][agent]
        self._seconds = to_seconds(_with_logged_in(figures.states)).tolist()
        self._reasons_ms = figures.reasons  # (series, scope, 3)
        self._reason_totals = figures.reasons[..., 0].T.tolist()  # [scope][series]
        self._reason_seconds = to_seconds(figures.reasons)[..., 0, :].tolist()
        self._reasons_of: dict[int, list[int]] = {}
        for series, row in enumerate(figures.reason_rows.tolist()):
            self._reasons_of.setdefault(row, []).append(series)
        self._reason_ids = figures.reason_ids

    def _entries(self, seconds: list[list[int]], reasons: list[Any]) -> list[dict[str, Any]]:
        names = self._names
        return [
            {"id": 2, "name": names.online, "value": _value(seconds[0])},
            {"id": 3, "name": names.back_soon, "value": _value(seconds[1])},
            {"reasons": reasons, "id": 4, "name": names.away, "value": _value(seconds[2])},
            {"id": -1, "name": names.logged_in, "value": _value(seconds[3])},
        ]

    def agents_metrics(self, scope: int) -> dict[str, Any]:
        per_agent: dict[str, Any] = {}
        listed_rows = []
        reason_totals = self._reason_totals[scope]
        for row, listed in enumerate(self._listed[scope]):
            if not listed:
                continue  # listed only with logged-in time in the scope
            listed_rows.append(row)
            series = [s for s in self._reasons_of.get(row, ()) if reason_totals[s] > 0]
            # Reasons by total ms descending, then id (as strings).
            series.sort(key=lambda s: (-reason_totals[s], self._reason_ids[s]))
            reasons = [
                {"id": self._reason_ids[s], "value": _value(self._reason_seconds[s][scope])}
                for s in series
            ]
            per_agent[self._agent_ids[row]] = self._entries(self._seconds[row][scope], reasons)
        totals = self._sum_entries(scope, listed_rows) if self._totals else []
        return {"metricsPerAgent": per_agent, "metricsTotals": totals}

    def _sum_entries(self, scope: int, rows: list[int]) -> list[dict[str, Any]]:
        """The four entries of the sum, in ms, over the agents listed in the scope."""
        state_ms = self._states_ms[rows, scope].sum(axis=0)
        by_reason: dict[str, np.ndarray] = {}
        for row in rows:
            for s in self._reasons_of.get(row, ()):
                values = self._reasons_ms[s, scope]
                if values[0] > 0:
                    rid = self._reason_ids[s]
                    by_reason[rid] = by_reason.get(rid, 0) + values
        ordered = sorted(by_reason.items(), key=lambda item: (-int(item[1][0]), item[0]))
        reasons = [{"id": rid, "value": _value(to_seconds(ms)[0].tolist())} for rid, ms in ordered]
        return self._entries(to_seconds(_with_logged_in(state_ms)).tolist(), reasons)
