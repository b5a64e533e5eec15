"""`serve --partition I/N` over HTTP: other partitions' account paths answer 421 before
authentication and before the body; paths of no account answer on every partition."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.api.partition import path_account
from agentactivity.partitions import Partition
from agentactivity.service import ActivityService
from tests.api.conftest import BASE_URL

MINE, OTHERS = "123", "124"  # crc32 mod 2: 0 and 1
MISDIRECTED = f"account {OTHERS} belongs to partition 1/2; this server is partition 0/2"


@pytest.fixture
def first_of_two(
    service: ActivityService, make_service: Callable[..., ActivityService]
) -> Iterator[TestClient]:
    partitioned = make_service(service, partition=Partition(0, 2))
    with TestClient(create_app(partitioned), base_url=BASE_URL) as client:
        yield client


def test_every_account_path_names_its_account() -> None:
    assert path_account("/api/account/124/events") == "124"
    assert path_account("/operations/api/account/124/agentactivity") == "124"
    assert path_account("/api/v2/account/124/status-changes") == "124"
    assert path_account("/api/account/124/configuration/le-users/users/7") == "124"
    assert path_account("/api/account/124") == "124"
    for path in ("/healthz", "/dashboard", "/api/accounts/124", "/openapi.json"):
        assert path_account(path) is None
    # Domain discovery carries no data: every partition answers it.
    assert path_account("/api/account/124/service/leDataReporting/baseURI.json") is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/operations/api/account/{OTHERS}/agentactivity?v=1&agentIds=all"),
        ("POST", f"/operations/api/account/{OTHERS}/agentactivity?v=1"),
        ("POST", f"/api/account/{OTHERS}/events"),
        ("GET", f"/api/account/{OTHERS}/agents/state?agentIds=all"),
        ("GET", f"/api/account/{OTHERS}/agents/state/stream"),
        ("GET", f"/api/v2/account/{OTHERS}/status-changes?source=x"),
        ("GET", f"/api/account/{OTHERS}/configuration/le-users/users"),
        ("DELETE", f"/api/account/{OTHERS}/configuration/le-users/agentGroups/5"),
        ("GET", f"/api/account/{OTHERS}/configuration/le-agents/status-reasons"),
        ("GET", f"/api/account/{OTHERS}/reports/activity.csv"),
        ("POST", f"/api/account/{OTHERS}/connectors/twilio"),
    ],
)
def test_another_partitions_account_is_misdirected(
    first_of_two: TestClient, method: str, path: str
) -> None:
    # No credentials and a body that is not JSON: neither is looked at.
    answer = first_of_two.request(method, path, content=b"not json")
    assert answer.status_code == 421, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["status"] == 421 and body["error"] == "Misdirected Request", body
    assert body["message"].startswith(MISDIRECTED), body
    assert "load balancer" in body["message"], body


def test_its_own_accounts_are_answered(first_of_two: TestClient) -> None:
    answer = first_of_two.get(f"/operations/api/account/{MINE}/agentactivity?v=1&agentIds=all")
    assert answer.status_code == 401, answer.text  # this partition's: authentication first


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/dashboard",
        "/dashboard/dashboard.js",
        f"/api/account/{OTHERS}/service/leDataReporting/baseURI.json?version=1.0",
    ],
)
def test_paths_of_no_account_answer_on_every_partition(first_of_two: TestClient, path: str) -> None:
    answer = first_of_two.get(path)
    assert answer.status_code == 200, answer.text


def test_metrics_say_the_partition_and_what_the_engine_holds(first_of_two: TestClient) -> None:
    answer = first_of_two.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert 'agentactivity_partition{count="2",index="0"} 1.0' in answer.text
    assert "agentactivity_engine_accounts 0.0" in answer.text


def test_one_partition_is_every_account(
    service: ActivityService, make_service: Callable[..., ActivityService]
) -> None:
    with TestClient(create_app(service), base_url=BASE_URL) as client:
        answer = client.get(f"/operations/api/account/{OTHERS}/agentactivity?v=1&agentIds=all")
        assert answer.status_code == 401, answer.text
        assert 'agentactivity_partition{count="1",index="0"} 1.0' in client.get("/metrics").text


def test_the_openapi_document_says_421_on_account_paths(first_of_two: TestClient) -> None:
    paths = first_of_two.get("/openapi.json").json()["paths"]
    activity = paths["/operations/api/account/{accountId}/agentactivity"]
    assert "421" in activity["get"]["responses"] and "421" in activity["post"]["responses"]
    assert "421" in paths["/api/v2/account/{accountId}/status-changes"]["get"]["responses"]
    discovery = "/api/account/{accountId}/service/{serviceName}/baseURI.json"
    assert "421" not in paths[discovery]["get"]["responses"]
    assert "421" not in paths["/healthz"]["get"]["responses"]
