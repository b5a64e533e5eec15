"""A report's rows (SPEC section 9) from ms figures: the same four entries an Agent
Activity answer shows (render.py), one row per figure line with time in it.

For each scope (interval), agents in ascending id order; for each agent, the lines of
its entries in the answer's order: Online, Back in 5, Away, then Away's reasons (by total
descending, then id, as in `reasons`), then Logged in. A line is written when its total
is more than 0 ms, so an agent has rows in a scope exactly when the API lists it there.
The seconds are floored from ms each on its own, exactly as the API's (`to_seconds`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np

from agentactivity.directory import AgentLabel
from agentactivity.engine.account import ScopeFigures
from agentactivity.engine.render import to_seconds, with_logged_in
from agentactivity.query import StateNames
from agentactivity.reports import Row

ONLINE, BACK_SOON, AWAY, LOGGED_IN = range(4)


def _reasons_by_pair(figures: ScopeFigures) -> dict[tuple[int, int], list[tuple[str, list[int]]]]:
    """(agent row, scope) -> [(reason id, 4 seconds)] of the reasons with time, in the
    answer's order."""
    reasons = figures.reasons  # (series, scope, 3) ms
    series, scopes = np.nonzero(reasons[..., 0] > 0)
    found: dict[tuple[int, int], list[tuple[int, str, list[int]]]] = {}
    if len(series):
        totals = reasons[series, scopes, 0].tolist()
        seconds = to_seconds(reasons[series, scopes]).tolist()
        rows = figures.reason_rows[series].tolist()
        for s, scope, row, total, values in zip(
            series.tolist(), scopes.tolist(), rows, totals, seconds
        ):
            found.setdefault((row, scope), []).append((total, figures.reason_ids[s], values))
    ordered: dict[tuple[int, int], list[tuple[str, list[int]]]] = {}
    for pair, items in found.items():
        items.sort(key=lambda item: (-item[0], item[1]))  # total desc, then id
        ordered[pair] = [(reason_id, values) for _total, reason_id, values in items]
    return ordered


def report_rows(
    figures: ScopeFigures,
    starts: list[str],
    labels: Callable[[int], AgentLabel],
    reason_names: Mapping[str, str],
    names: StateNames,
) -> Iterator[list[Row]]:
    """The rows of each scope in turn; `starts[k]` is scope k's intervalStart text."""
    states_ms = with_logged_in(figures.states)  # (agent, scope, 12)
    totals = states_ms[..., 0::3]  # (agent, scope, 4): each line's total ms
    reasons = _reasons_by_pair(figures)
    state_names = (names.online, names.back_soon, names.away, names.logged_in)
    agent_ids = figures.agent_ids
    for scope, start in enumerate(starts):
        rows_of_scope = np.nonzero(totals[:, scope, LOGGED_IN] > 0)[0]
        if not len(rows_of_scope):
            yield []
            continue
        has_time = (totals[rows_of_scope, scope] > 0).tolist()
        seconds = to_seconds(states_ms[rows_of_scope, scope]).tolist()  # (listed, 16)
        rows: list[Row] = []
        for row, lines, values in zip(rows_of_scope.tolist(), has_time, seconds):
            agent_id = agent_ids[row]
            label = labels(agent_id)
            head = (agent_id, label.name, label.employee_id, label.group_id, start)
            for line in (ONLINE, BACK_SOON, AWAY, LOGGED_IN):
                if lines[line]:
                    total, chatting, not_chatting, at_max = values[4 * line : 4 * line + 4]
                    rows.append(
                        (
                            *head,
                            state_names[line],
                            None,
                            None,
                            total,
                            chatting,
                            not_chatting,
                            at_max,
                        )
                    )
                if line == AWAY:
                    for reason_id, (total, chatting, not_chatting, at_max) in reasons.get(
                        (row, scope), ()
                    ):
                        rows.append(
                            (
                                *head,
                                names.away,
                                reason_id,
                                reason_names.get(reason_id),
                                total,
                                chatting,
                                not_chatting,
                                at_max,
                            )
                        )
        yield rows
