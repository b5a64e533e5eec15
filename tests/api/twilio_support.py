"""Posting TaskRouter callbacks as Twilio does: form-encoded, signed with the account's
auth token over the URL Twilio called (shared by the Twilio connector's HTTP tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.testclient import TestClient

from agentactivity.platforms.twilio import CONNECTOR, TwilioSettings
from agentactivity.platforms.twilio_signature import signature
from agentactivity.service import ActivityService
from agentactivity.service.connectors import ConnectorIngest
from tests.api.conftest import BASE_URL

FORM = "application/x-www-form-urlencoded"


def callback_path(account: str) -> str:
    return f"/api/account/{account}/connectors/twilio"


def set_up(service: ActivityService, account: str, token: str, **options: Any) -> None:
    """What `agentactivity connectors twilio --account ... --auth-token ...` saves."""
    settings = TwilioSettings(auth_token=token, **options)
    ConnectorIngest(service).save_settings(account, CONNECTOR, settings.to_json())


def post_callback(
    client: TestClient,
    account: str,
    fields: Mapping[str, str],
    token: str,
    signed_url: str | None = None,
    sign_fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """POST `fields` form-encoded, signed with `token` over `signed_url` (default: the
    URL posted to) and `sign_fields` (default: the fields sent)."""
    path = callback_path(account)
    url = signed_url or BASE_URL + path
    signed = signature(token, url, list((sign_fields or fields).items()))
    all_headers = {"Content-Type": FORM, "X-Twilio-Signature": signed, **(headers or {})}
    return client.post(path, content=urlencode(dict(fields)), headers=all_headers)


def assert_no_content(answer: Any) -> None:
    """TaskRouter's documented answer: 204, Content-Type application/json, no body."""
    assert answer.status_code == 204, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == b""
