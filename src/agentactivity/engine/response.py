"""Figures in ms turned into the reference's JSON shape (SPEC section 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentactivity.engine.account import ScopeFigures


@dataclass(frozen=True, slots=True)
class StateNames:
    """Display names of the four entries; the ids are the stable keys."""

    online: str = "Online"
    back_soon: str = "Back in 5"
    away: str = "Away"
    logged_in: str = "Logged in"


def _value(total: int, chatting: int, at_max: int) -> dict[str, int]:
    # Each figure is floored on its own from ms, as the reference says.
    return {
        "total": total // 1000,
        "chatting": chatting // 1000,
        "notChatting": (total - chatting) // 1000,
        "chattingInMaxConcurrency": at_max // 1000,
    }


def _entries(
    columns: list[int], reasons: list[tuple[str, list[int]]], names: StateNames
) -> list[dict[str, Any]]:
    """The four entries of one agent (or of the totals) from 9 ms columns."""
    ordered = sorted(reasons, key=lambda item: (-item[1][0], item[0]))
    return [
        {"id": 2, "name": names.online, "value": _value(*columns[0:3])},
        {"id": 3, "name": names.back_soon, "value": _value(*columns[3:6])},
        {
            "reasons": [{"id": rid, "value": _value(*values)} for rid, values in ordered],
            "id": 4,
            "name": names.away,
            "value": _value(*columns[6:9]),
        },
        {
            "id": -1,
            "name": names.logged_in,
            "value": _value(
                columns[0] + columns[3] + columns[6],
                columns[1] + columns[4] + columns[7],
                columns[2] + columns[5] + columns[8],
            ),
        },
    ]


class ResponseBuilder:
    """Shapes one query's figures, scope by scope."""

    def __init__(self, figures: ScopeFigures, names: StateNames, totals: bool) -> None:
        self._names = names
        self._totals = totals
        self._agent_ids = figures.agent_ids
        self._states = figures.states.tolist()  # [agent][scope][column]
        self._reasons = figures.reasons.tolist()  # [series][scope][column]
        self._reasons_of: dict[int, list[int]] = {}
        for series, row in enumerate(figures.reason_rows.tolist()):
            self._reasons_of.setdefault(row, []).append(series)
        self._reason_ids = figures.reason_ids

    def agents_metrics(self, scope: int) -> dict[str, Any]:
        per_agent: dict[str, Any] = {}
        sums = [0] * 9
        reason_sums: dict[str, list[int]] = {}
        for row, agent_id in enumerate(self._agent_ids):
            columns = self._states[row][scope]
            if columns[0] + columns[3] + columns[6] <= 0:
                continue  # listed only with logged-in time in the scope
            reasons = []
            for series in self._reasons_of.get(row, ()):
                values = self._reasons[series][scope]
                if values[0] > 0:
                    reasons.append((self._reason_ids[series], values))
            per_agent[str(agent_id)] = _entries(columns, reasons, self._names)
            if self._totals:
                sums = [s + c for s, c in zip(sums, columns)]
                for reason_id, values in reasons:
                    acc = reason_sums.setdefault(reason_id, [0, 0, 0])
                    for i in range(3):
                        acc[i] += values[i]
        totals = _entries(sums, list(reason_sums.items()), self._names) if self._totals else []
        return {"metricsPerAgent": per_agent, "metricsTotals": totals}
