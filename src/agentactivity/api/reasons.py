"""HTTP handlers of the status reasons (the vendor's Agent Status Reason API): list,
create, update (PUT, or POST with X-HTTP-Method-Override: PUT) and soft delete.

Order of checks, as elsewhere: authentication (401/403), the path (404), the
`If-Match` header (428 missing, 400 malformed), the body (400), then the store's
refusals (404 unknown id, 412 stale revision, 409 text taken). Every 200 carries the
collection's revision in `ac-revision`.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.api.common import Handlers, account_in_path, json_response
from agentactivity.api.errors import ApiError
from agentactivity.api.params import single_values
from agentactivity.reasons import (
    MAX_REASON_ID,
    ReasonError,
    ReasonNotFound,
    ReasonProblem,
    StaleRevision,
    TextTaken,
    parse_reason,
    parse_reasons,
)

REVISION_HEADER = "ac-revision"
OVERRIDE_HEADER = "X-HTTP-Method-Override"
# Reads take either scope; changes need admin.
READ_SCOPES = ("read", "admin")
WRITE_SCOPE = "admin"
MAX_ITEMS_PER_REQUEST = 1_000
# A revision as `If-Match` carries it: the number, or as an entity tag ("7", W/"7").
IF_MATCH_PATTERN = '^(?:[0-9]{1,18}|"[0-9]{1,18}"|W/"[0-9]{1,18}")$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
_REASON_ID = re.compile("[1-9][0-9]{0,18}")
_TRUE, _FALSE = ("true", "1"), ("false", "0", "")


def _answer(payload: Any, revision: int) -> Response:
    return json_response(payload, headers={REVISION_HEADER: str(revision)})


def _include_deleted(request: Request) -> bool:
    given = single_values(request.query_params, ("include_deleted",)).get("include_deleted", "")
    value = given.lower()
    if value not in _TRUE + _FALSE:
        raise ApiError(400, f"include_deleted must be true or false, not {given!r}")
    return value in _TRUE


def _reason_id(request: Request) -> int:
    raw = request.path_params["statusReasonId"]
    if not _REASON_ID.fullmatch(raw) or int(raw) > MAX_REASON_ID:
        raise ApiError(
            404, f"statusReasonId: no status reason {raw!r} (ids are positive whole numbers)"
        )
    return int(raw)


def _if_match(request: Request, required: bool) -> int | None:
    value = request.headers.get("if-match")
    if value is None:
        if required:
            raise ApiError(
                428,
                "If-Match: header required; send the revision of the status reasons "
                f"(the {REVISION_HEADER} header of their listing)",
            )
        return None
    value = value.strip()
    if not _IF_MATCH.fullmatch(value):
        raise ApiError(
            400,
            f"If-Match: {value[:40]!r} is not a revision; send the number {REVISION_HEADER} gave",
        )
    return int(value.removeprefix("W/").strip('"'))


def _decode(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "body: send a status reason as a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"body: not valid JSON ({exc})") from exc


def _invalid(problems: list[ReasonProblem]) -> ApiError:
    return ApiError(
        400,
        f"{problems[0]} ({len(problems)} problem(s); nothing was changed)",
        [{"field": p.field, "message": p.message} for p in problems],
    )


def _refused(exc: ReasonError, field: str) -> ApiError:
    headers = {REVISION_HEADER: str(exc.revision)}
    if isinstance(exc, StaleRevision):
        return ApiError(412, exc.message, headers=headers)
    if isinstance(exc, ReasonNotFound):
        return ApiError(404, f"statusReasonId: {exc.message}", headers=headers)
    assert isinstance(exc, TextTaken)
    return ApiError(409, f"{field}: {exc.message}", headers=headers)


class ReasonHandlers(Handlers):
    async def collection(self, request: Request) -> Response:
        """GET: the account's items; POST: create one item or an array of them."""
        account_id = account_in_path(request)
        body = b"" if request.method == "GET" else await self.body(request)
        reasons = self.service.store.reasons

        def listing() -> tuple[Any, int]:
            self.auth.authenticate(request, b"", account_id, READ_SCOPES)
            revision, items = reasons.listing(account_id, _include_deleted(request))
            return [item.to_json() for item in items], revision

        def create() -> tuple[Any, int]:
            self.auth.authenticate(request, body, account_id, WRITE_SCOPE)
            if_match = _if_match(request, required=False)
            raw = _decode(body)
            if isinstance(raw, list) and len(raw) > MAX_ITEMS_PER_REQUEST:
                raise ApiError(
                    413,
                    f"body: {len(raw)} items; the limit is {MAX_ITEMS_PER_REQUEST} a request",
                )
            items, is_array, problems = parse_reasons(raw)
            if problems:
                raise _invalid(problems)
            try:
                revision, created = reasons.create(account_id, items, if_match)
            except TextTaken as exc:
                raise _refused(exc, f"items[{exc.index}].text" if is_array else "text") from exc
            except ReasonError as exc:
                raise _refused(exc, "") from exc
            if is_array:
                return [item.to_json() for item in created], revision
            return created[0].to_json(), revision

        payload, revision = await run_in_threadpool(listing if request.method == "GET" else create)
        return _answer(payload, revision)

    async def item(self, request: Request) -> Response:
        """PUT (or POST with X-HTTP-Method-Override: PUT): replace; DELETE: mark deleted."""
        account_id = account_in_path(request)
        body = b"" if request.method == "DELETE" else await self.body(request)
        reasons = self.service.store.reasons

        def work() -> tuple[Any, int]:
            self.auth.authenticate(request, body, account_id, WRITE_SCOPE)
            if request.method == "POST":
                override = request.headers.get(OVERRIDE_HEADER)
                if override is None or override.strip().upper() != "PUT":
                    raise ApiError(
                        400,
                        f"{OVERRIDE_HEADER}: a POST to a status reason must carry "
                        f"{OVERRIDE_HEADER}: PUT (got {override!r})",
                    )
            reason_id = _reason_id(request)
            if_match = _if_match(request, required=True)
            assert if_match is not None
            try:
                if request.method == "DELETE":
                    revision, item = reasons.delete(account_id, reason_id, if_match)
                else:
                    fields, problems = parse_reason(
                        _decode(body), creating=False, path_id=reason_id
                    )
                    if fields is None:
                        raise _invalid(problems)
                    revision, item = reasons.update(account_id, reason_id, fields, if_match)
            except ReasonError as exc:
                raise _refused(exc, "text") from exc
            return item.to_json(), revision

        payload, revision = await run_in_threadpool(work)
        return _answer(payload, revision)
