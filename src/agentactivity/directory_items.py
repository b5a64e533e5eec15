"""The directory's items as its HTTP API carries them (SPEC section 8; docs/api.md,
"People and teams"): a user's or an agent group's JSON turned into a `User` /
`AgentGroup` (directory.py) or a list of problems naming the field at fault
(`items[2].loginName`, `memberOf.agentGroupId`), and back into JSON.

Only what an item says on its own is checked here. What needs the account's other
items (a login name or a sibling's name taken, a group unknown, deleted or below the
group it would parent) is the store's to refuse, in the transaction that writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from agentactivity.configuration import (
    PLAIN,
    FieldProblem,
    Problems,
    boolean,
    not_an_object,
    parse_batch,
    text_problem,
    whole_or_digits,
)
from agentactivity.directory import ROOT_GROUP_ID, AgentGroup, User
from agentactivity.events import MAX_AGENT_ID, whole

T = TypeVar("T")

MAX_USER_ID = MAX_AGENT_ID  # a user's id is the agent id of the events
MAX_GROUP_ID = 2**63 - 1
MAX_NAME_CHARS = 100  # loginName, fullName, nickname, employeeId, a group's name
MAX_DESCRIPTION_CHARS = 1000
MAX_CHATS = 1000
MAX_SKILLS = 1000
MAX_SKILL_ID = 2**63 - 1
MAX_EXTERNAL_IDS = 20
MAX_EXTERNAL_ID_CHARS = 256
# A source of external ids (a platform, a connector): lower case, so that one platform
# cannot become two sources by spelling.
SOURCE_PATTERN = "^[a-z0-9][a-z0-9._-]{0,63}$"
_SOURCE = re.compile(SOURCE_PATTERN)

_ID_RULE = (
    f"must be a whole number from 1 to {MAX_USER_ID} or a string of its digits "
    "(the agent id of the events)"
)
_GROUP_RULE = f"must be a group id: -1 (the root group) or a whole number from 1 to {MAX_GROUP_ID}"


@dataclass(frozen=True, slots=True)
class Change(Generic[T]):
    """An item as a request wants it, and what it says of `deleted` (None: left out,
    i.e. as it is for a PUT, not deleted for a POST). Fields the server sets (a group's
    new id, a user's assignment date) are empty until the store fills them."""

    item: T
    deleted: bool | None = None


# --- to JSON --------------------------------------------------------------------------


def user_json(user: User) -> dict[str, Any]:
    """Every field, null (or empty) when not set; ids as strings, as the vendor answers."""
    return {
        "id": str(user.id),
        "loginName": user.login_name,
        "fullName": user.full_name,
        "nickname": user.nickname,
        "employeeId": user.employee_id,
        "isEnabled": user.enabled,
        "maxChats": user.max_chats,
        "skillIds": list(user.skill_ids),
        "memberOf": {"agentGroupId": user.group_id, "assignmentDate": user.assignment_date},
        "externalIds": dict(user.external_ids),
        "deleted": user.deleted,
    }


def group_json(group: AgentGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "parentGroupId": group.parent_id,
        "isEnabled": group.enabled,
        "description": group.description or None,
        "deleted": group.deleted,
    }


# --- fields shared by both ------------------------------------------------------------


def group_id(value: Any) -> str | None:
    """A group id as a request gives it (-1, 7, "-1", "7"), as answers write it; None if
    it is none."""
    if value == -1 or value == "-1":
        return ROOT_GROUP_ID
    number = whole_or_digits(value)
    return str(number) if number is not None and 1 <= number <= MAX_GROUP_ID else None


def is_group_id(text: str) -> bool:
    """A path's group id, written as answers write it (no sign, no leading zero)."""
    return group_id(text) == text


def _flag(raw: dict[str, Any], name: str, problems: Problems) -> bool:
    """A boolean field (default true; null means absent)."""
    value = raw.get(name)
    parsed = True if value is None else boolean(value)
    if parsed is None:
        problems.add(name, 'must be true or false (or "true"/"false")')
    return bool(parsed)


def _deleted(raw: dict[str, Any], problems: Problems, creating: bool, what: str) -> bool | None:
    value = raw.get("deleted")
    deleted = None if value is None else boolean(value)
    if value is not None and deleted is None:
        problems.add("deleted", 'must be true or false (or "true"/"false")')
    elif creating and deleted:
        problems.add("deleted", f"a new {what} cannot be deleted; leave deleted out")
    return deleted


def _optional_text(raw: dict[str, Any], name: str, problems: Problems, most: int) -> str | None:
    """An optional text: null, empty or blank mean none."""
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(name, "must be a string or null")
    elif len(value) > most:
        problems.add(name, f"must be at most {most} characters (it has {len(value)})")
    elif not PLAIN.fullmatch(value):
        problems.add(name, "must not hold control characters")
    else:
        return value if value.strip() else None
    return None


# --- users ----------------------------------------------------------------------------


def _user_id(raw: dict[str, Any], problems: Problems, path_id: int | None) -> int:
    value = raw.get("id")
    if value is None:
        if path_id is None:
            problems.add("id", "is required: the agent id of the events, which the client gives")
        return path_id or 0
    number = whole_or_digits(value)
    if number is None or not 1 <= number <= MAX_USER_ID:
        problems.add("id", _ID_RULE)
    elif path_id is not None and number != path_id:
        problems.add("id", f"{value!r} differs from userId {path_id} in the path")
    return number or 0


def _max_chats(raw: dict[str, Any], problems: Problems) -> int | None:
    value = raw.get("maxChats")
    if value is None:
        return None
    number = whole_or_digits(value)
    if number is None or not 0 <= number <= MAX_CHATS:
        problems.add("maxChats", f"must be a whole number from 0 to {MAX_CHATS}, or null")
        return None
    return number


def _skill_ids(raw: dict[str, Any], problems: Problems) -> tuple[int, ...]:
    value = raw.get("skillIds")
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_SKILLS:
        problems.add("skillIds", f"must be an array of at most {MAX_SKILLS} skill ids")
        return ()
    skills: set[int] = set()
    for index, element in enumerate(value):
        number = whole(element)
        if number is None or not 1 <= number <= MAX_SKILL_ID:
            problems.add(f"skillIds[{index}]", f"must be a whole number from 1 to {MAX_SKILL_ID}")
        else:
            skills.add(number)
    return tuple(sorted(skills))


def _member_of(raw: dict[str, Any], problems: Problems) -> str:
    value = raw.get("memberOf")
    # The vendor's field table says "array of", its own example one object: take both.
    if isinstance(value, list) and len(value) <= 1:
        value = None if not value else value[0] if isinstance(value[0], dict) else value
    if value is None:
        return ROOT_GROUP_ID
    if not isinstance(value, dict):
        problems.add("memberOf", 'must be one object {"agentGroupId": "<group id>"}')
        return ROOT_GROUP_ID
    given = value.get("agentGroupId")  # assignmentDate is the server's: ignored
    group = ROOT_GROUP_ID if given is None else group_id(given)
    if group is None:
        problems.add("memberOf.agentGroupId", _GROUP_RULE)
    return group or ROOT_GROUP_ID


def _external_ids(raw: dict[str, Any], problems: Problems) -> tuple[tuple[str, str], ...]:
    value = raw.get("externalIds")
    if value is None:
        return ()
    if not isinstance(value, dict) or len(value) > MAX_EXTERNAL_IDS:
        problems.add(
            "externalIds",
            f"must be an object of at most {MAX_EXTERNAL_IDS} entries: source -> that "
            "source's id for this agent",
        )
        return ()
    pairs: list[tuple[str, str]] = []
    for source, external_id in value.items():
        if not _SOURCE.fullmatch(source):
            problems.add(
                "externalIds",
                f"{source[:70]!r} is not a source name: 1 to 64 lower-case letters, digits, "
                "'.', '_' or '-'",
            )
        elif (message := text_problem(external_id, MAX_EXTERNAL_ID_CHARS)) is not None:
            problems.add(f"externalIds.{source}", message)
        else:
            pairs.append((source, external_id))
    return tuple(sorted(pairs))


def parse_user(
    raw: Any, where: str = "", *, creating: bool, path_id: int | None = None
) -> tuple[Change[User] | None, list[FieldProblem]]:
    """One user of a request. `where` prefixes field names (`items[2].`); `creating`: a
    POST item (its `id` required, not deleted); `path_id`: the id a PUT names in its
    path (a body `id` must equal it). Unknown fields are ignored."""
    if not isinstance(raw, dict):
        return None, not_an_object(where, "a user")
    problems = Problems(where)
    user_id = _user_id(raw, problems, None if creating else path_id)
    login_name = raw.get("loginName")
    if (message := text_problem(login_name, MAX_NAME_CHARS)) is not None:
        problems.add("loginName", message)
    full_name = _optional_text(raw, "fullName", problems, MAX_NAME_CHARS)
    nickname = _optional_text(raw, "nickname", problems, MAX_NAME_CHARS)
    employee_id = _optional_text(raw, "employeeId", problems, MAX_NAME_CHARS)
    user = User(
        id=user_id,
        login_name=login_name if isinstance(login_name, str) else "",
        full_name=full_name,
        nickname=nickname,
        employee_id=employee_id,
        enabled=_flag(raw, "isEnabled", problems),
        max_chats=_max_chats(raw, problems),
        skill_ids=_skill_ids(raw, problems),
        group_id=_member_of(raw, problems),
        external_ids=_external_ids(raw, problems),
    )
    deleted = _deleted(raw, problems, creating, "user")
    if problems.found:
        return None, problems.found
    return Change(user, deleted), []


def parse_users(raw: Any) -> tuple[list[Change[User]], bool, list[FieldProblem]]:
    """A POST body: one user or an array of them (items, whether an array, problems)."""
    return parse_batch(raw, lambda element, where: parse_user(element, where, creating=True))


# --- agent groups ---------------------------------------------------------------------


def _parent(raw: dict[str, Any], problems: Problems, path_id: str | None) -> str | None:
    value = raw.get("parentGroupId")
    if path_id == ROOT_GROUP_ID:
        if value is not None:
            problems.add("parentGroupId", "the root group -1 has no parent: leave it null")
        return None
    if value is None:  # every group but the root has a parent: by default the root
        return ROOT_GROUP_ID
    parent = group_id(value)
    if parent is None:
        problems.add("parentGroupId", _GROUP_RULE)
    return parent or ROOT_GROUP_ID


def parse_group(
    raw: Any, where: str = "", *, creating: bool, path_id: str | None = None
) -> tuple[Change[AgentGroup] | None, list[FieldProblem]]:
    """One agent group of a request (see parse_user); its id is the server's, so a POST
    item has none and a PUT's is the path's (`path_id`)."""
    if not isinstance(raw, dict):
        return None, not_an_object(where, "an agent group")
    problems = Problems(where)
    given_id = raw.get("id")
    if given_id is not None:
        if creating:
            problems.add("id", "ids are assigned by the server; leave id out (PUT changes a group)")
        elif group_id(given_id) != path_id:
            problems.add("id", f"{given_id!r} differs from agentGroupId {path_id} in the path")
    name = raw.get("name")
    if (message := text_problem(name, MAX_NAME_CHARS)) is not None:
        problems.add("name", message)
    group = AgentGroup(
        id=path_id or "",
        name=name if isinstance(name, str) else "",
        parent_id=_parent(raw, problems, path_id),
        enabled=_flag(raw, "isEnabled", problems),
        description=_optional_text(raw, "description", problems, MAX_DESCRIPTION_CHARS) or "",
    )
    deleted = _deleted(raw, problems, creating, "agent group")
    if problems.found:
        return None, problems.found
    return Change(group, deleted), []


def parse_groups(raw: Any) -> tuple[list[Change[AgentGroup]], bool, list[FieldProblem]]:
    """A POST body: one agent group or an array of them."""
    return parse_batch(raw, lambda element, where: parse_group(element, where, creating=True))
