"""API credentials: an OAuth 1.0a app key and access token bound to one account."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

# read: queries and reading configuration; ingest: events; admin: changing configuration
# (status reasons). Keys get DEFAULT_SCOPES unless asked: admin only when asked for.
SCOPES = ("read", "ingest", "admin")
DEFAULT_SCOPES = ("read", "ingest")


@dataclass(frozen=True, slots=True)
class Credentials:
    account_id: str
    app_key: str
    app_secret: str
    access_token: str
    access_token_secret: str
    scopes: tuple[str, ...]
    # A team link's group: the holder reads only its members and its descendants'
    # members (api/team.py). None: the whole account (every OAuth key).
    team: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "accountId": self.account_id,
            "appKey": self.app_key,
            "appSecret": self.app_secret,
            "accessToken": self.access_token,
            "accessTokenSecret": self.access_token_secret,
            "scopes": list(self.scopes),
        }


def credentials_from_row(row: tuple[str, str, str, str, str, str]) -> Credentials:
    """From a stored row: account_id, app_key, app_secret, access_token,
    access_token_secret, and the scopes joined with commas."""
    return Credentials(row[0], row[1], row[2], row[3], row[4], tuple(row[5].split(",")))


def new_credentials(account_id: str, scopes: tuple[str, ...]) -> Credentials:
    """Fresh random keys. Keys and tokens are 30 hex characters; secrets 40."""
    return Credentials(
        account_id=account_id,
        app_key=secrets.token_hex(15),
        app_secret=secrets.token_hex(20),
        access_token=secrets.token_hex(15),
        access_token_secret=secrets.token_hex(20),
        scopes=scopes,
    )
