"""The directory's users as CSV (`agentactivity agents import` / `export`; the format is
in docs/operations.md, "People and teams as CSV").

One row per user, its columns named as the API's fields. A cell holds the text of one
field; lists and objects fit in one cell with a separator (`skillIds` `1;2`,
`externalIds` `twilio=WK123;connect=arn:aws:...`), and `agentGroupId` holds a group id or
a name path below the root group (`Sales/Tier 2`). A backslash makes the next character
plain (`\\;` in an external id, `\\/` in a group name, `\\\\` for a backslash).

A row becomes the JSON object the API would take and goes through `directory_items`'s
rules: the field rules are written once, there. What this module adds is only the CSV
spelling: cells to JSON values and back, and group paths.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agentactivity.configuration import FieldProblem, text_key
from agentactivity.directory import ROOT_GROUP_ID, DirectorySnapshot, User
from agentactivity.directory_items import group_id, parse_user

# The columns, in the order `export` writes them; the API's field names. `agentGroupId`
# is `memberOf.agentGroupId` (a user is in one group: the vendor's object of one key
# would only add a level).
COLUMNS = (
    "id",
    "loginName",
    "fullName",
    "nickname",
    "employeeId",
    "isEnabled",
    "maxChats",
    "skillIds",
    "agentGroupId",
    "externalIds",
)
REQUIRED = ("id", "loginName")
# The User attribute each column sets (an update leaves the others as stored).
ATTRIBUTES = {
    "id": "id",
    "loginName": "login_name",
    "fullName": "full_name",
    "nickname": "nickname",
    "employeeId": "employee_id",
    "isEnabled": "enabled",
    "maxChats": "max_chats",
    "skillIds": "skill_ids",
    "agentGroupId": "group_id",
    "externalIds": "external_ids",
}
LIST_SEPARATOR = ";"
PATH_SEPARATOR = "/"
ESCAPE = "\\"
# A cell of digits (or -1) is a group id, whatever group names look like: a group whose
# name looks like an id is written as a path from the root, with a leading "/".
_ID_CELL = re.compile(r"-1|[0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_HEADER_HINT = f"the first row names the columns ({','.join(COLUMNS)})"


@dataclass(frozen=True, slots=True)
class UserRow:
    """A row as read: the user it describes (in the root group when `path` names its
    group, until the path is resolved), the columns the file has (an update changes only
    those fields), the row's first line."""

    line: int
    user: User
    path: tuple[str, ...] | None
    columns: frozenset[str]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """What is wrong with a row (line 1 is the header), the field named as a column."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


# --- escaping ---------------------------------------------------------------------------


def join_escaped(parts: Iterable[str], separator: str) -> str:
    """The parts in one cell, the separator and backslashes inside them escaped."""
    return separator.join(
        part.replace(ESCAPE, ESCAPE * 2).replace(separator, ESCAPE + separator) for part in parts
    )


def split_escaped(text: str, separator: str) -> list[str]:
    """The parts of a cell `join_escaped` wrote. A backslash makes the character after it
    plain; a backslash at the very end stays a backslash."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == ESCAPE:
            current.append(next(chars, ESCAPE))
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


# --- export -----------------------------------------------------------------------------


def group_path(directory: DirectorySnapshot, group_id: str) -> str:
    """The group's name path below the root (`Sales/Tier 2`); "" for the root itself."""
    names = [directory.groups[gid].name for gid in reversed(directory.ancestors(group_id)[:-1])]
    path = join_escaped(names, PATH_SEPARATOR)
    # A top-level group named like an id ("2024") would read back as that id.
    return PATH_SEPARATOR + path if _ID_CELL.fullmatch(path) else path


def find_group(directory: DirectorySnapshot, cell: str) -> str | None:
    """The group a cell names as `agentGroupId` does (an id, or a name path whose parts
    match ignoring case and surrounding blanks), if the directory has it."""
    text = cell.strip()
    if _ID_CELL.fullmatch(text):
        found = group_id(text)
        return found if found in directory.groups else None
    problems: list[FieldProblem] = []
    parts = _path(text, problems)
    if problems:
        return None  # an empty name: no group has it
    current = ROOT_GROUP_ID
    for part in parts:
        key = text_key(part)
        children = (g for g in directory.groups.values() if g.parent_id == current)
        found = next((g.id for g in children if text_key(g.name) == key), None)
        if found is None:
            return None
        current = found
    return current


def user_row(user: User, directory: DirectorySnapshot) -> list[str]:
    """The cells of a user, in COLUMNS' order."""
    return [
        str(user.id),
        user.login_name,
        user.full_name or "",
        user.nickname or "",
        user.employee_id or "",
        "true" if user.enabled else "false",
        "" if user.max_chats is None else str(user.max_chats),
        LIST_SEPARATOR.join(map(str, user.skill_ids)),
        group_path(directory, user.group_id),
        join_escaped((f"{source}={value}" for source, value in user.external_ids), LIST_SEPARATOR),
    ]


def write_users(users: Iterable[User], directory: DirectorySnapshot) -> str:
    """The CSV of these users (header first), as `read_users` reads it back."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(user_row(user, directory) for user in users)
    return text.getvalue()


# --- import -----------------------------------------------------------------------------


def read_users(lines: Iterable[str]) -> tuple[list[UserRow], list[RowProblem], int]:
    """Every row of a CSV text (header first; blank rows skipped): the users, every
    problem of every row, and how many rows there were besides the header."""
    reader = csv.reader(lines, strict=True)
    rows: list[UserRow] = []
    problems: list[RowProblem] = []
    count = 0
    try:
        header = next(reader, None)
        if header is None:
            return [], [RowProblem(1, "header", "the file is empty: " + _HEADER_HINT)], 0
        columns, problems = read_header(header)
        if problems:
            return [], problems, 0
        line = reader.line_num + 1  # where the next row starts (a cell may hold a newline)
        for cells in reader:
            if any(cell.strip() for cell in cells):
                count += 1
                row, found = read_user(line, columns, cells)
                problems.extend(found)
                if row is not None:
                    rows.append(row)
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, "row", f"not CSV ({exc})"))
    except UnicodeDecodeError:
        message = "not UTF-8 text (in a spreadsheet: save as CSV UTF-8)"
        problems.append(RowProblem(reader.line_num + 1, "row", message))
    return rows, problems, count


def read_header(cells: Sequence[str]) -> tuple[list[str | None], list[RowProblem]]:
    """Each cell's column (matched ignoring case and surrounding blanks; None for an
    empty header cell) and the header's problems."""
    known = {column.casefold(): column for column in COLUMNS}
    columns: list[str | None] = []
    problems: list[RowProblem] = []
    for cell in cells:
        name = cell.strip()
        column = known.get(name.casefold())
        if name and column is None:
            problems.append(
                RowProblem(1, name, f"is not a column; the columns are {', '.join(COLUMNS)}")
            )
        elif column is not None and column in columns:
            problems.append(RowProblem(1, column, "is a column twice"))
        columns.append(column)
    for column in REQUIRED:
        if column not in columns:
            problems.append(RowProblem(1, column, "the header must have this column"))
    return columns, problems


def read_user(
    line: int, columns: Sequence[str | None], cells: Sequence[str]
) -> tuple[UserRow | None, list[RowProblem]]:
    """One row under the header `read_header` read: the user, or its problems (every
    one, each naming its column)."""
    if len(cells) != len(columns):
        message = f"the row has {len(cells)} cells, the header {len(columns)}"
        return None, [RowProblem(line, "row", message)]
    given = {column: cell for column, cell in zip(columns, cells, strict=True) if column}
    raw, path, problems = _user_json(given)
    change, found = parse_user(raw, creating=True)
    problems.extend(found)
    if change is None or problems:
        named = [RowProblem(line, _column(p.field), p.message) for p in problems]
        return None, sorted(named, key=_column_order)  # as the row reads, left to right
    return UserRow(line, change.item, path, frozenset(given)), []


def _user_json(given: dict[str, str]) -> tuple[dict[str, Any], tuple[str, ...] | None, list[Any]]:
    """The JSON object the API would take for these cells, the group path if the group
    is named by one, and what the CSV spelling itself got wrong."""
    raw: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for column in ("id", "loginName", "fullName", "nickname", "employeeId"):
        cell = given.get(column, "")
        # An id is often padded by spreadsheets; a name's blanks are the API's to judge.
        raw[column] = (cell.strip() if column == "id" else cell) or None
    for column in ("isEnabled", "maxChats"):
        raw[column] = given.get(column, "").strip() or None
    skills = given.get("skillIds", "").strip()
    if skills:
        parts = [part.strip() for part in skills.split(LIST_SEPARATOR)]
        # Digits become numbers; anything else goes as it is, for the rule to name it.
        raw["skillIds"] = [int(p) if _DIGITS.fullmatch(p) else p for p in parts if p]
    raw["externalIds"] = _external_ids(given.get("externalIds", ""), problems)
    group = given.get("agentGroupId", "").strip()
    path: tuple[str, ...] | None = None
    if _ID_CELL.fullmatch(group):
        raw["memberOf"] = {"agentGroupId": group}
    elif group:
        path = _path(group, problems)
    return raw, path, problems


def _external_ids(cell: str, problems: list[FieldProblem]) -> dict[str, str] | None:
    if not cell.strip():
        return None
    pairs: dict[str, str] = {}
    for part in split_escaped(cell, LIST_SEPARATOR):
        if not part.strip():
            continue  # a trailing ";"
        source, equals, value = part.partition("=")
        source = source.strip()
        if not equals:
            message = f"{part[:70]!r} is not source=id (e.g. twilio=WK123;connect=arn:...)"
            problems.append(FieldProblem("externalIds", message))
        elif source in pairs:
            problems.append(FieldProblem("externalIds", f"{source!r} is given twice"))
        else:
            pairs[source] = value
    return pairs


def _path(cell: str, problems: list[FieldProblem]) -> tuple[str, ...]:
    """A group's name path below the root: parts without their surrounding blanks; a
    leading "/" (the root) may be written or not, and "/" alone is the root."""
    text = cell[1:] if cell.startswith(PATH_SEPARATOR) else cell
    if not text:
        return ()  # "/": the root itself
    parts = tuple(part.strip() for part in split_escaped(text, PATH_SEPARATOR))
    if not all(parts):
        message = f"{cell[:120]!r} has an empty group name (write a name between each '/')"
        problems.append(FieldProblem("agentGroupId", message))
    return parts


def _column_order(problem: RowProblem) -> int:
    name = re.split(r"[ .]", problem.field, maxsplit=1)[0]
    return COLUMNS.index(name) if name in COLUMNS else len(COLUMNS)


def _column(field: str) -> str:
    """A field of the API's rules as the CSV calls it."""
    if field == "memberOf.agentGroupId":
        return "agentGroupId"
    if match := re.fullmatch(r"skillIds\[(\d+)\]", field):
        return f"skillIds (item {int(match[1]) + 1})"
    return field
