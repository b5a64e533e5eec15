"""A brute-force reference for the Agent Activity figures, written from SPEC.md alone.

It is meant to be obviously correct, not fast, and it shares no code with the engine
(only the `Event` and `ActivityQuery` dataclasses, which are plain data):

- the agent's situation at instant t is found by replaying, from scratch, every one of
  its events with `time <= t`, in order of (time, arrival sequence)  [SPEC 2];
- a scope [a, b) is cut at every event time strictly inside it, and each piece gets the
  situation at its left end (nothing changes inside a piece, since every change happens
  at an event time);
- every figure is summed in ms, then floored to whole seconds on its own  [SPEC 3].

People and teams [SPEC 8]: `Directory` is the reference's own reading of a directory (a
parent per group, a group per agent); an agent counts in a group iff the group is its
own or one above it, and `agentGroupIds` keeps the agents that count in an asked group.

`ReferenceEngine` mirrors the interface under test (`apply` / `agent_activity`) so the
tests can drive both the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentactivity.events import Event
from agentactivity.query import ActivityQuery

MINUTE_MS = 60_000
FIVE_MINUTES_MS = 5 * MINUTE_MS

ONLINE, BACK_SOON, AWAY, LOGGED_IN = 2, 3, 4, -1
DEFAULT_NAMES = {ONLINE: "Online", BACK_SOON: "Back in 5", AWAY: "Away", LOGGED_IN: "Logged in"}
STATE_ID = {"ONLINE": ONLINE, "BACK_SOON": BACK_SOON, "AWAY": AWAY}


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Situation:
    """Everything about an agent that the figures depend on, at one instant."""

    logged_in: bool
    state: str | None  # ONLINE / BACK_SOON / AWAY while logged in, else None
    reason: str | None  # only while AWAY
    chats: frozenset[str]
    limit: int  # 0 = no limit

    @property
    def chatting(self) -> bool:
        return len(self.chats) >= 1

    @property
    def at_max_concurrency(self) -> bool:
        return self.limit > 0 and len(self.chats) >= self.limit


def ordered_events(pairs: Iterable[tuple[int, Event]]) -> list[tuple[int, Event]]:
    """Events of one agent in application order: by time, ties by arrival sequence."""
    return sorted(pairs, key=lambda pair: (pair[1].time, pair[0]))


def situation_at(pairs: list[tuple[int, Event]], t: int) -> Situation:
    """Replay from scratch every event with time <= t (pairs already in application order)."""
    logged_in = False  # before its first event an agent is logged out,
    state: str | None = None
    reason: str | None = None
    chats: set[str] = set()  # with no chats
    limit = 0  # and no chat limit
    for _seq, ev in pairs:
        if ev.time > t:
            break
        if ev.type == "state":
            if ev.state == "OFFLINE":
                logged_in, state, reason = False, None, None
                chats.clear()  # every OFFLINE ends all chats, even when already logged out
            else:
                logged_in, state = True, ev.state
                # A state event sets (state, reason): the reason is the one it carries.
                reason = ev.reason_id if ev.state == "AWAY" else None
        elif ev.type == "chat_start":
            chats.add(ev.chat_id)  # no-op if already active
        elif ev.type == "chat_end":
            chats.discard(ev.chat_id)  # no-op if unknown
        elif ev.type == "max_chats":
            limit = ev.max_chats
        else:  # pragma: no cover - events are validated upstream
            raise ValueError(f"unknown event type {ev.type!r}")
    return Situation(logged_in, state, reason, frozenset(chats), limit)


# --------------------------------------------------------------------------- figures in ms


@dataclass
class Ms:
    """The three independent figures of one state (or reason) in ms."""

    total: int = 0
    chatting: int = 0
    max_concurrency: int = 0

    def add(self, other: Ms) -> None:
        self.total += other.total
        self.chatting += other.chatting
        self.max_concurrency += other.max_concurrency


@dataclass
class AgentMs:
    """Figures in ms of one agent (or of a sum of agents) over one scope."""

    states: dict[int, Ms]
    reasons: dict[str, Ms]

    @classmethod
    def zero(cls) -> AgentMs:
        return cls({ONLINE: Ms(), BACK_SOON: Ms(), AWAY: Ms()}, {})

    def logged_in(self) -> Ms:
        out = Ms()
        for sid in (ONLINE, BACK_SOON, AWAY):
            out.add(self.states[sid])
        return out

    def add(self, other: AgentMs) -> None:
        for sid in (ONLINE, BACK_SOON, AWAY):
            self.states[sid].add(other.states[sid])
        for rid, ms in other.reasons.items():
            self.reasons.setdefault(rid, Ms()).add(ms)


def agent_ms(pairs: list[tuple[int, Event]], a: int, b: int) -> AgentMs:
    """Sum the agent's ms over [a, b), piece by piece between event times."""
    out = AgentMs.zero()
    cuts = sorted({a, b} | {ev.time for _s, ev in pairs if a < ev.time < b})
    for lo, hi in zip(cuts, cuts[1:]):
        sit = situation_at(pairs, lo)
        if not sit.logged_in:
            continue  # time only counts while logged in
        piece = Ms(
            total=hi - lo,
            chatting=(hi - lo) if sit.chatting else 0,
            max_concurrency=(hi - lo) if sit.at_max_concurrency else 0,
        )
        out.states[STATE_ID[sit.state]].add(piece)
        if sit.state == "AWAY" and sit.reason is not None:
            out.reasons.setdefault(sit.reason, Ms()).add(piece)
    return out


# --------------------------------------------------------------------------- JSON shape


def shown(ms: Ms) -> dict[str, int]:
    """Each figure floored to whole seconds on its own; notChatting from ms."""
    return {
        "total": ms.total // 1000,
        "chatting": ms.chatting // 1000,
        "notChatting": (ms.total - ms.chatting) // 1000,
        "chattingInMaxConcurrency": ms.max_concurrency // 1000,
    }


def entries(fig: AgentMs, names: dict[int, str]) -> list[dict[str, Any]]:
    """The four entries (2, 3, 4 with reasons first, -1), in the reference's order."""
    reasons = [
        (rid, ms)
        for rid, ms in sorted(fig.reasons.items(), key=lambda kv: (-kv[1].total, kv[0]))
        if ms.total > 0  # every reason with time in the scope
    ]
    return [
        {"id": ONLINE, "name": names[ONLINE], "value": shown(fig.states[ONLINE])},
        {"id": BACK_SOON, "name": names[BACK_SOON], "value": shown(fig.states[BACK_SOON])},
        {
            "reasons": [{"id": rid, "value": shown(ms)} for rid, ms in reasons],
            "id": AWAY,
            "name": names[AWAY],
            "value": shown(fig.states[AWAY]),
        },
        {"id": LOGGED_IN, "name": names[LOGGED_IN], "value": shown(fig.logged_in())},
    ]


ROOT = "-1"


@dataclass
class Directory:
    """`parents`: group id -> its parent (None for the root "-1"), groups not deleted;
    `groups_of_agents`: agent id -> its group, for the users not deleted."""

    parents: dict[str, str | None]
    groups_of_agents: dict[int, str]

    def counted_in(self, agent: int) -> set[str]:
        """The groups an agent's figures count in: its own (the root when it has no
        entry) and every group above it."""
        group: str | None = self.groups_of_agents.get(agent, ROOT)
        if group not in self.parents:
            group = ROOT  # (not generated: the store keeps members' groups)
        found = set()
        while group is not None and group not in found:
            found.add(group)
            group = self.parents.get(group)
        return found | {ROOT}  # the root holds every agent

    def selects(self, agent: int, asked: Iterable[str]) -> bool:
        """Whether `agentGroupIds=asked` keeps the agent: it is a member of an asked
        group or of a group below one."""
        unknown = [group for group in asked if group not in self.parents]
        if unknown:
            raise ValueError(f"unknown groups {unknown}")
        return bool(self.counted_in(agent).intersection(asked))


def group_key(group: str) -> int:
    return int(group)  # ascending numeric order, as agents


def agents_metrics(
    timelines: dict[int, list[tuple[int, Event]]],
    agent_ids: list[int],
    a: int,
    b: int,
    totals: bool,
    names: dict[int, str],
    groups: Directory | None = None,
) -> dict[str, Any]:
    """`{"metricsPerAgent": ..., "metricsTotals": ...}` of one scope [a, b); with
    `groups`, `metricsPerGroup` between them."""
    per_agent: dict[str, Any] = {}
    total = AgentMs.zero()
    per_group: dict[str, AgentMs] = {}
    for agent in sorted(agent_ids):  # keys in ascending numeric order
        fig = agent_ms(timelines.get(agent, []), a, b)
        if fig.logged_in().total > 0:  # listed iff logged in > 0 ms in the scope
            per_agent[str(agent)] = entries(fig, names)
            total.add(fig)
            for group in groups.counted_in(agent) if groups is not None else ():
                per_group.setdefault(group, AgentMs.zero()).add(fig)
    out: dict[str, Any] = {"metricsPerAgent": per_agent}
    if groups is not None:
        out["metricsPerGroup"] = {
            group: entries(per_group[group], names) for group in sorted(per_group, key=group_key)
        }
    out["metricsTotals"] = entries(total, names) if totals else []
    return out


def interval_scopes(s: int, e: int, interval_minutes: int) -> list[tuple[int, int, int]]:
    """(timestamp, a, b) of every non-empty interval, newest first  [SPEC 3, Shape]."""
    step = interval_minutes * MINUTE_MS
    r = e if e % FIVE_MINUTES_MS == 0 else (e // FIVE_MINUTES_MS + 1) * FIVE_MINUTES_MS
    out = []
    k = 0
    while r - k * step > s:  # once an interval ends at or before S, all later ones are empty
        lo, hi = r - (k + 1) * step, r - k * step
        a, b = max(lo, s), min(hi, e)
        if a < b:
            out.append((hi, a, b))
        k += 1
    return out


def agent_activity(
    pairs: Iterable[tuple[int, Event]],
    query: ActivityQuery,
    now_ms: int,
    names: dict[int, str] | None = None,
    directory: Directory | None = None,
) -> dict[str, Any]:
    """The whole response payload for the events (seq, event) of one account, with the
    account's `directory` (None: nobody in it, only the root group)."""
    names = names or DEFAULT_NAMES
    by_agent: dict[int, list[tuple[int, Event]]] = {}
    for seq, ev in pairs:
        by_agent.setdefault(ev.agent_id, []).append((seq, ev))
    timelines = {agent: ordered_events(evs) for agent, evs in by_agent.items()}

    e = query.to if query.to is not None else now_ms
    s = e - query.timeframe * MINUTE_MS
    agent_ids = list(timelines) if query.agent_ids is None else list(set(query.agent_ids))
    directory = directory or Directory({ROOT: None}, {})
    if query.agent_group_ids is not None:
        asked = query.agent_group_ids
        agent_ids = [agent for agent in agent_ids if directory.selects(agent, asked)]
    groups = directory if query.group_totals else None

    whole = agents_metrics(timelines, agent_ids, s, e, query.totals, names, groups)
    if query.interval is None:
        body: dict[str, Any] = {"agentsMetrics": whole}
    else:
        body = {
            "metricsByIntervals": [
                {
                    "timestamp": ts,
                    "metricsData": {
                        "agentsMetrics": agents_metrics(
                            timelines, agent_ids, a, b, query.totals, names, groups
                        )
                    },
                }
                for ts, a, b in interval_scopes(s, e, query.interval)
            ],
            "agentsMetrics": whole,
        }
    if query.version == 2:
        return {"meta": {"responseCode": 200}, "body": body}
    return body


class ReferenceEngine:
    """Same interface as `agentactivity.engine.Engine`, backed by the brute force above."""

    def __init__(self, names: dict[int, str] | None = None) -> None:
        self.names = names
        self.accounts: dict[str, list[tuple[int, Event]]] = {}

    def apply(self, account: str, pairs: Iterable[tuple[int, Event]]) -> None:
        self.accounts.setdefault(account, []).extend(pairs)

    def agent_activity(self, account: str, query: ActivityQuery, now_ms: int) -> dict[str, Any]:
        return agent_activity(self.accounts.get(account, []), query, now_ms, self.names)


# --------------------------------------------------------------------------- comparing payloads


def key_order(obj: Any) -> Any:
    """The payload with every dict turned into its list of (key, value) pairs, in order."""
    if isinstance(obj, dict):
        return [(k, key_order(v)) for k, v in obj.items()]
    if isinstance(obj, list):
        return [key_order(v) for v in obj]
    return obj


def agents_metrics_blocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every `agentsMetrics` object of a payload (intervals first, then the whole window)."""
    body = payload["body"] if "meta" in payload else payload
    blocks = [item["metricsData"]["agentsMetrics"] for item in body.get("metricsByIntervals", [])]
    blocks.append(body["agentsMetrics"])
    return blocks


def assert_same_payload(got: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal as JSON values, and with the key orders that naive clients depend on."""
    assert got == expected
    for got_block, exp_block in zip(agents_metrics_blocks(got), agents_metrics_blocks(expected)):
        assert list(got_block["metricsPerAgent"]) == list(exp_block["metricsPerAgent"]), (
            "metricsPerAgent keys must be in ascending numeric order"
        )
        got_groups, exp_groups = got_block.get("metricsPerGroup"), exp_block.get("metricsPerGroup")
        assert list(got_groups or []) == list(exp_groups or []), "metricsPerGroup keys"
        for agent_entries in [
            *got_block["metricsPerAgent"].values(),
            *(got_groups or {}).values(),
            got_block["metricsTotals"],
        ]:
            if agent_entries:
                assert [entry["id"] for entry in agent_entries] == [2, 3, 4, -1]
                assert list(agent_entries[2]) == ["reasons", "id", "name", "value"]
    assert key_order(got) == key_order(expected), "same values but a different key order"


def json_types_ok(obj: Any) -> bool:
    """Only plain JSON types (int, not numpy integers; str keys), so any encoder can write it."""
    if isinstance(obj, dict):
        return all(type(k) is str and json_types_ok(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(json_types_ok(v) for v in obj)
    return type(obj) in (int, str)
