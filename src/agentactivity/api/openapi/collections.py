"""The path items of a configuration collection (api/collections.py), written once: the
status reasons (openapi/reasons.py) and the users and agent groups
(openapi/directory.py) each describe themselves with a `CollectionDoc`."""

from __future__ import annotations

from dataclasses import dataclass

from agentactivity.api.collections import (
    IF_MATCH_PATTERN,
    MAX_ITEMS_PER_REQUEST,
    OVERRIDE_HEADER,
    REVISION_HEADER,
)
from agentactivity.api.openapi.common import (
    READ_SECURITY,
    SECURITY,
    JSONObject,
    account_id_parameter,
    body_timeout,
    json_content,
    json_error,
    parameter,
    ref,
    store_unavailable,
)
from agentactivity.settings import Settings


@dataclass(frozen=True)
class CollectionDoc:
    """What differs between the collections' documents."""

    tag: str  # "status reasons"
    noun: str  # "status reason"
    one: str  # the operation ids' and schemas' stem: "StatusReason"
    path: str
    item_path: str
    id_parameter: JSONObject
    list_description: str
    update_description: str
    delete_description: str
    conflict: str  # what a 409 means
    aside: str = ""  # after the listing's summary: " (Away reasons)"
    invalid: str = ""  # what else a 400 means, beyond a field breaking its own rule
    # The directory's: get one, delete an array, override DELETE, 201 with Location.
    directory: bool = False
    # Dashboard links may list the items too (api/directory.py's team_items).
    links: bool = False


def _revision_header(doc: CollectionDoc) -> JSONObject:
    return {
        REVISION_HEADER: {
            "description": f"The revision of the account's {doc.tag} after this request.",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    }


def _if_match(required: bool) -> JSONObject:
    return parameter(
        "header",
        "If-Match",
        f"The revision the change is based on (the `{REVISION_HEADER}` the "
        'client last read), as a number or an entity tag (`"7"`, `W/"7"`). Another '
        "revision is refused with 412"
        + ("; without the header, 428." if required else "; without it, no check."),
        {"type": "string", "pattern": IF_MATCH_PATTERN},
        required=required,
    )


def _ok(doc: CollectionDoc, description: str, schema: JSONObject) -> JSONObject:
    return {
        "description": description,
        "content": json_content(schema),
        "headers": _revision_header(doc),
    }


def _refusals(doc: CollectionDoc, settings: Settings, *statuses: int) -> JSONObject:
    known = {
        400: json_error(
            400,
            f"Not JSON, or a field breaks a rule{doc.invalid} (named; all in `details`).",
            "FieldError",
        ),
        401: json_error(401, "Missing or bad OAuth 1.0a signature."),
        403: json_error(403, "Credentials of another account, or without `admin` scope."),
        404: json_error(404, f"Malformed account id, or no {doc.noun} of that id."),
        408: body_timeout(settings),
        409: json_error(409, doc.conflict),
        412: json_error(412, "If-Match is not the current revision (given in the message)."),
        413: json_error(
            413,
            f"More than {MAX_ITEMS_PER_REQUEST} items, or a body over "
            f"{settings.max_body_bytes} bytes.",
        ),
        428: json_error(428, "No If-Match header."),
    }
    responses = {str(status): known[status] for status in statuses}
    responses["503"] = store_unavailable()
    return responses


def _operation(doc: CollectionDoc, operation_id: str, summary: str, **rest: object) -> JSONObject:
    return {
        "operationId": operation_id,
        "summary": summary,
        "security": SECURITY,
        "tags": [doc.tag],
        **rest,
    }


def _listing(doc: CollectionDoc, settings: Settings) -> JSONObject:
    parameters = [
        account_id_parameter(),
        parameter(
            "query",
            "include_deleted",
            "List deleted items too (default false).",
            {"type": "string", "pattern": "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[01]|)$"},
            required=False,
        ),
        parameter(
            "query",
            "v",
            "Accepted and ignored (clients send `2.0`).",
            {"type": "string"},
            required=False,
        ),
    ]
    if doc.directory:
        parameters.append(
            parameter(
                "query",
                "select",
                "Accepted and ignored: every field is always answered.",
                {"type": "string"},
                required=False,
            )
        )
    return _operation(
        doc,
        f"list{doc.one}s",
        f"The account's {doc.tag}{doc.aside}",
        description=f"Scope `read` or `admin`. {doc.list_description}"
        + (
            " A dashboard link may list them too (a team link: its team's groups, deleted "
            "ones left out)."
            if doc.links
            else ""
        ),
        parameters=parameters,
        **({"security": READ_SECURITY} if doc.links else {}),
        responses={
            "200": _ok(doc, "The items.", {"type": "array", "items": ref(doc.one)}),
            **_refusals(doc, settings, 400, 401, 404),
            "403": json_error(403, "Credentials of another account, or without `read` scope."),
        },
    )


def _create(doc: CollectionDoc, settings: Settings) -> JSONObject:
    new = ref(f"New{doc.one}")
    created = {"oneOf": [ref(doc.one), {"type": "array", "items": ref(doc.one)}]}
    responses: JSONObject = {"200": _ok(doc, "The created item(s).", created)}
    description = (
        "Scope `admin`. Answers in the shape it was given: an object for an object, an "
        "array for an array, with the new ids."
    )
    if doc.directory:
        responses["200"] = _ok(doc, "An empty array: nothing was created.", created)
        responses["201"] = _ok(doc, "The created item(s).", created)
        responses["201"]["headers"]["Location"] = {
            "description": "The created item's path, when one item was created.",
            "required": False,
            "schema": {"type": "string"},
        }
        description += " 201, with `Location` when one item was created."
    return _operation(
        doc,
        f"create{doc.one}s",
        f"Create one {doc.noun}, or an array of them (all or none)",
        description=description,
        parameters=[account_id_parameter(), _if_match(required=False)],
        requestBody={
            "required": True,
            "content": json_content(
                {"oneOf": [new, {"type": "array", "maxItems": MAX_ITEMS_PER_REQUEST, "items": new}]}
            ),
        },
        responses={**responses, **_refusals(doc, settings, 400, 401, 403, 404, 408, 409, 412, 413)},
    )


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeio" else "a"  # "a user", "an agent group"


def _any_case_pattern(words: tuple[str, ...]) -> str:
    """Any of the words, in any case (`^[Pp][Uu][Tt]$`)."""
    cased = ["".join(f"[{c.upper()}{c.lower()}]" for c in word) for word in words]
    return f"^{cased[0]}$" if len(cased) == 1 else f"^(?:{'|'.join(cased)})$"


def _update(doc: CollectionDoc, settings: Settings, override: bool) -> JSONObject:
    parameters = [account_id_parameter(), doc.id_parameter, _if_match(required=True)]
    description = f"Scope `admin`. {doc.update_description}"
    verbs = ("PUT", "DELETE") if doc.directory else ("PUT",)
    if override:
        parameters.append(
            parameter(
                "header",
                OVERRIDE_HEADER,
                f"`{'` or `'.join(verbs)}` (any case): this POST is a "
                f"{' or a '.join(verbs)} (for clients that cannot send {' or '.join(verbs)}). "
                "Missing or another value is 400.",
                {"type": "string", "pattern": _any_case_pattern(verbs)},
            )
        )
        if doc.directory:
            description += " With `DELETE`, the item is deleted and the body ignored."
    name = f"update{doc.one}" + ("ByOverride" if override else "")
    summary = f"Replace {_article(doc.noun)} {doc.noun}"
    if override:
        summary += f" (POST with {OVERRIDE_HEADER}: {' or '.join(verbs)})"
    return _operation(
        doc,
        name,
        summary,
        description=description,
        parameters=parameters,
        requestBody={"required": True, "content": json_content(ref(f"{doc.one}Update"))},
        responses={
            "200": _ok(doc, "The item as it now is.", ref(doc.one)),
            **_refusals(doc, settings, 400, 401, 403, 404, 408, 409, 412, 413, 428),
        },
    )


def _delete(doc: CollectionDoc, settings: Settings, many: bool) -> JSONObject:
    parameters = [account_id_parameter(), _if_match(required=True)]
    extra: JSONObject = {}
    if many:
        extra["requestBody"] = {
            "required": True,
            "content": json_content(
                {
                    "type": "array",
                    "maxItems": MAX_ITEMS_PER_REQUEST,
                    "items": doc.id_parameter["schema"],
                    "description": "The ids (all deleted, or none).",
                }
            ),
        }
    else:
        parameters.insert(1, doc.id_parameter)
    schema = {"type": "array", "items": ref(doc.one)} if many else ref(doc.one)
    statuses = [400, 401, 403, 404, 412, 428] + ([408, 413] if many else [])
    if doc.directory:
        statuses.append(409)  # a group with members or subgroups, the root
    return _operation(
        doc,
        f"delete{doc.one}" + ("s" if many else ""),
        f"Delete the {doc.tag} of an array of ids (they stay, marked `deleted`)"
        if many
        else f"Delete {_article(doc.noun)} {doc.noun} (it stays, marked `deleted`)",
        description=f"Scope `admin`. {doc.delete_description}",
        parameters=parameters,
        **extra,
        responses={
            "200": _ok(doc, "The items, deleted." if many else "The item, deleted.", schema),
            **_refusals(doc, settings, *statuses),
        },
    )


def _get(doc: CollectionDoc, settings: Settings) -> JSONObject:
    return _operation(
        doc,
        f"get{doc.one}",
        f"One {doc.noun}, deleted or not",
        description="Scope `read` or `admin`.",
        parameters=[account_id_parameter(), doc.id_parameter],
        responses={
            "200": _ok(doc, "The item.", ref(doc.one)),
            **_refusals(doc, settings, 401, 404),
            "403": json_error(403, "Credentials of another account, or without `read` scope."),
        },
    )


def collection_paths(doc: CollectionDoc, settings: Settings) -> JSONObject:
    """The collection's two path items."""
    collection = {"get": _listing(doc, settings), "post": _create(doc, settings)}
    item = {
        "put": _update(doc, settings, False),
        "post": _update(doc, settings, True),
        "delete": _delete(doc, settings, False),
    }
    if doc.directory:
        collection["delete"] = _delete(doc, settings, True)
        item["get"] = _get(doc, settings)
    return {doc.path: collection, doc.item_path: item}
