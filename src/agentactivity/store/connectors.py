"""What the connectors keep in the store (SPEC section 10), written once for both
backends: each account's settings of each connector (`connector_settings`, one JSON
object per connector), and the identity map from a platform's agent ids to ours.

The identity map is the directory's `externalIds` (`user_external_ids`, whose primary
key names each (source, id) once per account). An agent seen for the first time becomes
a user, in a transaction that first locks the account's directory row, as every change
of users does (store/users.py): two first sightings of one agent, in two processes at
once, are serialised there, and the second finds the user the first created.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from agentactivity.clock import now_ms, rfc3339
from agentactivity.configuration import text_key
from agentactivity.directory import User
from agentactivity.directory_items import MAX_NAME_CHARS
from agentactivity.platforms.sightings import Sighting
from agentactivity.store.adapter import Adapter, Sql
from agentactivity.store.collections import DIRECTORY_COLLECTIONS
from agentactivity.store.users import insert_users

ExternalKey = tuple[str, str]  # (source, external id)


class Connectors:
    """Every account's connector settings and identity map (`store.connectors`)."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter

    # --- settings ----------------------------------------------------------------------

    def settings(self, account_id: str, connector: str) -> dict[str, Any] | None:
        with self._adapter.read() as sql:
            rows = sql(
                "SELECT settings FROM connector_settings WHERE account_id = ? AND connector = ?",
                (account_id, connector),
            )
        return orjson.loads(rows[0][0]) if rows else None

    def save_settings(self, account_id: str, connector: str, settings: dict[str, Any]) -> None:
        text = orjson.dumps(settings).decode()
        with self._adapter.transaction() as sql:
            sql(
                "INSERT INTO connector_settings (account_id, connector, settings, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (account_id, connector) DO UPDATE SET "
                "settings = excluded.settings, updated_at = excluded.updated_at",
                (account_id, connector, text, now_ms()),
            )

    # --- the identity map --------------------------------------------------------------

    def known_agents(self, account_id: str, keys: Sequence[ExternalKey]) -> dict[ExternalKey, int]:
        """The agent ids of those platform ids that have a user (deleted or not)."""
        with self._adapter.read() as sql:
            return _known(sql, account_id, keys)

    def adopt(self, account_id: str, sightings: Sequence[Sighting]) -> dict[ExternalKey, int]:
        """The agent id of every sighting, adding a user for each platform id no user
        has: the next free id (above every user's and every agent's with events), the
        platform's login name (made unique among users not deleted), its full name."""
        with self._adapter.transaction() as sql:
            revision, _, _ = DIRECTORY_COLLECTIONS.lock(sql, account_id)
            wanted = {(s.source, s.external_id): s for s in sightings}
            found = _known(sql, account_id, list(wanted))
            new = [sighting for key, sighting in wanted.items() if key not in found]
            if not new:
                return found
            next_id = _next_free_id(sql, account_id)
            taken = {
                key
                for (key,) in sql(
                    "SELECT login_key FROM users WHERE account_id = ? AND deleted = ?",
                    (account_id, False),
                )
            }
            now = now_ms()
            users = []
            for offset, sighting in enumerate(new):
                login = _free_login(sighting, taken)
                taken.add(text_key(login))
                users.append(
                    User(
                        id=next_id + offset,
                        login_name=login,
                        full_name=sighting.full_name.strip()[:MAX_NAME_CHARS] or None,
                        external_ids=((sighting.source, sighting.external_id),),
                        assignment_date=rfc3339(now),
                    )
                )
                found[(sighting.source, sighting.external_id)] = next_id + offset
            insert_users(sql, account_id, users, now)
            DIRECTORY_COLLECTIONS.set(sql, account_id, users_revision=revision + 1)
        return found


def _known(sql: Sql, account_id: str, keys: Sequence[ExternalKey]) -> dict[ExternalKey, int]:
    wanted = set(keys)
    rows = sql.where_in(
        "SELECT source, external_id, user_id FROM user_external_ids WHERE account_id = ?",
        (account_id,),
        "external_id",
        sorted({external_id for _, external_id in wanted}),
    )
    return {
        (source, external_id): int(user_id)
        for source, external_id, user_id in rows
        if (source, external_id) in wanted
    }


def _next_free_id(sql: Sql, account_id: str) -> int:
    """One above every id a user has, or an agent with events has: a new agent never
    inherits another's history."""
    ((users,),) = sql("SELECT MAX(id) FROM users WHERE account_id = ?", (account_id,))
    ((agents,),) = sql("SELECT MAX(agent_id) FROM agents WHERE account_id = ?", (account_id,))
    return max(int(users or 0), int(agents or 0)) + 1


def _free_login(sighting: Sighting, taken: set[str]) -> str:
    """The platform's login name, else (taken by another user, or empty) the same with
    the platform's id after it, which no other user can have."""
    login = sighting.login_name.strip()[:MAX_NAME_CHARS]
    if login and text_key(login) not in taken:
        return login
    qualified = f"{login} ({sighting.source} {sighting.external_id})".strip()
    return qualified if len(qualified) <= MAX_NAME_CHARS else sighting.external_id[-MAX_NAME_CHARS:]
