"""URL and header sizes are bounded with clear JSON answers; a slow body times out."""

from __future__ import annotations

import dataclasses

import anyio
import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.api.body import read_body
from agentactivity.api.errors import ApiError
from agentactivity.service import ActivityService
from tests.conftest import ACCOUNT, OAuth1Auth

ACTIVITY = f"/operations/api/account/{ACCOUNT}/agentactivity"


@pytest.fixture
def small_client(service: ActivityService, credentials) -> TestClient:
    service.settings = dataclasses.replace(
        service.settings, max_url_bytes=2048, max_header_bytes=4096
    )
    client = TestClient(create_app(service), base_url="http://127.0.0.1:8080")
    client.auth = OAuth1Auth(credentials)
    return client


def test_a_url_over_the_limit_is_414_and_says_to_use_post(small_client: TestClient) -> None:
    ids = ",".join(str(1000 + i) for i in range(500))  # ~2.5 KB
    answer = small_client.get(ACTIVITY, params={"timeframe": 60, "agentIds": ids, "v": 1})
    assert answer.status_code == 414
    body = answer.json()
    assert body["status"] == 414 and "POST" in body["message"]
    # The same list by POST is fine.
    answer = small_client.post(ACTIVITY, json={"timeframe": 60, "agentIds": ids, "v": 1})
    assert answer.status_code == 200, answer.text


def test_headers_over_the_limit_are_431(small_client: TestClient) -> None:
    answer = small_client.get(
        ACTIVITY, params={"timeframe": 60, "agentIds": "all", "v": 1}, headers={"X-Pad": "a" * 5000}
    )
    assert answer.status_code == 431
    assert "headers" in answer.json()["message"]


def test_requests_under_the_limits_pass(small_client: TestClient) -> None:
    answer = small_client.get(ACTIVITY, params={"timeframe": 60, "agentIds": "1,2,3", "v": 1})
    assert answer.status_code == 200, answer.text


def test_a_body_that_stalls_is_408() -> None:
    async def scenario() -> ApiError:
        sent_first = False

        async def receive() -> dict[str, object]:
            nonlocal sent_first
            if not sent_first:
                sent_first = True
                return {"type": "http.request", "body": b"[", "more_body": True}
            await anyio.sleep(60)  # the client never sends the rest
            raise AssertionError("unreachable")

        request = Request({"type": "http", "method": "POST", "headers": []}, receive)
        with pytest.raises(ApiError) as caught:
            await read_body(request, limit=1000, timeout_s=0.05)
        return caught.value

    error = anyio.run(scenario)
    assert error.status == 408 and "0.05 s" in error.message
