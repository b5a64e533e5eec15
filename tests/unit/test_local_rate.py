"""The in-memory moving window of the query rate (api/local_rate.py): at most `limit`
passes in any one second, wherever it starts; refusals spend nothing; idle keys go."""

from __future__ import annotations

from agentactivity.api.local_rate import SWEEP_EVERY, MovingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_second_anywhere_holds_more_than_the_limit() -> None:
    clock = Clock()
    window = MovingWindow(3, clock=clock)
    passed = []
    for step in range(400):  # a request every 0.05 s for 20 s
        clock.now = 1000.0 + step * 0.05
        if window.hit("a"):
            passed.append(clock.now)
    for i, start in enumerate(passed):
        assert sum(1 for t in passed[i:] if t < start + 1.0) <= 3
    assert len(passed) >= 3 * 19  # and the allowance is used, second after second


def test_a_burst_gets_the_whole_allowance_then_refusals_spend_nothing() -> None:
    clock = Clock()
    window = MovingWindow(5, clock=clock)
    assert [window.hit("a") for _ in range(7)] == [True] * 5 + [False] * 2
    assert window.hit("b")  # accounts are apart
    clock.now += 0.999
    assert not window.hit("a")
    clock.now += 0.002  # a second after the burst: all five passes have left the window
    assert [window.hit("a") for _ in range(6)] == [True] * 5 + [False]


def test_idle_keys_are_swept() -> None:
    clock = Clock()
    window = MovingWindow(2, clock=clock)
    for n in range(100):
        window.hit(f"idle-{n}")
    clock.now += 5
    for _ in range(SWEEP_EVERY):
        window.hit("busy")
        clock.now += 0.6
    assert window.keys() == 1
