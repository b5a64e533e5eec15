"""The engine against the brute-force reference (reference.py), on generated event streams.

Streams mix everything that makes timelines hard: same-millisecond ties (state changes
and chat starts/ends at one ms), arrival in a random order unrelated to time (seq is the
position in arrival order), logouts with open chats, ends of unknown chats, second
starts of active chats, chats started while logged out, chat limits (0, and below the
current number of chats), Away with and without reasons, repeated states, and event
times exactly on, or one ms around, 5-minute boundaries, interval edges and S and E.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from agentactivity.engine import Engine
from agentactivity.events import Event
from agentactivity.query import ActivityQuery
from tests.property import reference

assert_same_payload = reference.assert_same_payload

MINUTE = 60_000
FIVE = 5 * MINUTE
ACCOUNT = "acct"
OTHER_ACCOUNT = "other"

# Small ids, ids whose string order differs from their numeric order, and huge ones.
ID_POOL = [1, 2, 3, 9, 10, 11, 99, 100, 1000, 2**31, 2**63 - 2, 2**63 - 1]
REASONS = ["2642559712", "2642559112", "9", "10", "a"]
CHATS = ["c1", "c2", "c3"]

SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def new_engine() -> Engine:
    return Engine()


# --------------------------------------------------------------------------- strategies


@dataclass
class Scenario:
    pairs: list[tuple[int, Event]]  # (seq, event) in arrival order
    query: ActivityQuery
    now: int
    window_end: int

    def describe(self) -> str:
        lines = [f"query={self.query} now={self.now} E={self.window_end}"]
        base = self.window_end
        for seq, ev in self.pairs:
            lines.append(f"  seq={seq} t=E{ev.time - base:+d} {ev}")
        return "\n".join(lines)


def offsets(lo_min: int, hi_min: int):
    """Offsets in ms from the base: random, on minutes, on 5-minute edges and next to them."""
    return st.one_of(
        st.integers(lo_min * MINUTE, hi_min * MINUTE),
        st.integers(lo_min, hi_min).map(lambda m: m * MINUTE),
        st.integers(lo_min // 5, hi_min // 5).map(lambda k: k * FIVE),
        st.tuples(st.integers(lo_min // 5, hi_min // 5), st.sampled_from([-1000, -1, 1, 999])).map(
            lambda kd: kd[0] * FIVE + kd[1]
        ),
    )


@st.composite
def queries(draw, agent_ids: list[int]):
    """A query, its window end E and the clock `now`, all relative to a base of 0."""
    timeframe = draw(
        st.one_of(st.sampled_from([5, 10, 15, 20, 30, 60, 90, 120, 180]), st.integers(1, 180))
    )
    divisors = [d for d in range(5, timeframe + 1) if timeframe % d == 0]
    interval = draw(st.one_of(st.none(), st.sampled_from(divisors))) if divisors else None
    end = draw(offsets(0, 200))
    use_to = draw(st.booleans())
    now = end + (draw(st.sampled_from([0, 1, 59_999, 3 * FIVE])) if use_to else 0)
    if draw(st.booleans()):
        ids = None
    else:
        asked = draw(st.sets(st.sampled_from(sorted(set(agent_ids))), max_size=4))
        extra = draw(st.sets(st.sampled_from([1, 2, 9, 10, 2**63 - 1]), max_size=2))
        ids = tuple(sorted(asked | extra)) or (agent_ids[0],)
    query = ActivityQuery(
        timeframe=timeframe,
        agent_ids=ids,
        version=draw(st.sampled_from([1, 2])),
        interval=interval,
        to=end if use_to else None,
        totals=draw(st.booleans()),
    )
    return query, end, now


def login_states():
    """A `state` event that logs the agent in (Away with or without a reason)."""
    return st.one_of(
        st.tuples(st.sampled_from(["ONLINE", "BACK_SOON"]), st.none()),
        st.tuples(st.just("AWAY"), st.one_of(st.none(), st.sampled_from(REASONS))),
    ).map(lambda sr: dict(type="state", state=sr[0], reason_id=sr[1]))


def event_kinds():
    offline = st.just(dict(type="state", state="OFFLINE", reason_id=None))
    return st.one_of(
        st.one_of(login_states(), login_states(), offline),
        st.one_of(login_states(), login_states(), offline),
        st.sampled_from(CHATS).map(lambda c: dict(type="chat_start", chat_id=c)),
        st.sampled_from(CHATS).map(lambda c: dict(type="chat_end", chat_id=c)),
        st.sampled_from([0, 1, 1, 2, 3]).map(lambda m: dict(type="max_chats", max_chats=m)),
    )


@st.composite
def scenarios(draw, min_events_per_agent: int = 0, max_events_per_agent: int = 14):
    base = draw(st.integers(4_000_000, 6_000_000)) * FIVE  # a 5-minute boundary
    any_id = st.one_of(st.sampled_from(ID_POOL), st.integers(1, 2**63 - 1))
    agents = draw(st.lists(any_id, min_size=1, max_size=4, unique=True))
    query, end, now = draw(queries(agents))
    start = end - query.timeframe * MINUTE

    # Hot instants shared by several events (ties) and placed on the edges that matter.
    edges = [end, start, end - 1, end + 1, start - 1, start + 1]
    if query.interval is not None:
        r = -(-end // FIVE) * FIVE
        edges += [r - k * query.interval * MINUTE for k in range(4)]
    # Most events fall in or just before the window, some anywhere (also after E).
    lo_min, hi_min = (start - 20 * MINUTE) // MINUTE, (end + 5 * MINUTE) // MINUTE
    near = st.one_of(
        st.integers(start - 20 * MINUTE, end + 5 * MINUTE),
        st.integers(lo_min, hi_min).map(lambda m: m * MINUTE),
        st.integers(lo_min // 5, hi_min // 5 + 1).map(lambda k: k * FIVE),
        st.tuples(
            st.integers(lo_min // 5, hi_min // 5 + 1), st.sampled_from([-1000, -1, 1, 999])
        ).map(lambda kd: kd[0] * FIVE + kd[1]),
    )
    hot_time = st.one_of(st.sampled_from(edges), near)
    hot = draw(st.lists(hot_time, min_size=1, max_size=6))
    times = st.one_of(st.sampled_from(hot), near, near, offsets(-60, 220))

    events = []
    for agent in agents:
        # Often the agent is already logged in (maybe with a limit and chats) at S.
        early = st.one_of(st.just(start), st.integers(start - 30 * MINUTE, start))
        if draw(st.booleans()):
            kind = draw(login_states())
            events.append(dict(kind, agent_id=agent, time=base + draw(early)))
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(
                st.one_of(
                    st.sampled_from(CHATS).map(lambda c: dict(type="chat_start", chat_id=c)),
                    st.sampled_from([1, 2]).map(lambda m: dict(type="max_chats", max_chats=m)),
                )
            )
            events.append(dict(kind, agent_id=agent, time=base + draw(early)))
        kinds = st.lists(
            event_kinds(), min_size=min_events_per_agent, max_size=max_events_per_agent
        )
        for kind in draw(kinds):
            events.append(dict(kind, agent_id=agent, time=base + draw(times)))
    arrival = draw(st.permutations(events))
    gaps = draw(st.lists(st.integers(1, 3), min_size=len(arrival), max_size=len(arrival)))
    pairs, seq = [], draw(st.integers(1, 1000))
    for i, (fields, gap) in enumerate(zip(arrival, gaps)):
        seq += gap
        pairs.append((seq, Event(event_id=f"ev{i}", **fields)))

    query = ActivityQuery(
        query.timeframe,
        query.agent_ids,
        query.version,
        query.interval,
        None if query.to is None else base + query.to,
        query.totals,
    )
    return Scenario(pairs, query, base + now, base + end)


def other_account_pairs(pairs: list[tuple[int, Event]]) -> list[tuple[int, Event]]:
    """Noise for another account: the same agents, always Online, never chatting."""
    return [
        (seq, Event("state", ev.agent_id, ev.time, "noise" + ev.event_id, state="ONLINE"))
        for seq, ev in pairs
    ]


def expected(pairs, query, now):
    return reference.agent_activity(pairs, query, now)


# --------------------------------------------------------------------------- engine vs reference


@settings(SETTINGS, max_examples=800)
@given(scenarios())
def test_engine_matches_reference(sc: Scenario):
    note(sc.describe())
    engine = new_engine()
    engine.apply(OTHER_ACCOUNT, other_account_pairs(sc.pairs))
    engine.apply(ACCOUNT, sc.pairs)
    got = engine.agent_activity(ACCOUNT, sc.query, sc.now)
    assert_same_payload(got, expected(sc.pairs, sc.query, sc.now))


@settings(SETTINGS, max_examples=100)
@given(scenarios(min_events_per_agent=15, max_events_per_agent=40))
def test_engine_matches_reference_on_long_streams(sc: Scenario):
    note(sc.describe())
    engine = new_engine()
    engine.apply(ACCOUNT, sc.pairs)
    got = engine.agent_activity(ACCOUNT, sc.query, sc.now)
    assert_same_payload(got, expected(sc.pairs, sc.query, sc.now))


@settings(SETTINGS, max_examples=200)
@given(scenarios(), st.data())
def test_split_applies_match_one_apply(sc: Scenario, data):
    note(sc.describe())
    cuts = sorted(data.draw(st.lists(st.integers(0, len(sc.pairs)), max_size=4), label="cuts"))
    bounds = [0, *cuts, len(sc.pairs)]
    split = new_engine()
    for lo, hi in zip(bounds, bounds[1:]):
        split.apply(ACCOUNT, sc.pairs[lo:hi])  # empty batches included
    whole = new_engine()
    whole.apply(ACCOUNT, sc.pairs)
    got = split.agent_activity(ACCOUNT, sc.query, sc.now)
    assert_same_payload(got, whole.agent_activity(ACCOUNT, sc.query, sc.now))
    assert_same_payload(got, expected(sc.pairs, sc.query, sc.now))


@settings(SETTINGS, max_examples=300)
@given(scenarios(), st.data())
def test_late_events_after_a_query(sc: Scenario, data):
    """Query, apply more (late) events, query again: no stale answers."""
    pairs = sc.pairs
    if data.draw(st.booleans(), label="late_mode") and pairs:
        # Reorder arrival so that the oldest events arrive last (after the first query),
        # then renumber: seq must follow arrival order.
        pivot = data.draw(st.sampled_from([ev.time for _s, ev in pairs]), label="pivot")
        order = sorted(range(len(pairs)), key=lambda i: (pairs[i][1].time < pivot, i))
        pairs = [(i + 1, pairs[j][1]) for i, j in enumerate(order)]
        split_at = sum(1 for _s, ev in pairs if ev.time >= pivot)
    else:
        split_at = data.draw(st.integers(0, len(pairs)), label="split_at")
    note(sc.describe())
    note(f"split_at={split_at}")

    q1 = sc.query
    q2 = data.draw(queries([ev.agent_id for _s, ev in pairs] or [1]), label="q2")[0]
    q2 = ActivityQuery(q2.timeframe, q2.agent_ids, q2.version, q2.interval, q1.to, q2.totals)
    engine = new_engine()
    first, rest = pairs[:split_at], pairs[split_at:]
    engine.apply(ACCOUNT, first)
    for q in (q1, q2, q1):  # repeated queries (cache hits) before the late events
        assert_same_payload(engine.agent_activity(ACCOUNT, q, sc.now), expected(first, q, sc.now))
    engine.apply(ACCOUNT, rest)
    for q in (q1, q2):
        assert_same_payload(engine.agent_activity(ACCOUNT, q, sc.now), expected(pairs, q, sc.now))
    # The clock moves on (polling): the same query later, with no new events.
    later = sc.now + data.draw(st.sampled_from([1, 1000, FIVE, FIVE + 1, 7 * MINUTE]), label="dt")
    q3 = ActivityQuery(q1.timeframe, q1.agent_ids, q1.version, q1.interval, None, q1.totals)
    assert_same_payload(engine.agent_activity(ACCOUNT, q3, later), expected(pairs, q3, later))


@settings(SETTINGS, max_examples=30)
@given(scenarios())
def test_payload_is_plain_json(sc: Scenario):
    engine = new_engine()
    engine.apply(ACCOUNT, sc.pairs)
    got = engine.agent_activity(ACCOUNT, sc.query, sc.now)
    assert reference.json_types_ok(got), "payload holds non-JSON types (e.g. numpy integers)"
    assert json.loads(json.dumps(got)) == got


# --------------------------------------------------------------------------- the reference itself


def _ms_totals(pairs, agent, a, b):
    by_agent = reference.ordered_events([p for p in pairs if p[1].agent_id == agent])
    return reference.agent_ms(by_agent, a, b)


@settings(SETTINGS, max_examples=60)
@given(scenarios(), st.data())
def test_reference_is_additive_over_a_cut(sc: Scenario, data):
    """Keeps the reference honest: ms over [a, b) = ms over [a, c) + ms over [c, b)."""
    a = sc.window_end - sc.query.timeframe * MINUTE
    b = sc.window_end
    c = data.draw(st.integers(a, b), label="cut")
    for agent in {ev.agent_id for _s, ev in sc.pairs}:
        whole = _ms_totals(sc.pairs, agent, a, b)
        left, right = _ms_totals(sc.pairs, agent, a, c), _ms_totals(sc.pairs, agent, c, b)
        left.add(right)
        assert left == whole
        logged = whole.logged_in()
        assert 0 <= logged.max_concurrency <= logged.chatting <= logged.total <= b - a
        assert sum(ms.total for ms in whole.reasons.values()) <= whole.states[4].total


def test_reference_reason_follows_each_away_event():
    """Documents the reading taken: an AWAY event without reasonId clears the reason."""
    t0 = 1_000_000 * FIVE
    pairs = [
        (1, Event("state", 1, t0, "a", state="AWAY", reason_id="r")),
        (2, Event("state", 1, t0 + MINUTE, "b", state="AWAY")),
        (3, Event("state", 1, t0 + 2 * MINUTE, "c", state="OFFLINE")),
    ]
    fig = reference.agent_ms(reference.ordered_events(pairs), t0, t0 + FIVE)
    assert fig.states[4].total == 2 * MINUTE
    assert {rid: ms.total for rid, ms in fig.reasons.items()} == {"r": MINUTE}
