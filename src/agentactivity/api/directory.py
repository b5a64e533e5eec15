"""HTTP handlers of people and teams (SPEC section 8; the vendor's Users and Agent
Groups APIs): users and agent groups as configuration collections (api/collections.py).

Beyond what the status reasons have: get one by id, delete a JSON array of ids on the
collection path (the vendor's form for users), `X-HTTP-Method-Override: DELETE` on the
item path, and creates answer 201 with `Location` when one item was created (the
vendor's documented answer).
"""

from __future__ import annotations

from agentactivity.api.collections import Collection, CollectionHandlers, path_number
from agentactivity.api.common import Authenticator
from agentactivity.api.paths import AGENT_GROUP_PATH, USER_PATH
from agentactivity.configuration import whole_or_digits
from agentactivity.directory import AgentGroup, DirectorySnapshot, User
from agentactivity.directory_items import (
    MAX_USER_ID,
    Change,
    group_id,
    group_json,
    is_group_id,
    parse_group,
    parse_groups,
    parse_user,
    parse_users,
    user_json,
)
from agentactivity.service import ActivityService
from agentactivity.store import Store
from agentactivity.store.agent_groups import AgentGroups
from agentactivity.store.users import Users

# The vendor's override header may also say DELETE on these paths.
_OVERRIDES = ("PUT", "DELETE")


def _body_user_id(value: object) -> int | None:
    number = whole_or_digits(value)
    return number if number is not None and 1 <= number <= MAX_USER_ID else None


def _users(store: Store) -> Users:
    return store.directory.users


def _groups(store: Store) -> AgentGroups:
    return store.directory.groups


USERS: Collection[User, Change[User], int] = Collection(
    noun="user",
    plural="users",
    id_name="userId",
    id_rule="ids are the agents' ids: positive whole numbers",
    path_id=lambda raw: path_number(raw, MAX_USER_ID),
    store=_users,
    to_json=user_json,
    parse_items=parse_users,
    parse_item=lambda raw, user_id: parse_user(raw, creating=False, path_id=user_id),
    delete=lambda store, account, ids, if_match: _users(store).delete(account, ids, if_match),
    body_id=_body_user_id,
    get=lambda store, account_id, user_id: _users(store).get(account_id, user_id),
    overrides=_OVERRIDES,
    created_status=201,  # the vendor's documented answer to a create
    item_path=USER_PATH,
)


def _in_team(directory: DirectorySnapshot, team: str, groups: list[AgentGroup]) -> list[AgentGroup]:
    """The groups a team link may list: its team and the groups below it."""
    inside = directory.descendants([team])  # once, not once per group listed
    return [group for group in groups if group.id in inside]


GROUPS: Collection[AgentGroup, Change[AgentGroup], str] = Collection(
    noun="agent group",
    plural="agent groups",
    id_name="agentGroupId",
    id_rule="ids are -1 (the root group) or positive whole numbers",
    path_id=lambda raw: raw if is_group_id(raw) else None,
    store=_groups,
    to_json=group_json,
    parse_items=parse_groups,
    parse_item=lambda raw, item_id: parse_group(raw, creating=False, path_id=item_id),
    delete=lambda store, account_id, ids, if_match: _groups(store).delete(
        account_id, ids, if_match
    ),
    body_id=group_id,
    get=lambda store, account_id, item_id: _groups(store).get(account_id, item_id),
    overrides=_OVERRIDES,
    created_status=201,  # the vendor's documented answer to a create
    item_path=AGENT_GROUP_PATH,
    team_items=lambda directory, team, groups: _in_team(directory, team, groups),
)


class UserHandlers(CollectionHandlers[User, Change[User], int]):
    def __init__(self, service: ActivityService, auth: Authenticator) -> None:
        super().__init__(service, auth, USERS)


class GroupHandlers(CollectionHandlers[AgentGroup, Change[AgentGroup], str]):
    def __init__(self, service: ActivityService, auth: Authenticator) -> None:
        super().__init__(service, auth, GROUPS)
