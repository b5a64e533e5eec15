"""The configuration collections over HTTP, written once: the status reasons
(api/reasons.py) and the directory's users and agent groups (api/directory.py) are each
a `Collection` handed to `CollectionHandlers`.

What they share: list (GET, `include_deleted`; `v` and `select` accepted), get one by id
(GET), create one item or an array (POST, all or none, optionally conditional on
`If-Match`), replace (PUT, or POST with X-HTTP-Method-Override), soft delete (DELETE of
one id, or of a JSON array of ids on the collection path), `ac-revision` on every
answer. Order of checks: authentication (401/403), the method override (400), the path
(404), the `If-Match` header (428 missing, 400 malformed), the body (400, 413 over the
item cap), then the store's refusals (404 unknown id, 412 stale revision, 409 conflict,
400 a field naming what the account does not have).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agentactivity.api.common import Authenticator, Handlers, account_in_path, json_response
from agentactivity.api.errors import ApiError
from agentactivity.api.params import single_values
from agentactivity.configuration import (
    CollectionError,
    FieldProblem,
    ItemConflict,
    ItemInvalid,
    ItemNotFound,
    ItemRefusal,
    StaleRevision,
)
from agentactivity.directory import DirectorySnapshot
from agentactivity.service import ActivityService
from agentactivity.store import Store

REVISION_HEADER = "ac-revision"
OVERRIDE_HEADER = "X-HTTP-Method-Override"
# Reads take either scope; changes need admin.
READ_SCOPES = ("read", "admin")
WRITE_SCOPE = "admin"
MAX_ITEMS_PER_REQUEST = 1_000
# A revision as `If-Match` carries it: the number, or as an entity tag ("7", W/"7").
IF_MATCH_PATTERN = '^(?:[0-9]{1,18}|"[0-9]{1,18}"|W/"[0-9]{1,18}")$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
_TRUE, _FALSE = ("true", "1"), ("false", "0", "")
_PATH_NUMBER = re.compile("[1-9][0-9]{0,18}")
_REFUSALS = {ItemNotFound: 404, ItemConflict: 409, ItemInvalid: 400}

Item = TypeVar("Item")
Fields = TypeVar("Fields")
Id = TypeVar("Id")
_FieldsIn = TypeVar("_FieldsIn", contravariant=True)
_IdIn = TypeVar("_IdIn", contravariant=True)
Parsed = tuple[Any, list[FieldProblem]]


class CollectionStore(Protocol[Item, _FieldsIn, _IdIn]):
    """What the handlers ask of a collection in the store (store/reasons.py, users.py,
    agent_groups.py, or an adapter of one); each returns the revision after it."""

    def listing(self, account_id: str, include_deleted: bool, /) -> tuple[int, list[Item]]: ...

    def create(
        self, account_id: str, items: Sequence[_FieldsIn], if_match: int | None, /
    ) -> tuple[int, list[Item]]: ...

    def update(
        self, account_id: str, item_id: _IdIn, fields: _FieldsIn, if_match: int, /
    ) -> tuple[int, Item]: ...


@dataclass(frozen=True)
class Collection(Generic[Item, Fields, Id]):
    """One collection's words, rules and store."""

    noun: str  # "status reason"
    plural: str  # "status reasons"
    id_name: str  # the path parameter, "statusReasonId"
    id_rule: str  # what an id is, for the 404 of a malformed one
    path_id: Callable[[str], Id | None]  # the path's id, None if it cannot be one
    store: Callable[[Store], CollectionStore[Item, Fields, Id]]
    to_json: Callable[[Item], Any]
    parse_items: Callable[[Any], tuple[list[Fields], bool, list[FieldProblem]]]
    parse_item: Callable[[Any, Id], tuple[Fields | None, list[FieldProblem]]]  # a PUT's
    # Deleting: one id, or (`body_id` given) a JSON array of ids on the collection path.
    delete: Callable[[Store, str, list[Id], int], tuple[int, list[Item]]]
    body_id: Callable[[Any], Id | None] | None = None
    # Get one by id (None: no GET on the item path).
    get: Callable[[Store, str, Id], tuple[int, Item | None]] | None = None
    overrides: tuple[str, ...] = ("PUT",)  # what X-HTTP-Method-Override may say
    created_status: int = 200
    item_path: str | None = None  # for `Location` when one item was created
    # Dashboard links may list the items (the page shows them); a team link sees those
    # this keeps. None: OAuth 1.0a keys only.
    team_items: Callable[[DirectorySnapshot, str, list[Item]], list[Item]] | None = None


def path_number(raw: str, maximum: int) -> int | None:
    """A path's id that is a positive whole number up to `maximum`, written plainly (no
    sign, no leading zero); None for anything else (a 404)."""
    return int(raw) if _PATH_NUMBER.fullmatch(raw) and int(raw) <= maximum else None


def answer(payload: Any, revision: int, status: int = 200, **headers: str) -> Response:
    return json_response(payload, status, headers={REVISION_HEADER: str(revision), **headers})


def include_deleted(request: Request) -> bool:
    given = single_values(request.query_params, ("include_deleted",)).get("include_deleted", "")
    value = given.lower()
    if value not in _TRUE + _FALSE:
        raise ApiError(400, f"include_deleted must be true or false, not {given!r}")
    return value in _TRUE


def if_match(request: Request, plural: str, required: bool) -> int | None:
    value = request.headers.get("if-match")
    if value is None:
        if required:
            raise ApiError(
                428,
                f"If-Match: header required; send the revision of the {plural} "
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


def decode(body: bytes, noun: str) -> Any:
    if not body.strip():
        raise ApiError(400, f"body: send {_article(noun)} {noun} as a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"body: not valid JSON ({exc})") from exc


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeio" else "a"  # "a user", "an agent group"


def invalid(problems: list[FieldProblem]) -> ApiError:
    return ApiError(
        400,
        f"{problems[0]} ({len(problems)} problem(s); nothing was changed)",
        [{"field": p.field, "message": p.message} for p in problems],
    )


def refused(exc: CollectionError, is_array: bool, id_name: str) -> ApiError:
    """The store's refusal, naming the field as the request wrote it: `items[2].name`
    in an array, `name` in a lone item, the path's id for the item itself."""
    headers = {REVISION_HEADER: str(exc.revision)}
    if not isinstance(exc, ItemRefusal):
        assert isinstance(exc, StaleRevision)
        return ApiError(412, exc.message, headers=headers)
    if is_array:
        where = f"items[{exc.index}]" + (f".{exc.field}" if exc.field else "")
    else:
        where = exc.field or id_name
    status = next(code for kind, code in _REFUSALS.items() if isinstance(exc, kind))
    return ApiError(status, f"{where}: {exc.message}", headers=headers)


def too_many(count: int) -> ApiError:
    return ApiError(413, f"body: {count} items; the limit is {MAX_ITEMS_PER_REQUEST} a request")


class CollectionHandlers(Handlers, Generic[Item, Fields, Id]):
    """The handlers of one collection: `items` on the collection path, `item` on the
    item path."""

    def __init__(
        self,
        service: ActivityService,
        auth: Authenticator,
        collection: Collection[Item, Fields, Id],
    ) -> None:
        super().__init__(service, auth)
        self.collection = collection

    async def items(self, request: Request) -> Response:
        """GET: the account's items; POST: create one item or an array of them; DELETE
        (where the collection has `body_id`): delete the ids of a JSON array."""
        account_id = account_in_path(request)
        body = b"" if request.method == "GET" else await self.body(request)
        work = {"GET": self._listing, "POST": self._create, "DELETE": self._delete_many}
        return await run_in_threadpool(work[request.method], request, account_id, body)

    async def item(self, request: Request) -> Response:
        """GET (where the collection has `get`): one item, deleted or not; PUT (or POST
        with X-HTTP-Method-Override: PUT): replace; DELETE (or the override's DELETE):
        mark deleted."""
        account_id = account_in_path(request)
        body = b"" if request.method in ("GET", "DELETE") else await self.body(request)
        return await run_in_threadpool(self._on_item, request, account_id, body)

    # --- in the threadpool (the store and the nonces block) -------------------------------

    def _listing(self, request: Request, account_id: str, body: bytes) -> Response:
        links = self.collection.team_items is not None
        credentials = self.auth.authenticate(request, b"", account_id, READ_SCOPES, links)
        store = self.collection.store(self.service.store)
        revision, items = store.listing(account_id, include_deleted(request))
        if credentials.team is not None and self.collection.team_items is not None:
            snapshot = self.service.directory(account_id)
            items = self.collection.team_items(snapshot, credentials.team, items)
        return answer([self.collection.to_json(item) for item in items], revision)

    def _create(self, request: Request, account_id: str, body: bytes) -> Response:
        collection = self.collection
        self.auth.authenticate(request, body, account_id, WRITE_SCOPE)
        condition = if_match(request, collection.plural, required=False)
        raw = decode(body, collection.noun)
        if isinstance(raw, list) and len(raw) > MAX_ITEMS_PER_REQUEST:
            raise too_many(len(raw))
        items, is_array, problems = collection.parse_items(raw)
        if problems:
            raise invalid(problems)
        try:
            revision, created = collection.store(self.service.store).create(
                account_id, items, condition
            )
        except CollectionError as exc:
            raise refused(exc, is_array, collection.id_name) from exc
        payload = [collection.to_json(item) for item in created]
        status = collection.created_status if created else 200
        headers: dict[str, str] = {}
        if len(created) == 1 and collection.item_path is not None:
            item_id = payload[0]["id"]
            values = {"accountId": account_id, collection.id_name: item_id}
            headers["Location"] = collection.item_path.format(**values)
        return answer(payload if is_array else payload[0], revision, status, **headers)

    def _delete_many(self, request: Request, account_id: str, body: bytes) -> Response:
        collection = self.collection
        assert collection.body_id is not None  # the route exists only then
        self.auth.authenticate(request, body, account_id, WRITE_SCOPE)
        condition = if_match(request, collection.plural, required=True)
        assert condition is not None
        raw = decode(body, collection.noun) if body.strip() else None
        if not isinstance(raw, list):
            raise ApiError(
                400, f"body: send the ids of the {collection.plural} to delete as a JSON array"
            )
        if len(raw) > MAX_ITEMS_PER_REQUEST:
            raise too_many(len(raw))
        ids = [collection.body_id(value) for value in raw]
        what = f"{_article(collection.noun)} {collection.noun} id"
        problems = [
            FieldProblem(f"items[{index}]", f"{str(value)[:40]!r} is not {what}")
            for index, (value, parsed) in enumerate(zip(raw, ids))
            if parsed is None
        ]
        if problems:
            raise invalid(problems)
        return self._deleted(account_id, [i for i in ids if i is not None], condition, True)

    def _deleted(self, account_id: str, ids: list[Id], condition: int, is_array: bool) -> Response:
        collection = self.collection
        try:
            revision, items = collection.delete(self.service.store, account_id, ids, condition)
        except CollectionError as exc:
            raise refused(exc, is_array, collection.id_name) from exc
        payload = [collection.to_json(item) for item in items]
        return answer(payload if is_array else payload[0], revision)

    def _on_item(self, request: Request, account_id: str, body: bytes) -> Response:
        collection = self.collection
        method = request.method
        scope = READ_SCOPES if method == "GET" else WRITE_SCOPE
        self.auth.authenticate(request, body, account_id, scope)
        if method == "POST":
            override = request.headers.get(OVERRIDE_HEADER)
            method = "" if override is None else override.strip().upper()
            if method not in collection.overrides:
                allowed = " or ".join(collection.overrides)
                raise ApiError(
                    400,
                    f"{OVERRIDE_HEADER}: a POST to {_article(collection.noun)} {collection.noun} "
                    f"must carry {OVERRIDE_HEADER}: {allowed} (got {override!r})",
                )
        item_id = self._path_id(request)
        if method == "GET":
            assert collection.get is not None
            revision, item = collection.get(self.service.store, account_id, item_id)
            if item is None:
                raise ApiError(
                    404,
                    f"{collection.id_name}: no {collection.noun} {item_id} in the account",
                    headers={REVISION_HEADER: str(revision)},
                )
            return answer(collection.to_json(item), revision)
        condition = if_match(request, collection.plural, required=True)
        assert condition is not None
        if method == "DELETE":
            return self._deleted(account_id, [item_id], condition, False)
        fields, problems = collection.parse_item(decode(body, collection.noun), item_id)
        if fields is None:
            raise invalid(problems)
        try:
            revision, item = collection.store(self.service.store).update(
                account_id, item_id, fields, condition
            )
        except CollectionError as exc:
            raise refused(exc, False, collection.id_name) from exc
        return answer(collection.to_json(item), revision)

    def _path_id(self, request: Request) -> Id:
        collection = self.collection
        raw = request.path_params[collection.id_name]
        item_id = collection.path_id(raw)
        if item_id is None:
            raise ApiError(
                404,
                f"{collection.id_name}: no {collection.noun} {raw!r} ({collection.id_rule})",
            )
        return item_id
