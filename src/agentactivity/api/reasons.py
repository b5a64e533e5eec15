"""HTTP handlers of the status reasons (the vendor's Agent Status Reason API): list,
create, update (PUT, or POST with X-HTTP-Method-Override: PUT) and soft delete of one
id, through the handlers every configuration collection shares (api/collections.py).

Every answer carries the collection's revision in `ac-revision`; creates answer 200.
"""

from __future__ import annotations

from agentactivity.api.collections import (
    IF_MATCH_PATTERN,
    MAX_ITEMS_PER_REQUEST,
    OVERRIDE_HEADER,
    REVISION_HEADER,
    Collection,
    CollectionHandlers,
    path_number,
)
from agentactivity.api.common import Authenticator
from agentactivity.reasons import (
    MAX_REASON_ID,
    ReasonFields,
    StatusReason,
    parse_reason,
    parse_reasons,
)
from agentactivity.service import ActivityService
from agentactivity.store import Store

# The shared pieces the OpenAPI document and the tests know from here.
__all__ = [
    "IF_MATCH_PATTERN",
    "MAX_ITEMS_PER_REQUEST",
    "OVERRIDE_HEADER",
    "REASONS",
    "REVISION_HEADER",
    "ReasonHandlers",
]


def _delete(
    store: Store, account_id: str, ids: list[int], if_match: int
) -> tuple[int, list[StatusReason]]:
    (reason_id,) = ids  # one id: the item path (the reasons have no array form)
    revision, item = store.reasons.delete(account_id, reason_id, if_match)
    return revision, [item]


REASONS: Collection[StatusReason, ReasonFields, int] = Collection(
    noun="status reason",
    plural="status reasons",
    id_name="statusReasonId",
    id_rule="ids are positive whole numbers",
    path_id=lambda raw: path_number(raw, MAX_REASON_ID),
    store=lambda store: store.reasons,
    to_json=StatusReason.to_json,
    parse_items=parse_reasons,
    parse_item=lambda raw, reason_id: parse_reason(raw, creating=False, path_id=reason_id),
    delete=_delete,
)


class ReasonHandlers(CollectionHandlers[StatusReason, ReasonFields, int]):
    def __init__(self, service: ActivityService, auth: Authenticator) -> None:
        super().__init__(service, auth, REASONS)
