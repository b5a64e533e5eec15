"""`POST /api/account/{accountId}/connectors/amazon-connect`: Amazon Connect's agent event
stream as Kinesis Data Firehose delivers it to an HTTP endpoint (SPEC section 10).

Every answer, refusals included, is in Firehose's response format (`requestId`,
`timestamp`, `errorMessage`) as JSON: Firehose reads any other answer as a 500. Only a
200 means delivered; everything else is retried for the stream's retry duration, so:

- never a 413 (Firehose drops that batch for good): bodies up to what a full 64 MiB
  buffer makes are taken, gzip or not, and a body beyond any Firehose delivery is a 400;
- the access key is checked before the body is read, then the per-account webhook rate
  limit (429, retried);
- every record is read and translated, and every derived event checked, before anything
  is stored: a record that cannot be read fails the whole request (400, naming
  `records[i]`) with nothing of it stored, and Firehose's retry (or the S3 error output
  once the retry duration is spent) keeps it;
- the events go through `ConnectorIngest` in atomic batches; a crash between two of them
  loses nothing acknowledged (no 200 was sent) and the retry finds the first ones
  already stored (their eventIds).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.api.body import read_body
from agentactivity.api.common import JSON_MEDIA_TYPE, WebhookHandlers, account_in_path
from agentactivity.api.errors import ApiError, batch_refusal
from agentactivity.clock import MINUTE_MS
from agentactivity.events import BatchRefused, EventError, TimeBounds, parse_event
from agentactivity.platforms.amazon_connect import ConnectEventError, agent_events
from agentactivity.platforms.firehose import (
    KEYS_FIELD,
    MAX_ACCEPTED_BYTES,
    FirehoseError,
    gunzip,
    key_account,
    key_matches,
    parse_request,
    record_documents,
    response_body,
)
from agentactivity.platforms.sightings import PlatformEvent
from agentactivity.store import StoreError

log = logging.getLogger("agentactivity.connectors")

CONNECTOR = "amazon-connect"
KEY_HEADER = "x-amz-firehose-access-key"
REQUEST_ID_HEADER = "x-amz-firehose-request-id"
# Firehose waits 3 minutes for an answer: the body must be in well before, to leave
# time to store it.
BODY_TIMEOUT_S = 120.0
# A status (or chat) begun before the live window starts at its edge plus this much, so
# it is still inside the window when the batch is checked again at storing time.
WINDOW_MARGIN_MS = 5 * MINUTE_MS


class AmazonConnectHandler(WebhookHandlers):
    """The Firehose HTTP endpoint of create_app (Amazon Connect agent events)."""

    async def deliver(self, request: Request) -> Response:
        request_id = request.headers.get(REQUEST_ID_HEADER, "")
        headers: dict[str, str] | None = None
        try:
            account_id = account_in_path(request)
            await run_in_threadpool(self._authenticate, request, account_id)
            body = await self._body(request)
            request_id = await run_in_threadpool(self._work, request, account_id, body)
        except ApiError as exc:
            status, message, headers = exc.status, exc.message, exc.headers
        except StoreError as exc:
            # The store is the truth: without it nothing is acknowledged; Firehose retries.
            status, message, headers = 503, str(exc), {"Retry-After": "1"}
        except Exception:
            log.exception("unexpected error on a Firehose delivery (request %s)", request_id)
            status, message = 500, "internal error; the request was logged"
        else:
            return self._answer(request_id, 200)
        if status >= 500 or status == 429:
            log.warning("Firehose request %s: %s %s", request_id, status, message)
        return self._answer(request_id, status, message, headers)

    def _answer(
        self,
        request_id: str,
        status: int,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body = response_body(request_id, self.service.clock(), message)
        return Response(body, status_code=status, media_type=JSON_MEDIA_TYPE, headers=headers)

    def _authenticate(self, request: Request, account_id: str) -> None:
        """The access key is one of the account's (401 if not; 403 for a key that is
        another account's)."""
        key = request.headers.get(KEY_HEADER)
        if not key:
            raise ApiError(
                401,
                "the X-Amz-Firehose-Access-Key header is missing: set the stream's access "
                f"key to one made by `agentactivity connectors amazon-connect --account "
                f"{account_id}`",
            )
        settings = self.connectors.settings(account_id, CONNECTOR)
        if key_matches(settings, key):
            return
        other = key_account(key)
        if other is not None and other != account_id:
            if key_matches(self.connectors.settings(other, CONNECTOR), key):
                raise ApiError(
                    403,
                    f"this access key is account {other}'s, not account {account_id}'s: "
                    "point the stream at the URL of its own account",
                )
        why = "revoked or mistyped" if settings.get(KEYS_FIELD) else "the account has none yet"
        raise ApiError(
            401,
            f"the access key is not one of account {account_id}'s ({why}): make one with "
            f"`agentactivity connectors amazon-connect --account {account_id}`",
        )

    async def _body(self, request: Request) -> bytes:
        """The body as sent, up to the largest Firehose delivery; beyond it a 400, not
        the usual 413 (which Firehose would take as final)."""
        try:
            return await read_body(request, MAX_ACCEPTED_BYTES, BODY_TIMEOUT_S)
        except ApiError as exc:
            if exc.status == 413:
                raise ApiError(
                    400, f"{exc.message}: beyond any Firehose delivery (64 MiB of records)"
                ) from None
            raise

    def _work(self, request: Request, account_id: str, body: bytes) -> str:
        """Read, translate and check everything, then store; the body's requestId."""
        with self.limiter.query_slot(account_id):
            try:
                request_id, events = self._events(request, body)
            except FirehoseError as exc:
                raise ApiError(400, str(exc)) from None
            try:
                self.connectors.ingest(account_id, events)
            except BatchRefused as refused:
                raise batch_refusal(refused) from None
            return request_id

    def _events(self, request: Request, body: bytes) -> tuple[str, list[PlatformEvent]]:
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding == "gzip":
            body = gunzip(body)
        elif encoding not in ("identity", ""):
            raise FirehoseError(f"Content-Encoding {encoding!r}: Firehose sends gzip or none")
        delivery = parse_request(body, request.headers.get(REQUEST_ID_HEADER))
        del body
        now = self.service.clock()
        retention = self.service.settings.retention_ms
        floor = now - retention + WINDOW_MARGIN_MS
        bounds = TimeBounds.around(now, retention)
        events: list[PlatformEvent] = []
        for index in range(len(delivery.records)):
            try:
                for document in record_documents(delivery, index):
                    derived = agent_events(document, not_before=floor)
                    for event in derived:
                        _check(event, bounds)
                    events.extend(derived)
            except (ConnectEventError, EventError) as exc:
                raise FirehoseError(f"records[{index}]: {exc}") from None
            delivery.records[index] = None  # its text is no longer needed
        return delivery.request_id, events


def _check(event: PlatformEvent, bounds: TimeBounds) -> None:
    """Our rules of section 2 on a derived event (its agent and reason still unknown), so
    that a request is refused before anything of it is stored."""
    item: dict[str, Any] = {**event.fields, "agentId": 1}
    parse_event(item, bounds)
