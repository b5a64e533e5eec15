"""`POST /api/account/{accountId}/connectors/twilio`: TaskRouter's event callbacks.

TaskRouter POSTs one event per request as form fields and waits 15 s for `204 No Content`
with `Content-Type: application/json`; it does not retry. Each callback goes through, in
this order (cheapest refusals first, the account's budget spent only by Twilio):

1. the account's Twilio settings (404 if `agentactivity connectors twilio` never ran);
2. the body: form-encoded (415 otherwise), at most MAX_FORM_BYTES (413), UTF-8 (400);
3. `X-Twilio-Signature` over the URL as Twilio called it (with `public_url` set, that
   base plus the request's path and query, for a service behind a TLS-terminating
   proxy) and the form's fields, keyed with the stored auth token: 403 if missing or
   wrong, which also refuses any field altered after signing;
4. the per-account connector rate limit (429 with Retry-After);
5. the translation (platforms/twilio.py; 400 naming the field) and the one ingest door
   through ConnectorIngest: a refused batch is 400 and logged, a store outage 503.

Nothing else happens on the request path: no calls out, one settings read, one commit.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.api.body import read_body
from agentactivity.api.common import JSON_MEDIA_TYPE, WebhookHandlers, account_in_path
from agentactivity.api.errors import ApiError
from agentactivity.events import BatchRefused
from agentactivity.platforms.twilio import (
    CONNECTOR,
    CallbackError,
    SettingsProblem,
    TwilioSettings,
    translate,
)
from agentactivity.platforms.twilio_signature import SIGNATURE_HEADER, is_valid

log = logging.getLogger("agentactivity.connectors")

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# A callback is a few dozen fields; task and worker attributes are the only large ones.
MAX_FORM_BYTES = 256 * 1024
MAX_FORM_FIELDS = 500


class TwilioHandler(WebhookHandlers):
    """The Twilio TaskRouter callback endpoint of create_app."""

    async def callback(self, request: Request) -> Response:
        account_id = account_in_path(request)
        settings = self.service.settings
        body = await read_body(
            request, min(MAX_FORM_BYTES, settings.max_body_bytes), settings.body_timeout_seconds
        )
        url = signed_url(request, settings.public_url)
        await run_in_threadpool(self._handle, request, account_id, body, url)
        # TaskRouter's documented answer, for accepted and ignored events alike.
        return Response(status_code=204, headers={"Content-Type": JSON_MEDIA_TYPE})

    def _handle(self, request: Request, account_id: str, body: bytes, url: str) -> None:
        connector = self._settings(account_id)
        params = form_fields(request, body)
        if not is_valid(connector.auth_token, url, params, request.headers.get(SIGNATURE_HEADER)):
            raise _signature_refusal(account_id, url, request.headers.get(SIGNATURE_HEADER))
        with self.limiter.query_slot(account_id):
            fields = single_fields(params)
            try:
                events = translate(fields, connector)
            except CallbackError as exc:
                _log_refusal(account_id, fields, str(exc))
                raise ApiError(400, f"Twilio callback: {exc}") from None
            if not events:
                return
            try:
                self.connectors.ingest(account_id, events)
            except BatchRefused as refused:
                _log_refusal(account_id, fields, str(refused))
                details = [{"index": p.index, "message": p.message} for p in refused.problems]
                raise ApiError(400, f"Twilio callback: {refused}", details or None) from None

    def _settings(self, account_id: str) -> TwilioSettings:
        stored = self.connectors.settings(account_id, CONNECTOR)
        setup = (
            f"run `agentactivity connectors twilio --account {account_id} --auth-token TOKEN` "
            "with the Twilio account's auth token"
        )
        if not stored:
            raise ApiError(404, f"account {account_id} has no Twilio connector set up: {setup}")
        try:
            return TwilioSettings.from_json(stored)
        except SettingsProblem as exc:
            raise ApiError(
                404, f"account {account_id}'s Twilio connector is not usable ({exc}): {setup}"
            ) from None


def signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: the public base URL if configured (behind a proxy the
    scheme and host we see are the proxy's), else the scheme and host the request came
    with; then the path and query exactly as sent."""
    base = public_url.rstrip("/") if public_url else f"{request.url.scheme}://{request.url.netloc}"
    path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    return base + path + (f"?{query}" if query else "")


def form_fields(request: Request, body: bytes) -> list[tuple[str, str]]:
    """The body's form fields, decoded, in order (repeated names kept: they are signed)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise ApiError(
            415,
            f"Content-Type {media_type or 'missing'!r}: TaskRouter callbacks are "
            f"{FORM_MEDIA_TYPE}; point the Workspace's EventCallbackUrl here, not another sender",
        )
    try:
        text = body.decode("utf-8")
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, f"request body is not a form of UTF-8 fields: {exc}") from None


def single_fields(params: list[tuple[str, str]]) -> dict[str, str]:
    """Field name -> value; a name given twice with different values is ambiguous (400)."""
    fields: dict[str, str] = {}
    for name, value in params:
        if fields.setdefault(name, value) != value:
            raise ApiError(400, f"{name}: given more than once with different values")
    return fields


def _signature_refusal(account_id: str, url: str, given: str | None) -> ApiError:
    log.warning(
        "twilio callback refused for account %s: %s signature (checked over %s)",
        account_id,
        "a bad" if given else "no",
        url,
    )
    if not given:
        return ApiError(403, f"{SIGNATURE_HEADER}: missing; only Twilio may post here")
    return ApiError(
        403,
        f"{SIGNATURE_HEADER} does not match this request: check that the auth token given "
        "to `agentactivity connectors twilio` is the Twilio account's and, behind a proxy, "
        f"that `serve --public-url` makes {url!r} the URL set as EventCallbackUrl",
    )


def _log_refusal(account_id: str, fields: dict[str, str], problem: str) -> None:
    # TaskRouter does not retry: this line is the only trace of the lost callback.
    log.warning(
        "twilio callback refused for account %s (EventType=%s Sid=%s WorkerSid=%s): %s",
        account_id,
        fields.get("EventType"),
        fields.get("Sid"),
        fields.get("WorkerSid"),
        problem,
    )
