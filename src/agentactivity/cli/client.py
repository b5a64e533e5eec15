"""A signed HTTP client for the service, from a credentials file (`keys create` output)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from requests_oauthlib import OAuth1

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
