"""The current-state view (SPEC section 7) against a brute-force reference written from the
SPEC alone, on generated event streams.

Streams have same-millisecond ties, arrival in an order unrelated to time, repeated
states, Away with and without reasons (and reason changes while Away), logouts with open
chats, chats started while logged out, ends of unknown chats and chat limits; `asOf` falls
before, between, exactly on and after event times.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from agentactivity.engine import Engine
from agentactivity.events import Event

ACCOUNT = "acct"
ID_POOL = [1, 2, 9, 10, 11, 100, 2**63 - 1]
REASONS = ["r1", "r2", "10"]
CHATS = ["c1", "c2", "c3"]
SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


# --------------------------------------------------------------------------- reference


def reference_state(
    pairs: list[tuple[int, Event]],
    agent_ids: tuple[int, ...] | None,
    as_of: int,
    window_start: int,
) -> dict[str, Any]:
    """SPEC 7 literally: list agents with an event in [window_start, as_of]; replay each
    one's events with time <= as_of in (time, arrival) order."""
    agents: dict[str, Any] = {}
    all_ids = {ev.agent_id for _, ev in pairs}
    for agent in sorted(all_ids if agent_ids is None else all_ids & set(agent_ids)):
        mine = sorted(
            ((ev.time, seq, ev) for seq, ev in pairs if ev.agent_id == agent),
            key=lambda item: (item[0], item[1]),
        )
        if not any(window_start <= time <= as_of for time, _, _ in mine):
            continue
        state, reason, since, logged_in_since = "OFFLINE", None, None, None
        chats: set[str] = set()
        limit = 0
        for time, _seq, ev in mine:
            if time > as_of:
                break
            if ev.type == "state":
                new_state = ev.state
                new_reason = ev.reason_id if new_state == "AWAY" else None
                if (new_state, new_reason) != (state, reason):
                    since = time
                if new_state == "OFFLINE":
                    logged_in_since = None
                    chats = set()
                elif state == "OFFLINE":
                    logged_in_since = time
                state, reason = new_state, new_reason
            elif ev.type == "chat_start":
                chats.add(ev.chat_id)
            elif ev.type == "chat_end":
                chats.discard(ev.chat_id)
            else:
                limit = ev.max_chats
        logged_in = state != "OFFLINE"
        agents[str(agent)] = {
            "state": state,
            "reasonId": reason,
            "reasonName": None,
            "since": since,
            "loggedInSince": logged_in_since if logged_in else None,
            "activeChats": len(chats),
            "maxChats": limit,
            "atMaxConcurrency": logged_in and limit > 0 and len(chats) >= limit,
        }
    return {"asOf": as_of, "agents": agents}


# --------------------------------------------------------------------------- streams


def kinds() -> st.SearchStrategy[dict[str, Any]]:
    login = st.one_of(
        st.tuples(st.sampled_from(["ONLINE", "BACK_SOON"]), st.none()),
        st.tuples(st.just("AWAY"), st.one_of(st.none(), st.sampled_from(REASONS))),
        # A reason on a non-Away state is ignored by the rules.
        st.tuples(st.just("ONLINE"), st.sampled_from(REASONS)),
    ).map(lambda sr: {"type": "state", "state": sr[0], "reason_id": sr[1]})
    offline = st.just({"type": "state", "state": "OFFLINE", "reason_id": None})
    return st.one_of(
        login,
        login,
        offline,
        st.sampled_from(CHATS).map(lambda c: {"type": "chat_start", "chat_id": c}),
        st.sampled_from(CHATS).map(lambda c: {"type": "chat_end", "chat_id": c}),
        st.sampled_from([0, 1, 2, 3]).map(lambda m: {"type": "max_chats", "max_chats": m}),
    )


@st.composite
def streams(draw: Any) -> tuple[list[tuple[int, Event]], list[int]]:
    base = 1_700_000_000_000
    agents = draw(st.lists(st.sampled_from(ID_POOL), min_size=1, max_size=4, unique=True))
    hot = draw(st.lists(st.integers(0, 100), min_size=1, max_size=4))  # shared instants
    times = st.one_of(st.sampled_from(hot), st.integers(0, 100))
    raw = []
    for agent in agents:
        for fields in draw(st.lists(kinds(), max_size=14)):
            raw.append({**fields, "agent_id": agent, "time": base + draw(times)})
    arrival = draw(st.permutations(raw))
    pairs, seq = [], draw(st.integers(1, 50))
    for i, fields in enumerate(arrival):
        seq += draw(st.integers(1, 3))
        kept = {k: v for k, v in fields.items() if v is not None}
        pairs.append((seq, Event(event_id=f"e{i}", **kept)))
    return pairs, [base + t for t in sorted(set(hot))]


@st.composite
def asks(draw: Any, pairs: list[tuple[int, Event]], hot: list[int]) -> tuple[Any, int, int]:
    times = sorted({ev.time for _, ev in pairs} | set(hot))
    around = [t + d for t in times for d in (-1, 0, 1)]
    as_of = draw(
        st.one_of(
            st.sampled_from(around),
            st.just(times[0] - 1_000),  # before every event
            st.just(times[-1] + 1_000),  # after every event
            st.integers(times[0] - 10, times[-1] + 10),
        )
    )
    window = draw(st.sampled_from([0, 1, 5, 30, 10**9]))
    ids = draw(
        st.one_of(
            st.none(),
            st.sets(st.sampled_from(ID_POOL + [5, 12345]), min_size=1, max_size=4).map(
                lambda s: tuple(sorted(s))
            ),
        )
    )
    return ids, as_of, as_of - window


def engine_with(pairs: list[tuple[int, Event]]) -> Engine:
    engine = Engine()
    engine.apply(ACCOUNT, sorted(pairs, key=lambda pair: pair[0]))
    return engine


# --------------------------------------------------------------------------- properties


@settings(SETTINGS, max_examples=400)
@given(streams(), st.data())
def test_state_matches_reference(stream: Any, data: Any) -> None:
    pairs, hot = stream
    if not pairs:
        return
    engine = engine_with(pairs)
    for _ in range(3):
        ids, as_of, window_start = data.draw(asks(pairs, hot))
        note(f"ids={ids} as_of={as_of} window_start={window_start}")
        got = engine.current_state(ACCOUNT, ids, as_of, window_start)
        want = reference_state(pairs, ids, as_of, window_start)
        assert got == want
        assert list(got["agents"]) == [str(a) for a in sorted(int(k) for k in got["agents"])]


@settings(SETTINGS, max_examples=300)
@given(streams(), st.data())
def test_late_events_and_split_applies(stream: Any, data: Any) -> None:
    """Events fed in several applies (late ones rebuild timelines) give the same state."""
    pairs, hot = stream
    if not pairs:
        return
    ordered = sorted(pairs, key=lambda pair: pair[0])
    cut = data.draw(st.integers(0, len(ordered)))
    engine = Engine()
    ids, as_of, window_start = data.draw(asks(pairs, hot))
    engine.apply(ACCOUNT, ordered[:cut])
    first = engine.current_state(ACCOUNT, ids, as_of, window_start)
    assert first == reference_state(ordered[:cut], ids, as_of, window_start)
    engine.apply(ACCOUNT, ordered[cut:])
    assert engine.current_state(ACCOUNT, ids, as_of, window_start) == reference_state(
        pairs, ids, as_of, window_start
    )


@settings(SETTINGS, max_examples=300)
@given(streams(), st.data())
def test_pruning_before_the_window_changes_nothing(stream: Any, data: Any) -> None:
    """Retention keeps what the state view needs: pruning at any boundary at or before
    the window start (the service's case when asOf is now) changes no answer."""
    pairs, hot = stream
    if not pairs:
        return
    engine = engine_with(pairs)
    ids, as_of, window_start = data.draw(asks(pairs, hot))
    boundary = data.draw(st.integers(window_start - 20, window_start))
    engine.prune(ACCOUNT, boundary)
    assert engine.current_state(ACCOUNT, ids, as_of, window_start) == reference_state(
        pairs, ids, as_of, window_start
    )


def test_reference_follows_the_spec_example_rules() -> None:
    """Hand-checked: a repeated state keeps `since`, an Away reason change moves it,
    OFFLINE ends chats and clears loggedInSince, chats while logged out count."""
    t = 1_000
    events = [
        Event("state", 1, t, "a", state="ONLINE"),
        Event("max_chats", 1, t + 1, "b", max_chats=1),
        Event("chat_start", 1, t + 2, "c", chat_id="x"),
        Event("state", 1, t + 3, "d", state="ONLINE"),
        Event("state", 1, t + 4, "e", state="AWAY", reason_id="r1"),
        Event("state", 1, t + 5, "f", state="AWAY", reason_id="r2"),
        Event("state", 1, t + 6, "g", state="OFFLINE"),
        Event("chat_start", 1, t + 7, "h", chat_id="y"),
        Event("state", 2, t, "i", state="OFFLINE"),
    ]
    pairs = list(enumerate(events, start=1))
    engine = engine_with(pairs)

    def at(time: int) -> dict[str, Any]:
        answer = engine.current_state(ACCOUNT, None, time, 0)
        assert answer == reference_state(pairs, None, time, 0)
        return answer["agents"]  # type: ignore[no-any-return]

    assert at(t - 1) == {}
    assert at(t + 3)["1"] == {
        "state": "ONLINE",
        "reasonId": None,
        "reasonName": None,
        "since": t,
        "loggedInSince": t,
        "activeChats": 1,
        "maxChats": 1,
        "atMaxConcurrency": True,
    }
    assert at(t + 5)["1"]["since"] == t + 5 and at(t + 5)["1"]["reasonId"] == "r2"
    assert at(t + 5)["1"]["loggedInSince"] == t
    final = at(t + 7)
    assert final["1"]["state"] == "OFFLINE" and final["1"]["loggedInSince"] is None
    assert final["1"]["activeChats"] == 1 and final["1"]["atMaxConcurrency"] is False
    assert final["2"]["since"] is None  # OFFLINE from the start: no change yet
