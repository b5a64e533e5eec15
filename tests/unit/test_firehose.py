"""Firehose's HTTP endpoint request body and our answer (platforms/firehose.py)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from agentactivity.platforms.firehose import (
    MAX_ERROR_CHARS,
    FirehoseError,
    parse_request,
    record_documents,
    response_body,
)


def body(
    records: list[Any], request_id: Any = "req-1", timestamp: Any = 1_578_090_901_599
) -> bytes:
    return orjson.dumps({"requestId": request_id, "timestamp": timestamp, "records": records})


def data(value: bytes) -> dict[str, str]:
    return {"data": base64.b64encode(value).decode()}


def test_a_request_and_its_records() -> None:
    request = parse_request(
        body([data(b'{"a": 1}'), data(b""), data(b'{"b": 2}\n{"c": 3}\n')]), "req-1"
    )
    assert (request.request_id, request.timestamp) == ("req-1", 1_578_090_901_599)
    assert list(record_documents(request, 0)) == [{"a": 1}]
    assert list(record_documents(request, 1)) == []  # Firehose allows empty records
    assert list(record_documents(request, 2)) == [{"b": 2}, {"c": 3}]


@pytest.mark.parametrize(
    ("raw", "header", "named"),
    [
        (b"not json", None, "not valid JSON"),
        (b"[]", None, "JSON object"),
        (body([data(b"{}")], request_id=5), None, "requestId"),
        (body([data(b"{}")]), "req-2", "X-Amz-Firehose-Request-Id"),
        (body([data(b"{}")], timestamp="1578090901599"), None, "timestamp"),
        (body([]), None, "records holds 0 records"),
        (body([data(b"{}")] * 10_001), None, "records holds 10001 records"),
        (orjson.dumps({"requestId": "r", "timestamp": 1}), None, "records must be"),
        (body([data(b"{}"), {"data": 5}]), None, "records[1]"),
        (body([data(b"{}"), "abc"]), None, "records[1]"),
    ],
)
def test_bad_requests_name_the_field(raw: bytes, header: str | None, named: str) -> None:
    with pytest.raises(FirehoseError, match=named.replace("[", r"\[").replace("]", r"\]")):
        parse_request(raw, header)


@pytest.mark.parametrize(
    ("record", "named"),
    [
        ({"data": "%%%not base64"}, "records[1].data is not base64"),
        (data(b"{not json"), "records[1].data is not JSON"),
        (data(b'{"a": 1}\n{nope'), "records[1].data line 2 is not JSON"),
    ],
)
def test_bad_records_name_their_index(record: dict[str, Any], named: str) -> None:
    request = parse_request(body([data(b"{}"), record]), None)
    with pytest.raises(FirehoseError) as caught:
        list(record_documents(request, 1))
    assert named in str(caught.value)


def test_the_answer_is_firehoses_format() -> None:
    assert orjson.loads(response_body("req-1", 1_578_090_903_599)) == {
        "requestId": "req-1",
        "timestamp": 1_578_090_903_599,
    }
    failed = orjson.loads(response_body("req-1", 1, "x" * 10_000))
    assert failed["requestId"] == "req-1" and len(failed["errorMessage"]) == MAX_ERROR_CHARS
