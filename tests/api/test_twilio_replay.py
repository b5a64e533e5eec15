"""SPEC section 10: Twilio's sample day (tests/fixtures/twilio/, see its README) replayed
through the HTTP endpoint, signed as Twilio signs, gives the same Agent Activity figures
as the same day written as our own events into another account, both through the app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.service import ActivityService
from agentactivity.settings import Settings
from agentactivity.store import open_store
from tests.api.conftest import ACTIVITY, BASE_URL, DAY, EVENTS, HOUR, MINUTE
from tests.api.twilio_support import assert_no_content, post_callback, set_up
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, OAuth1Auth, make_credentials
from tests.store.conftest import BACKENDS, backend_url

FIXTURE = Path(__file__).parent.parent / "fixtures" / "twilio" / "day.json"
FIXTURE_DAY_MS = 1_710_201_600_000  # 2024-03-12T00:00:00Z, the day of the fixture
TOKEN = "the-workspace-account-auth-token"
ALICE = "WK00000000000000000000000000000a11"
BOB = "WK00000000000000000000000000000b0b"


@pytest.fixture(params=BACKENDS)
def service(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[ActivityService]:
    with backend_url(request.param, tmp_path) as url:
        built = ActivityService(open_store(url), Settings(db_url=url), clock=clock)
        yield built
        built.store.close()


def yesterday(clock: FakeClock) -> int:
    """The start of the UTC day before the service's now: a whole day in the past."""
    return clock.now - clock.now % DAY - DAY


def replayed_day(day_start: int) -> list[dict[str, str]]:
    """The fixture's callbacks moved to `day_start` (whole days: times of day unchanged)."""
    shift = day_start - FIXTURE_DAY_MS
    callbacks: list[dict[str, str]] = json.loads(FIXTURE.read_text())["callbacks"]
    for fields in callbacks:
        fields["TimestampMs"] = str(int(fields["TimestampMs"]) + shift)
        fields["Timestamp"] = str(int(fields["Timestamp"]) + shift // 1000)
    return callbacks


def our_events(day_start: int, alice: int, bob: int, reasons: dict[str, int]) -> list[Any]:
    """The same day as a producer of SPEC section 2 events would write it."""

    def at(hours: int, minutes: int, ms: int = 0) -> int:
        return day_start + hours * HOUR + minutes * MINUTE + ms

    def event(agent: int, time: int, kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "agentId": agent, "time": time, **fields}

    return [
        event(alice, at(8, 0), "state", state="ONLINE"),
        event(alice, at(8, 0, 500), "max_chats", maxChats=2),
        event(alice, at(8, 10, 5_000), "chat_start", chatId="WT1"),
        event(alice, at(8, 12), "chat_start", chatId="WT2"),
        event(bob, at(8, 30), "state", state="ONLINE"),
        event(alice, at(8, 30), "chat_end", chatId="WT1"),
        event(alice, at(8, 40), "chat_end", chatId="WT2"),
        event(bob, at(8, 45), "max_chats", maxChats=3),
        event(alice, at(9, 0), "state", state="AWAY", reasonId=str(reasons["Break"])),
        event(bob, at(9, 0), "chat_start", chatId="WT3"),
        event(bob, at(9, 5), "state", state="AWAY", reasonId=str(reasons["Lunch"])),
        event(alice, at(9, 15), "state", state="ONLINE"),
        event(bob, at(9, 35), "state", state="ONLINE"),
        event(bob, at(9, 50), "chat_end", chatId="WT3"),
        event(alice, at(10, 0), "state", state="OFFLINE"),
        event(bob, at(11, 0), "state", state="OFFLINE"),
    ]


def figures(client: TestClient, account: str, day_start: int, reason_texts: dict[str, str]) -> Any:
    """The day's Agent Activity (whole day and hourly, with totals), reason ids replaced
    by their texts (each account numbers its reasons itself)."""
    path = ACTIVITY.replace(ACCOUNT, account)
    params = {"v": 1, "agentIds": "all", "timeframe": 1440, "interval": 60}
    answer = client.get(path, params={**params, "to": day_start + DAY, "totals": "true"})
    assert answer.status_code == 200, answer.text
    text = answer.text
    for reason_id, reason_text in reason_texts.items():
        text = text.replace(f'"id":"{reason_id}"', f'"id":"{reason_text}"')
    return json.loads(text)


def test_the_sample_day_replayed_equals_the_same_day_as_our_events(
    service: ActivityService, clock: FakeClock
) -> None:
    day_start = yesterday(clock)
    set_up(service, ACCOUNT, TOKEN)
    reader = make_credentials(service, ACCOUNT, ("read",))
    writer = make_credentials(service, OTHER_ACCOUNT, ("read", "ingest"))
    with TestClient(create_app(service), base_url=BASE_URL) as client:
        callbacks = replayed_day(day_start)
        for fields in callbacks:
            assert_no_content(post_callback(client, ACCOUNT, fields, TOKEN))
        # Twilio delivering a callback twice (or a proxy retrying) changes nothing.
        assert_no_content(post_callback(client, ACCOUNT, callbacks[4], TOKEN))

        users = {u.external_ids: u for u in service.store.directory.users.listing(ACCOUNT)[1]}
        alice = users[(("twilio", ALICE),)]
        bob = users[(("twilio", BOB),)]
        assert (alice.login_name, alice.full_name) == ("alice", "Alice Moreau")
        assert (bob.login_name, bob.full_name) == ("bob", "Bob Okafor")
        twilio_reasons = service.store.reasons.ensure_texts(ACCOUNT, ["Break", "Lunch"])
        our_reasons = service.store.reasons.ensure_texts(OTHER_ACCOUNT, ["Break", "Lunch"])

        client.auth = OAuth1Auth(writer)
        ours = our_events(day_start, alice.id, bob.id, our_reasons)
        answer = client.post(EVENTS.replace(ACCOUNT, OTHER_ACCOUNT), json=ours)
        assert answer.json() == {"accepted": len(ours), "duplicates": 0}, answer.text
        expected = figures(
            client, OTHER_ACCOUNT, day_start, {str(v): k for k, v in our_reasons.items()}
        )
        client.auth = OAuth1Auth(reader)
        replayed = figures(
            client, ACCOUNT, day_start, {str(v): k for k, v in twilio_reasons.items()}
        )

    assert replayed == expected
    # Not two empty answers: alice was logged in 2 h, 18 min of it with both chats (her 2).
    whole_day = replayed["agentsMetrics"]["metricsPerAgent"][str(alice.id)]
    logged_in = whole_day[3]["value"]
    assert logged_in["total"] == 120 * 60
    assert logged_in["chattingInMaxConcurrency"] == 18 * 60
    away = whole_day[2]
    assert [r["id"] for r in away["reasons"]] == ["Break"]
    # 17 of the 21 callbacks are stored (task.created, reservation.created and a voice
    # chat's two change nothing); the wrapped-up chat's completion is stored, a no-op.
    assert service.store.last_seq(ACCOUNT) == 17
