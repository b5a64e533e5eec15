"""What the Firehose connector's tests share: a service on each backend with a pinned
clock, an account's access key, and requests built as Firehose sends them."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.platforms.firehose import new_access_key, with_key
from agentactivity.service import ActivityService
from agentactivity.service.connectors import ConnectorIngest
from agentactivity.settings import Settings
from agentactivity.store import open_store
from tests.conftest import FakeClock
from tests.store.conftest import backend_url

FIXTURES = Path(__file__).parents[1] / "fixtures" / "amazon_connect"
PATH = "/api/account/{account}/connectors/amazon-connect"
# 2024-03-05T20:00:00Z and a bit: the realistic day (08:00 to 16:02) is inside the window.
NOW = 1_709_668_800_000 + 161_803


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@contextmanager
def service_on(backend: str, folder: Path, **settings: Any) -> Iterator[ActivityService]:
    with backend_url(backend, folder) as url:
        store = open_store(url)
        try:
            yield ActivityService(store, Settings(db_url=url, **settings), clock=FakeClock(NOW))
        finally:
            store.close()


def give_key(service: ActivityService, account: str) -> str:
    """A new access key of the account (as the CLI makes it)."""
    key = new_access_key(account)
    connectors = ConnectorIngest(service)
    current = connectors.settings(account, "amazon-connect")
    connectors.save_settings(account, "amazon-connect", with_key(current, key, NOW, False))
    return key


def firehose_body(documents: list[Any], request_id: str | None = None) -> tuple[str, bytes]:
    """A Firehose request body: each document one base64 record (bytes are sent as is)."""
    request_id = request_id or str(uuid.uuid4())
    records = []
    for document in documents:
        raw = document if isinstance(document, bytes) else orjson.dumps(document)
        records.append({"data": base64.b64encode(raw).decode()})
    body = orjson.dumps({"requestId": request_id, "timestamp": NOW, "records": records})
    return request_id, body


def deliver(
    client: TestClient,
    account: str,
    key: str | None,
    body: bytes,
    request_id: str,
    compress: bool = False,
    **headers: str,
) -> Any:
    sent = {
        "Content-Type": "application/json",
        "X-Amz-Firehose-Protocol-Version": "1.0",
        "X-Amz-Firehose-Request-Id": request_id,
        "X-Amz-Firehose-Source-Arn": "arn:aws:firehose:us-east-1:123456789:deliverystream/agents",
        **headers,
    }
    if key is not None:
        sent["X-Amz-Firehose-Access-Key"] = key
    if compress:
        body = gzip.compress(body, compresslevel=1)
        sent["Content-Encoding"] = "gzip"
    return client.post(PATH.format(account=account), content=body, headers=sent)


def assert_firehose_answer(answer: Any, status: int, request_id: str, *named: str) -> None:
    """An answer in Firehose's format: JSON, the request's id, errorMessage unless 200."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["requestId"] == request_id and body["timestamp"] == NOW, body
    if status == 200:
        assert set(body) == {"requestId", "timestamp"}, body
    else:
        assert set(body) == {"requestId", "timestamp", "errorMessage"}, body
        for name in named:
            assert name in body["errorMessage"], (name, body)


def client(service: ActivityService) -> TestClient:
    return TestClient(create_app(service), base_url="http://127.0.0.1:8080")
