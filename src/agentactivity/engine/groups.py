"""Group rollups (SPEC section 8, `groupTotals`): per scope, each agent group's sum of the
figures of its listed agents, its descendants' members included.

The sums come from the per-agent ms rows the engine already produced for the answer
(no second pass over timelines): every agent row is paired with the groups it rolls up
to (its own group and the ancestors, up to the root), the pairs are sorted by group,
and one `np.add.reduceat` per array sums all groups over all scopes at once. Reasons
are summed the same way, per (group, reason id).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agentactivity.directory import DirectorySnapshot
from agentactivity.engine.account import ScopeFigures

# One reason's sum in one (group, scope): (total ms, reason id, its 3 ms columns).
ReasonSum = tuple[int, str, np.ndarray]


def group_order(group_id: str) -> tuple[int, int | str]:
    """Ascending numeric order (the root "-1" first), as agents are ordered; an id that
    is not a number (none is, as the store gives them) after those that are."""
    try:
        return 0, int(group_id)
    except ValueError:
        return 1, group_id


@dataclass(frozen=True, slots=True)
class GroupSums:
    """`states[g, k]`: the 9 ms state columns summed over the agents of group
    `group_ids[g]` listed in scope k; `listed[g, k]`: whether there is any;
    `reasons[(g, k)]`: the Away reasons with time, total desc then id."""

    group_ids: list[str]
    states: np.ndarray
    listed: np.ndarray
    reasons: dict[tuple[int, int], list[ReasonSum]]


def _memberships(
    agent_ids: list[int], directory: DirectorySnapshot
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The groups concerned (ascending) and the (agent row, group index) pairs, sorted
    by group index."""
    by_own_group: dict[str, list[int]] = {}
    for row, agent in enumerate(agent_ids):
        by_own_group.setdefault(directory.group_of(agent), []).append(row)
    group_ids = sorted(
        {group for own in by_own_group for group in directory.chain(own)}, key=group_order
    )
    index = {group: i for i, group in enumerate(group_ids)}
    rows_parts, groups_parts = [], []
    for own, rows in by_own_group.items():
        own_rows = np.array(rows, dtype=np.int64)
        for group in directory.chain(own):
            rows_parts.append(own_rows)
            groups_parts.append(np.full(len(rows), index[group], dtype=np.int64))
    if not rows_parts:
        return group_ids, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows_all, groups_all = np.concatenate(rows_parts), np.concatenate(groups_parts)
    order = np.argsort(groups_all, kind="stable")
    return group_ids, rows_all[order], groups_all[order]


def _sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys, values summed per key) for `keys` sorted ascending."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(values, starts, axis=0)


def group_sums(
    figures: ScopeFigures, listed: np.ndarray, directory: DirectorySnapshot
) -> GroupSums:
    """The sums of every group with a listed agent in some scope; `listed[a, k]` tells
    whether agent row a is listed in scope k (logged in for more than 0 ms)."""
    agent_rows = np.flatnonzero(listed.any(axis=1))
    group_ids, pair_rows, pair_groups = _memberships(
        [figures.agent_ids[row] for row in agent_rows.tolist()], directory
    )
    pair_rows = agent_rows[pair_rows]  # back to rows of `figures`
    scopes = listed.shape[1]
    states = np.zeros((len(group_ids), scopes, figures.states.shape[2]), dtype=np.int64)
    counts = np.zeros((len(group_ids), scopes), dtype=np.int64)
    if len(pair_rows):
        shown = listed[pair_rows]  # (pairs, scopes)
        kept, summed = _sum_by_key(pair_groups, figures.states[pair_rows] * shown[..., None])
        states[kept] = summed
        kept, summed = _sum_by_key(pair_groups, shown.astype(np.int64))
        counts[kept] = summed
    return GroupSums(
        group_ids, states, counts > 0, _reason_sums(figures, listed, pair_rows, pair_groups)
    )


def _reason_sums(
    figures: ScopeFigures, listed: np.ndarray, pair_rows: np.ndarray, pair_groups: np.ndarray
) -> dict[tuple[int, int], list[ReasonSum]]:
    """Per (group, scope): each reason id's figures summed over the group's listed
    agents, for the reasons with time (as `metricsTotals` sums them)."""
    reasons = figures.reasons  # (series, scope, 3)
    out: dict[tuple[int, int], list[ReasonSum]] = {}
    if not len(reasons) or not len(pair_rows):
        return out
    names, reason_index = np.unique(np.array(figures.reason_ids, dtype=object), return_inverse=True)
    # Each series (an agent row's reason) goes to every group its row rolls up to: join
    # the series, sorted by row, with the (row, group) pairs.
    series_rows = figures.reason_rows
    by_row = np.argsort(series_rows, kind="stable")
    first = np.searchsorted(series_rows[by_row], pair_rows, side="left")
    last = np.searchsorted(series_rows[by_row], pair_rows, side="right")
    lengths = last - first
    if not lengths.sum():
        return out
    owners = np.repeat(np.arange(len(pair_rows)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    series = by_row[np.repeat(first, lengths) + offsets]
    groups = pair_groups[owners]
    # A series counts in a scope where its agent is listed and it has time.
    values = reasons[series]  # (joined, scope, 3)
    values = values * (listed[series_rows[series]] & (values[..., 0] > 0))[..., None]
    keys = groups * len(names) + reason_index[series]
    order = np.argsort(keys, kind="stable")
    kept, summed = _sum_by_key(keys[order], values[order])  # (kept, scope, 3)
    group_of_key, reason_of_key = np.divmod(kept, len(names))
    nonzero_key, nonzero_scope = np.nonzero(summed[..., 0] > 0)
    for key, scope in zip(nonzero_key.tolist(), nonzero_scope.tolist()):
        group = int(group_of_key[key])
        ms = summed[key, scope]
        out.setdefault((group, scope), []).append((int(ms[0]), str(names[reason_of_key[key]]), ms))
    for found in out.values():
        found.sort(key=lambda item: (-item[0], item[1]))  # total desc, then id
    return out
