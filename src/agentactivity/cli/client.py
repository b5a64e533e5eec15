"""A signed HTTP client for the service, from a credentials file (`keys create` output)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from requests_oauthlib import OAuth1

from agentactivity.api.paths import AGENT_GROUPS_PATH, USERS_PATH
from agentactivity.directory import ROOT_GROUP_ID, AgentGroup, User

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


class ClientError(RuntimeError):
    """The server could not be reached or refused the request; the message says why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ClientCredentials:
    account_id: str
    app_key: str
    app_secret: str
    access_token: str
    access_token_secret: str
    base_url: str

    @classmethod
    def load(cls, path: Path, base_url: str | None = None) -> ClientCredentials:
        try:
            data = json.loads(path.read_text())
            return cls(
                account_id=str(data["accountId"]),
                app_key=data["appKey"],
                app_secret=data["appSecret"],
                access_token=data["accessToken"],
                access_token_secret=data["accessTokenSecret"],
                base_url=(base_url or data.get("baseUrl") or DEFAULT_BASE_URL).rstrip("/"),
            )
        except FileNotFoundError as exc:
            raise ClientError(
                f"no credentials file {path}: create one with "
                "`agentactivity keys create --account ID > creds.json`"
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ClientError(
                f"{path} is not a credentials file (the JSON `keys create` prints): {exc}"
            ) from exc


class Client:
    def __init__(self, credentials: ClientCredentials, timeout: float = 30.0) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self._session = requests.Session()
        self._session.auth = OAuth1(
            credentials.app_key,
            credentials.app_secret,
            credentials.access_token,
            credentials.access_token_secret,
        )

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.credentials.base_url + path
        try:
            response = self._session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ClientError(
                f"cannot reach {url}: {exc}. Is `agentactivity serve` running?"
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            message = body.get("message") if isinstance(body, dict) else response.text[:200]
            raise ClientError(
                f"{response.status_code} from {method} {path}: {message}", response.status_code
            )
        return body

    def agent_activity(self, **params: Any) -> Any:
        path = f"/operations/api/account/{self.credentials.account_id}/agentactivity"
        return self._request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post_events(self, events: list[dict[str, Any]]) -> dict[str, int]:
        path = f"/api/account/{self.credentials.account_id}/events"
        return self._request("POST", path, json=events)

    def users(self) -> list[User]:
        """The account's users (scope read): what the tables need of them."""
        path = USERS_PATH.format(accountId=self.credentials.account_id)
        return [_user(item) for item in self._request("GET", path)]

    def agent_groups(self) -> list[AgentGroup]:
        """The account's agent groups (scope read), the root first."""
        path = AGENT_GROUPS_PATH.format(accountId=self.credentials.account_id)
        return [_group(item) for item in self._request("GET", path)]


def _user(item: dict[str, Any]) -> User:
    """A user of the listing (directory_items.user_json wrote it), its names and group."""
    member_of = item.get("memberOf") or {}
    return User(
        int(item["id"]),
        item["loginName"],
        full_name=item.get("fullName"),
        nickname=item.get("nickname"),
        employee_id=item.get("employeeId"),
        group_id=str(member_of.get("agentGroupId") or ROOT_GROUP_ID),
    )


def _group(item: dict[str, Any]) -> AgentGroup:
    parent = item.get("parentGroupId")
    return AgentGroup(str(item["id"]), item["name"], None if parent is None else str(parent))
