"""Reading request bodies with a size limit, and decoding ingest batches."""

from __future__ import annotations

from typing import Any

import anyio
import orjson
from starlette.requests import Request

from agentactivity.api.errors import ApiError

NDJSON_TYPES = (
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonlines",
    "application/x-jsonlines",
)


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The whole body, refused with 413 as soon as it passes `limit` bytes, and with 408
    when it has not all arrived within `timeout_s` (a slow client holds no slot forever)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"request body is {declared} bytes; the limit is {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f"request body is over the limit of {limit} bytes")
                chunks.append(chunk)
    except TimeoutError as exc:
        raise ApiError(
            408, f"the request body did not arrive within {timeout_s:g} s; send it faster"
        ) from exc
    return b"".join(chunks)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def decode_json_object(body: bytes) -> dict[str, Any]:
    """A POST query body: one JSON object."""
    try:
        value = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "request body must be a JSON object of parameters")
    return value


def decode_events(request: Request, body: bytes) -> list[Any]:
    """The raw items of an ingest batch: a JSON array, {"events": [...]}, or NDJSON."""
    if _media_type(request) in NDJSON_TYPES:
        items = []
        for number, line in enumerate(body.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise ApiError(400, f"NDJSON line {number} is not valid JSON: {exc}") from exc
        return items
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(
            400,
            f"request body is not valid JSON ({exc}); send a JSON array of events, "
            '{"events": [...]}, or NDJSON with Content-Type: application/x-ndjson',
        ) from exc
    if isinstance(value, dict) and isinstance(value.get("events"), list):
        return value["events"]
    if isinstance(value, list):
        return value
    raise ApiError(400, 'events: send a JSON array of events or {"events": [...]}')
