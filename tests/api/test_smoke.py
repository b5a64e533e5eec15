from agentactivity.service import ActivityService
from tests.conftest import ACCOUNT, FakeClock


def test_ingest_then_query_sees_the_event(client, clock: FakeClock, service: ActivityService):
    now = clock.now
    answer = client.post(
        f"/api/account/{ACCOUNT}/events",
        json=[{"type": "state", "agentId": "7", "time": now - 3_600_000, "state": "ONLINE"}],
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 1, "duplicates": 0}
    answer = client.get(
        f"/operations/api/account/{ACCOUNT}/agentactivity",
        params={"timeframe": 30, "agentIds": "all", "v": 1},
    )
    assert answer.status_code == 200, answer.text
    logged_in = answer.json()["agentsMetrics"]["metricsPerAgent"]["7"][3]
    assert logged_in["value"]["total"] == 1800
