"""Group rollups (SPEC section 8, `groupTotals`): per scope, each agent group's sum of the
figures of its listed agents, its descendants' members included.

The sums come from the per-agent ms rows the engine already produced for the answer
(no second pass over timelines), in two steps of sorted sums (`np.add.reduceat`) over
all scopes at once: the listed agents' rows are summed per own group, then each own
group's sum is added to every group of its chain (itself and its ancestors, up to the
root). An account has far fewer groups than agents, so the second step is small
whatever the depth of the tree. Away reasons go the same way, keyed by (group, reason).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agentactivity.directory import DirectorySnapshot
from agentactivity.engine.account import ScopeFigures

# One reason's sum in one (group, scope): (total ms, reason id, its 4 figures in seconds).
ReasonSum = tuple[int, str, list[int]]


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


def _sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys ascending, `values` summed per key)."""
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(values, starts, axis=0)


def _join(
    owners: np.ndarray, pair_owners: np.ndarray, pair_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every (item, value) such that the item's owner has the pair (owner, value):
    (item indices, values). `pair_owners` sorted ascending."""
    first = np.searchsorted(pair_owners, owners, side="left")
    lengths = np.searchsorted(pair_owners, owners, side="right") - first
    items = np.repeat(np.arange(len(owners)), lengths)
    offsets = np.arange(len(items)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return items, pair_values[np.repeat(first, lengths) + offsets]


def group_sums(
    figures: ScopeFigures, listed: np.ndarray, directory: DirectorySnapshot
) -> GroupSums:
    """The sums of every group with a listed agent in some scope; `listed[a, k]` tells
    whether agent row a is listed in scope k (logged in for more than 0 ms)."""
    scopes, columns = listed.shape[1], figures.states.shape[2]
    rows = np.flatnonzero(listed.any(axis=1))
    if not len(rows):
        empty = np.zeros((0, scopes, columns), dtype=np.int64)
        return GroupSums([], empty, np.zeros((0, scopes), dtype=bool), {})
    # Own groups, numbered in order of appearance, and the (own, group) pairs of chains.
    ids = figures.agent_ids
    numbers: dict[str, int] = {}
    owns = [numbers.setdefault(g, len(numbers)) for g in directory.groups_of(ids[r] for r in rows)]
    own_of_row = np.array(owns, dtype=np.int64)
    chains = [directory.chain(own) for own in numbers]
    group_ids = sorted({group for chain in chains for group in chain}, key=group_order)
    column = {group: i for i, group in enumerate(group_ids)}
    pair_owns = np.array([o for o, chain in enumerate(chains) for _ in chain], dtype=np.int64)
    pair_groups = np.array([column[g] for chain in chains for g in chain], dtype=np.int64)

    # Agents -> own groups -> every group of their chains (each step: keys 0..n-1 all found).
    shown = listed[rows]
    _, own_states = _sum_by_key(own_of_row, figures.states[rows] * shown[..., None])
    _, own_counts = _sum_by_key(own_of_row, shown.astype(np.int64))
    _, states = _sum_by_key(pair_groups, own_states[pair_owns])
    _, counts = _sum_by_key(pair_groups, own_counts[pair_owns])

    own_of_all_rows = np.full(len(ids), -1, dtype=np.int64)
    own_of_all_rows[rows] = own_of_row
    reasons = _reason_sums(figures, listed, own_of_all_rows, pair_owns, pair_groups)
    return GroupSums(group_ids, states, counts > 0, reasons)


def _reason_sums(
    figures: ScopeFigures,
    listed: np.ndarray,
    own_of_rows: np.ndarray,
    pair_owns: np.ndarray,
    pair_groups: np.ndarray,
) -> dict[tuple[int, int], list[ReasonSum]]:
    """Per (group, scope): each reason id's figures summed over the group's listed
    agents, for the reasons with time (as `metricsTotals` sums them)."""
    out: dict[tuple[int, int], list[ReasonSum]] = {}
    series_owns = own_of_rows[figures.reason_rows]
    used = np.flatnonzero(series_owns >= 0)  # series of agents listed somewhere
    if not len(used):
        return out
    numbers: dict[str, int] = {}
    reason_of_series = np.array(
        [numbers.setdefault(figures.reason_ids[s], len(numbers)) for s in used.tolist()],
        dtype=np.int64,
    )
    names = list(numbers)
    values = figures.reasons[used]  # (series, scope, 3)
    # A series counts in a scope where its agent is listed and it has time.
    counted = listed[figures.reason_rows[used]] & (values[..., 0] > 0)
    own_keys, own_sums = _sum_by_key(
        series_owns[used] * len(names) + reason_of_series, values * counted[..., None]
    )
    order = np.argsort(pair_owns, kind="stable")
    items, groups = _join(own_keys // len(names), pair_owns[order], pair_groups[order])
    keys, sums = _sum_by_key(groups * len(names) + own_keys[items] % len(names), own_sums[items])
    found_keys, found_scopes = np.nonzero(sums[..., 0] > 0)
    totals = sums[found_keys, found_scopes, 0].tolist()
    seconds = _seconds(sums[found_keys, found_scopes]).tolist()
    group_of, reason_of = np.divmod(keys[found_keys], len(names))
    for group, reason, scope, total, values_s in zip(
        group_of.tolist(), reason_of.tolist(), found_scopes.tolist(), totals, seconds
    ):
        out.setdefault((group, scope), []).append((total, names[reason], values_s))
    for found in out.values():
        found.sort(key=lambda item: (-item[0], item[1]))  # total desc, then id
    return out


def _seconds(ms: np.ndarray) -> np.ndarray:
    """(n, 3) ms (total, chatting, at max) -> (n, 4) whole seconds (total, chatting,
    notChatting, chattingInMaxConcurrency), each floored on its own (as render.py)."""
    total, chatting, at_max = ms[:, 0], ms[:, 1], ms[:, 2]
    return np.stack([total, chatting, total - chatting, at_max], axis=-1) // 1000
