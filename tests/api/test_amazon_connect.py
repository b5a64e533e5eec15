"""`POST .../connectors/amazon-connect` (api/amazon_connect.py): Firehose's deliveries,
its refusals always in Firehose's format, nothing of a refused request stored, retries
all duplicates, the largest legal request taken (never a 413). Both backends."""

from __future__ import annotations

import copy
import gzip
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentactivity.service import ActivityService
from agentactivity.store import StoreError
from tests.api.firehose_support import (
    NOW,
    assert_firehose_answer,
    client,
    deliver,
    firehose_body,
    fixture,
    give_key,
    service_on,
)
from tests.store.conftest import BACKENDS

ACCOUNT, OTHER = "acme", "globex"
SAMPLE = fixture("sample-agent-event-stream.json")
T = "2024-03-05T19:00:00.000Z"


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ActivityService]:
    with service_on(request.param, tmp_path) as service:
        yield service


def agent_event(n: int = 0, event_id: str | None = None, **changes: Any) -> dict[str, Any]:
    """AWS's sample as an Available STATE_CHANGE of agent `n`, an hour before now."""
    value = copy.deepcopy(SAMPLE)
    value.update(EventType="STATE_CHANGE", EventTimestamp=T, EventId=event_id or f"ev-{n}")
    value["AgentARN"] = value["AgentARN"].replace("agent-ARN", f"agent-{n}")
    current = value["CurrentAgentSnapshot"]
    current["AgentStatus"].update(Name="Available", StartTimestamp=T)
    current["Configuration"]["Username"] = f"agent{n}"
    value.update(changes)
    return value


def test_a_delivery_and_its_retry(service: ActivityService) -> None:
    key = give_key(service, ACCOUNT)
    request_id, body = firehose_body([agent_event(1), agent_event(2), SAMPLE])
    with client(service) as http:
        assert_firehose_answer(deliver(http, ACCOUNT, key, body, request_id), 200, request_id)
        first = service.ingest_counts()
        assert first == (4, 0)  # a state and a max_chats each; the heartbeat nothing
        # Firehose retries the same request (same id): all duplicates, gzip this time.
        answer = deliver(http, ACCOUNT, key, body, request_id, compress=True)
        assert_firehose_answer(answer, 200, request_id)
        assert service.ingest_counts() == (4, 4)
    users = service.store.connectors.known_agents(
        ACCOUNT, [("amazon-connect", agent_event(n)["AgentARN"]) for n in (1, 2)]
    )
    assert len(set(users.values())) == 2


def test_keys_missing_wrong_and_of_another_account(service: ActivityService) -> None:
    key = give_key(service, ACCOUNT)
    other_key = give_key(service, OTHER)
    request_id, body = firehose_body([agent_event(1)])
    with client(service) as http:
        cases = [
            (None, 401, "X-Amz-Firehose-Access-Key"),
            ("", 401, "X-Amz-Firehose-Access-Key"),
            (key + "x", 401, "not one of account acme's"),
            ("nonsense", 401, "not one of account acme's"),
            (other_key, 403, "account globex's"),
        ]
        for sent, status, named in cases:
            answer = deliver(http, ACCOUNT, sent, body, request_id)
            assert_firehose_answer(answer, status, request_id, named)
        # An account without any key says how to make one.
        answer = deliver(http, "initech", "nonsense", body, request_id)
        assert_firehose_answer(answer, 401, request_id, "has none yet", "amazon-connect")
        # A key of acme sent to initech: acme's, said so.
        answer = deliver(http, "initech", key, body, request_id)
        assert_firehose_answer(answer, 403, request_id, "account acme's")
    assert service.ingest_counts() == (0, 0)


def test_several_keys_work_until_replaced(service: ActivityService) -> None:
    old, new = give_key(service, ACCOUNT), give_key(service, ACCOUNT)
    request_id, body = firehose_body([agent_event(1)])
    with client(service) as http:
        for key in (old, new):
            assert_firehose_answer(deliver(http, ACCOUNT, key, body, request_id), 200, request_id)


@pytest.mark.parametrize(
    ("documents", "named"),
    [
        ([agent_event(1), b"{not json"], "records[1].data is not JSON"),
        ([agent_event(1), [1, 2]], "records[1]: the record (an agent event) must be a JSON object"),
        ([agent_event(1), 7], "records[1]"),
        (
            [agent_event(1), agent_event(2, CurrentAgentSnapshot={"Contacts": []})],
            "records[1]: CurrentAgentSnapshot.AgentStatus",
        ),
        (
            [agent_event(1), agent_event(2, EventTimestamp="yesterday")],
            "records[1]: EventTimestamp",
        ),
        ([agent_event(1), agent_event(2, AgentARN=None)], "records[1]: AgentARN"),
        # An event older than the live window breaks our rules: refused before storing.
        (
            [agent_event(1), agent_event(2, EventTimestamp="2019-08-13T20:58:44.031Z")],
            "records[1]: time",
        ),
    ],
)
def test_an_unreadable_record_refuses_the_request_and_stores_nothing(
    service: ActivityService, documents: list[Any], named: str
) -> None:
    key = give_key(service, ACCOUNT)
    request_id, body = firehose_body(documents)
    with client(service) as http:
        assert_firehose_answer(
            deliver(http, ACCOUNT, key, body, request_id), 400, request_id, named
        )
    assert service.ingest_counts() == (0, 0)
    assert (
        service.store.connectors.known_agents(
            ACCOUNT, [("amazon-connect", agent_event(1)["AgentARN"])]
        )
        == {}
    )


def envelope(request_id: str, records: list[Any]) -> bytes:
    return orjson.dumps({"requestId": request_id, "timestamp": NOW, "records": records})


def test_bad_bodies(service: ActivityService) -> None:
    key = give_key(service, ACCOUNT)
    request_id, good = firehose_body([agent_event(1)])
    with client(service) as http:
        for body, named in [
            (b"not json", "not valid JSON"),
            (envelope(request_id, []), "records holds 0"),
            (firehose_body([agent_event(1)] * 10_001, request_id)[1], "records holds 10001"),
            (
                envelope(request_id, [{"data": "%%"}]),
                "records[0].data is not base64",
            ),
        ]:
            answer = deliver(http, ACCOUNT, key, body, request_id)
            assert_firehose_answer(answer, 400, request_id, named)
        # The header's request id and the body's differ.
        answer = deliver(http, ACCOUNT, key, good, "another-id")
        assert_firehose_answer(answer, 400, "another-id", "X-Amz-Firehose-Request-Id")
        answer = deliver(http, ACCOUNT, key, good, request_id, **{"Content-Encoding": "br"})
        assert_firehose_answer(answer, 400, request_id, "Content-Encoding")
        answer = deliver(http, ACCOUNT, key, b"plain", request_id, **{"Content-Encoding": "gzip"})
        assert_firehose_answer(answer, 400, request_id, "not gzip")
    assert service.ingest_counts() == (0, 0)


def test_a_gzip_bomb_is_refused_without_a_413(service: ActivityService) -> None:
    key = give_key(service, ACCOUNT)
    # 100 MiB of zeros in under 500 KiB: more than any Firehose delivery once inflated.
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    chunk = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(chunk) for _ in range(100)) + packer.flush()
    assert len(bomb) < 500_000 and len(gzip.decompress(bomb)) == 100 * 1024 * 1024
    with client(service) as http:
        answer = deliver(http, ACCOUNT, key, bomb, "bomb", **{"Content-Encoding": "gzip"})
        assert_firehose_answer(answer, 400, "bomb", "decompressed")


def test_a_body_beyond_any_delivery_is_a_400_not_a_413(service: ActivityService) -> None:
    key = give_key(service, ACCOUNT)
    with client(service) as http:
        answer = deliver(http, ACCOUNT, key, b" " * (90 * 1024 * 1024), "big")
        assert_firehose_answer(answer, 400, "big", "beyond any Firehose delivery")


def test_rate_limited_after_authentication(service: ActivityService, tmp_path: Path) -> None:
    import dataclasses

    service.settings = dataclasses.replace(service.settings, connector_rate_per_second=1)
    key = give_key(service, ACCOUNT)
    request_id, body = firehose_body([agent_event(1)])
    with client(service) as http:
        # Without the key, nothing of the budget is spent.
        assert deliver(http, ACCOUNT, None, body, request_id).status_code == 401
        assert_firehose_answer(deliver(http, ACCOUNT, key, body, request_id), 200, request_id)
        answer = deliver(http, ACCOUNT, key, body, request_id)
        assert_firehose_answer(answer, 429, request_id, "rate limit")
        assert answer.headers["retry-after"] == "1"


def test_store_down_is_a_503_in_firehoses_format(
    service: ActivityService, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = give_key(service, ACCOUNT)
    request_id, body = firehose_body([agent_event(1)])

    def down(*args: Any) -> None:
        raise StoreError("the database is unreachable")

    with client(service) as http:
        monkeypatch.setattr(service.store, "append", down)
        answer = deliver(http, ACCOUNT, key, body, request_id)
        assert_firehose_answer(answer, 503, request_id)


def test_concurrent_first_sightings_make_one_user(service: ActivityService) -> None:
    key = give_key(service, ACCOUNT)
    answers: list[int] = []
    with client(service) as http:

        def send(n: int) -> None:
            request_id, body = firehose_body([agent_event(7, event_id=f"race-{n}")])
            answers.append(deliver(http, ACCOUNT, key, body, request_id).status_code)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == [200] * 6
    users = [u for u in service.directory(ACCOUNT).users.values() if u.login_name == "agent7"]
    assert len(users) == 1
    assert service.ingest_counts() == (12, 0)


def test_the_largest_legal_request_is_taken(service: ActivityService) -> None:
    """10,000 records, a body near Firehose's 64 MiB, plain and gzip: 200, all stored."""
    key = give_key(service, ACCOUNT)
    padding = [
        {
            "ARN": f"arn:aws:connect:us-west-2:012345678901:instance/i/queue/q-{q}",
            "Channels": ["CHAT", "VOICE"],
            "Name": f"Queue {q}",
        }
        for q in range(11)
    ]
    documents = []
    for n in range(10_000):
        value = agent_event(n % 200, event_id=f"big-{n}")
        value["EventTimestamp"] = f"2024-03-05T19:{n // 200 % 60:02d}:00.{n % 1000:03d}Z"
        profile = value["CurrentAgentSnapshot"]["Configuration"]["RoutingProfile"]
        profile["InboundQueues"] = padding
        value["PreviousAgentSnapshot"]["Configuration"]["RoutingProfile"]["InboundQueues"] = padding
        documents.append(value)
    request_id, body = firehose_body(documents)
    del documents
    assert 50 * 1024 * 1024 < len(body) <= 64 * 1024 * 1024 * 4 // 3
    with client(service) as http:
        assert_firehose_answer(deliver(http, ACCOUNT, key, body, request_id), 200, request_id)
        assert service.ingest_counts() == (20_000, 0)
        answer = deliver(http, ACCOUNT, key, body, request_id, compress=True)
        assert_firehose_answer(answer, 200, request_id)
        assert service.ingest_counts() == (20_000, 20_000)
    assert len(service.directory(ACCOUNT).users) == 200
