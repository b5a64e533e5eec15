"""Kinesis Data Firehose's HTTP endpoint delivery: its request body and our answer.

Firehose POSTs `{"requestId", "timestamp", "records": [{"data": "<base64>"}]}` (1 to
10,000 records, at most 64 MiB before compression) and takes only a 200 as delivered;
every other status is retried for the stream's retry duration, except 413, which drops
the batch for good. The answer is `{"requestId", "timestamp"}` plus `errorMessage` (at
most 8,192 characters) on failure ("HTTP Endpoint Delivery Request and Response
Specifications"). Pure: the caller gives the clock's time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

# Firehose's documented limits: what it may legally send must be taken.
MAX_RECORDS = 10_000
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_RECORD_BYTES = 1_024_000
MAX_ERROR_CHARS = 8192
MAX_REQUEST_ID_CHARS = 256
# The largest body a full buffer makes: 64 MiB of record data grows by a third in base64,
# plus each record's `{"data":""},` and the envelope. Taken whole (never a 413, which
# Firehose treats as final); a body beyond it is no Firehose delivery.
MAX_ACCEPTED_BYTES = MAX_BODY_BYTES * 4 // 3 + 4 + MAX_RECORDS * 16 + 64 * 1024


class FirehoseError(ValueError):
    """A request body we cannot read; the message names the field (and record) at fault."""


@dataclass(frozen=True, slots=True)
class FirehoseRequest:
    request_id: str
    timestamp: int
    records: list[Any]  # each record's `data`, still base64 (decoded one at a time)


def gunzip(body: bytes, limit: int = MAX_ACCEPTED_BYTES) -> bytes:
    """A gzip body decompressed, never past `limit` bytes (a small bomb stays small)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise FirehoseError(f"the body is not gzip as Content-Encoding says ({exc})") from None
    if len(out) > limit:
        raise FirehoseError(
            f"the body is over {limit} bytes once decompressed, beyond any Firehose delivery"
        )
    if not inflater.eof:
        raise FirehoseError("the gzip body is cut short")
    return out


def parse_request(body: bytes, header_request_id: str | None) -> FirehoseRequest:
    """The request body, checked: `requestId` (the header's, when the header is sent),
    `timestamp`, and 1..10,000 `records`, each an object with a string `data`."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FirehoseError(f"the request body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise FirehoseError('the request body must be a JSON object {"requestId", "records"}')
    request_id = value.get("requestId")
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= MAX_REQUEST_ID_CHARS:
        raise FirehoseError(f"requestId must be a string of 1 to {MAX_REQUEST_ID_CHARS} chars")
    if header_request_id is not None and header_request_id != request_id:
        raise FirehoseError(
            "requestId of the body differs from the X-Amz-Firehose-Request-Id header"
        )
    timestamp = value.get("timestamp")
    if type(timestamp) is not int or timestamp < 0:
        raise FirehoseError("timestamp must be epoch milliseconds (an integer)")
    records = value.get("records")
    if not isinstance(records, list):
        raise FirehoseError("records must be a JSON array")
    if not 1 <= len(records) <= MAX_RECORDS:
        raise FirehoseError(
            f"records holds {len(records)} records; Firehose sends 1 to {MAX_RECORDS}"
        )
    data: list[Any] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("data"), str):
            raise FirehoseError(f'records[{index}] must be an object {{"data": "<base64>"}}')
        data.append(record["data"])
    return FirehoseRequest(request_id, timestamp, data)


def record_documents(request: FirehoseRequest, index: int) -> Iterator[Any]:
    """The JSON documents of record `index`: one, or one per line if the producer put
    several in a record (newline-delimited); an empty record holds none."""
    try:
        raw = base64.b64decode(request.records[index], validate=True)
    except (binascii.Error, ValueError):
        raise FirehoseError(f"records[{index}].data is not base64") from None
    if len(raw) > MAX_RECORD_BYTES:
        raise FirehoseError(f"records[{index}].data is over {MAX_RECORD_BYTES} bytes decoded")
    if not raw.strip():
        return
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problem = exc
    else:
        yield document
        return
    lines = [line for line in raw.splitlines() if line.strip()]
    if len(lines) < 2:
        raise FirehoseError(f"records[{index}].data is not JSON once decoded ({problem})")
    for number, line in enumerate(lines, start=1):
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise FirehoseError(
                f"records[{index}].data line {number} is not JSON once decoded ({exc})"
            ) from None


def response_body(request_id: str, timestamp: int, error: str | None = None) -> bytes:
    """Our answer in Firehose's format; `errorMessage` cut to its 8,192 characters."""
    answer: dict[str, Any] = {"requestId": request_id, "timestamp": timestamp}
    if error is not None:
        answer["errorMessage"] = error[:MAX_ERROR_CHARS]
    return orjson.dumps(answer)


# --- the access key (X-Amz-Firehose-Access-Key) ------------------------------------------
# A key is "<accountId>.<random>": the account part tells a key of another account from a
# wrong one (a clearer refusal); the random part is the secret. Only its SHA-256 is kept.
KEYS_FIELD = "accessKeys"


def new_access_key(account_id: str) -> str:
    return f"{account_id}.{secrets.token_urlsafe(32)}"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def key_account(key: str) -> str | None:
    """The account a key was made for, as its text says (not proof: check its digest)."""
    account, dot, _ = key.rpartition(".")
    return account if dot and account else None


def key_matches(settings: dict[str, Any], key: str) -> bool:
    """Is `key` one of the keys whose digests `settings` (the connector's) keeps? Every
    digest is compared, in constant time, whatever the first ones say."""
    digest = key_digest(key).encode()
    found = False
    for entry in settings.get(KEYS_FIELD) or ():
        stored = entry.get("sha256") if isinstance(entry, dict) else None
        if isinstance(stored, str) and hmac.compare_digest(stored.encode(), digest):
            found = True
    return found


def with_key(settings: dict[str, Any], key: str, created: int, replace: bool) -> dict[str, Any]:
    """The settings with `key` added (its digest and when it was made); `replace`: the
    only key left (every other one revoked)."""
    kept = [] if replace else list(settings.get(KEYS_FIELD) or ())
    kept.append({"sha256": key_digest(key), "created": created})
    return {**settings, KEYS_FIELD: kept}
