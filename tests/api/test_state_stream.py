"""`GET /api/account/{accountId}/agents/state/stream` in process: its refusals through the
test client, and the stream itself driven over raw ASGI (the test client would wait for
an endless body), with the service's fake clock."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from oauthlib.oauth1 import Client as OAuthSigner
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agentactivity.api.app import create_app
from agentactivity.credentials import Credentials
from agentactivity.events import TimeBounds, parse_batch
from agentactivity.service import ActivityService
from agentactivity.settings import Settings, SettingsError
from tests.api.conftest import BASE_URL, assert_error, client_for, ingest, state
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock, OAuth1Auth, make_credentials

STREAM = f"/api/account/{ACCOUNT}/agents/state/stream"


# --- refusals ---------------------------------------------------------------------------------


def test_unsigned_and_foreign_and_unscoped_requests_are_refused(
    client: TestClient, service: ActivityService
) -> None:
    client.auth = None
    assert_error(client.get(STREAM), 401)
    other = make_credentials(service, OTHER_ACCOUNT, ("read",))
    with client_for(service, other) as foreign:
        assert_error(foreign.get(STREAM), 403)
    writer = make_credentials(service, ACCOUNT, ("ingest",))
    with client_for(service, writer) as unscoped:
        assert_error(unscoped.get(STREAM), 403, "read")
    assert_error(client.get("/api/account/no%20such/agents/state/stream"), 404)


@pytest.mark.parametrize(
    ("params", "headers", "names"),
    [
        ({"agentIds": "1,x"}, {}, ["agentIds"]),
        ({"agentIds": "1,,2"}, {}, ["agentIds"]),
        ({"lastEventId": "-1"}, {}, ["lastEventId"]),
        ({"lastEventId": "1.5"}, {}, ["lastEventId"]),
        ({"lastEventId": "9" * 30}, {}, ["lastEventId"]),
        ({}, {"Last-Event-ID": "abc"}, ["Last-Event-ID"]),
        ({}, {"Last-Event-ID": "99999999999999999999"}, ["Last-Event-ID"]),
    ],
)
def test_bad_parameters_are_refused_naming_them(
    client: TestClient, params: dict[str, str], headers: dict[str, str], names: list[str]
) -> None:
    assert_error(client.get(STREAM, params=params, headers=headers), 400, *names)


def test_a_parameter_given_twice_is_refused(client: TestClient) -> None:
    assert_error(client.get(STREAM + "?agentIds=1&agentIds=2"), 400, "agentIds", "2 times")


def test_past_the_limit_of_open_streams_429_with_retry_after(
    service: ActivityService, credentials: Credentials
) -> None:
    service.settings = dataclasses.replace(service.settings, max_streams_per_account=2)
    app = create_app(service)
    with TestClient(app, base_url=BASE_URL) as test_client:
        test_client.auth = OAuth1Auth(credentials)
        hub = app.state.streams
        assert hub.acquire(ACCOUNT) and hub.acquire(ACCOUNT)  # two streams open
        answer = test_client.get(STREAM)
        assert answer.status_code == 429, answer.text
        assert answer.headers["retry-after"] == "1"
        body = answer.json()
        assert body["status"] == 429 and body["error"] == "Too Many Requests"
        assert "2 streams open" in body["message"]
        # Another account's streams are counted apart.
        assert hub.acquire(OTHER_ACCOUNT)
        hub.release(ACCOUNT)
        assert hub.open_counts() == {ACCOUNT: 1, OTHER_ACCOUNT: 1}


def test_head_answers_the_stream_headers_without_opening_one(client: TestClient) -> None:
    answer = client.head(STREAM)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert client.app.state.streams.open_counts() == {}  # type: ignore[attr-defined]


# --- the stream itself, over raw ASGI -----------------------------------------------------------


def _signed_headers(credentials: Credentials, url: str, extra: dict[str, str]) -> list[Any]:
    signer = OAuthSigner(
        credentials.app_key,
        client_secret=credentials.app_secret,
        resource_owner_key=credentials.access_token,
        resource_owner_secret=credentials.access_token_secret,
    )
    _, headers, _ = signer.sign(url, "GET")
    pairs = {"host": "127.0.0.1:8080", "authorization": headers["Authorization"], **extra}
    return [(k.lower().encode(), v.encode()) for k, v in pairs.items()]


class AsgiStream:
    """One GET of the stream through the app's ASGI interface, read as it arrives."""

    def __init__(
        self,
        app: Starlette,
        credentials: Credentials,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        query = urlencode(params or {})
        url = f"{BASE_URL}{STREAM}" + (f"?{query}" if query else "")
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": STREAM,
            "raw_path": STREAM.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": _signed_headers(credentials, url, headers or {}),
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
        }
        self.app = app
        self.status = 0
        self.body = b""
        self.arrived = asyncio.Event()
        self.gone = asyncio.Event()
        self.request_sent = False

    async def _receive(self) -> dict[str, Any]:
        if not self.request_sent:
            self.request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        else:
            self.body += message.get("body", b"")
        self.arrived.set()

    def start(self) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(
            self.app(self.scope, self._receive, self._send)
        )

    async def until(self, predicate: Any, timeout: float = 10.0) -> None:
        async def wait() -> None:
            while not predicate(self.body):
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(wait(), timeout)

    def messages(self) -> list[dict[str, str]]:
        """The SSE messages received (comments and retry lines included as fields)."""
        parsed = []
        for block in self.body.decode().split("\n\n"):
            if not block:
                continue
            fields: dict[str, str] = {}
            for line in block.split("\n"):
                name, _, value = line.partition(":")
                fields[name or "comment"] = value.lstrip(" ")
            parsed.append(fields)
        return parsed


def _events(stream: AsgiStream, kind: str) -> list[dict[str, str]]:
    return [m for m in stream.messages() if m.get("event") == kind]


def test_snapshot_then_changes_then_disconnect_releases_the_slot(
    client: TestClient, service: ActivityService, credentials: Credentials, clock: FakeClock
) -> None:
    ingest(client, [state(1, clock.now - 1000, "ONLINE")])
    app = create_app(service)

    async def scenario() -> None:
        stream = AsgiStream(app, credentials, {"access_token": "ignored"})
        task = stream.start()
        await stream.until(lambda body: b"event: snapshot" in body)
        assert stream.status == 200
        assert stream.body.startswith(b"retry: ")
        assert app.state.streams.open_counts() == {ACCOUNT: 1}
        (snapshot,) = _events(stream, "snapshot")
        assert snapshot["id"] == "1"
        assert orjson.loads(snapshot["data"]) == service.live.current_state(
            ACCOUNT, None, clock.now
        )

        await asyncio.to_thread(
            client.post,
            f"/api/account/{ACCOUNT}/events",
            json=[state(1, clock.now, "AWAY", "lunch"), state(2, clock.now, "ONLINE")],
        )
        await stream.until(lambda body: body.count(b"event: agent") == 2)
        agents = _events(stream, "agent")
        assert [m["id"] for m in agents] == ["2", "3"]
        listing = service.live.current_state(ACCOUNT, None, clock.now)["agents"]
        for message in agents:
            data = orjson.loads(message["data"])
            agent_id = data.pop("agentId")
            assert data == listing[agent_id]

        stream.gone.set()
        await asyncio.wait_for(task, 5)
        assert app.state.streams.open_counts() == {ACCOUNT: 0}

    asyncio.run(scenario())


def test_resume_filter_and_shutdown(
    client: TestClient, service: ActivityService, credentials: Credentials, clock: FakeClock
) -> None:
    app = create_app(service)
    first = orjson.loads(client.get(STREAM.replace("/stream", ""), params={"agentIds": "all"}).text)
    assert first["agents"] == {}

    async def scenario() -> None:
        opener = AsgiStream(app, credentials)
        opener_task = opener.start()  # the account's first stream: the log starts here
        await opener.until(lambda body: b"event: snapshot" in body)
        for i, name in enumerate(["ONLINE", "AWAY", "BACK_SOON"]):
            await asyncio.to_thread(ingest, client, [state(5 + i % 2, clock.now - 10 + i, name)])
        # Resumes after sequence 1 (query parameter): the changes of 2 and 3, of agent 5 only.
        resumed = AsgiStream(app, credentials, {"lastEventId": "1", "agentIds": "5"})
        task = resumed.start()
        await resumed.until(lambda body: b"id: 3" in body)
        assert _events(resumed, "snapshot") == []
        assert [m["id"] for m in _events(resumed, "agent")] == ["3"]
        # The header wins over the query parameter.
        by_header = AsgiStream(app, credentials, {"lastEventId": "0"}, {"Last-Event-ID": "2"})
        header_task = by_header.start()
        await by_header.until(lambda body: b"id: 3" in body)
        assert [m["id"] for m in _events(by_header, "agent")] == ["3"]

        app.state.streams.close_all()
        await asyncio.wait_for(asyncio.gather(task, header_task, opener_task), 5)
        assert app.state.streams.open_counts() == {ACCOUNT: 0}

    asyncio.run(scenario())
    # Shutting down: new streams are refused.
    with TestClient(app, base_url=BASE_URL) as same_app:
        same_app.auth = client.auth
        answer = same_app.get(STREAM)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "1", answer.text
    assert "shutting down" in answer.json()["message"]


def test_a_future_dated_event_reaches_the_stream_when_it_takes_effect(
    client: TestClient, service: ActivityService, credentials: Credentials, clock: FakeClock
) -> None:
    service.settings = dataclasses.replace(service.settings, stream_poll_seconds=0.05)
    app = create_app(service)

    async def scenario() -> None:
        stream = AsgiStream(app, credentials)
        task = stream.start()
        await stream.until(lambda body: b"event: snapshot" in body)
        await asyncio.to_thread(ingest, client, [state(9, clock.now + 20_000, "ONLINE")])
        await asyncio.sleep(0.3)  # several polls: nothing is due yet
        assert _events(stream, "agent") == []
        clock.now += 20_000
        await stream.until(lambda body: b"event: agent" in body)
        (change,) = _events(stream, "agent")
        assert change["id"] == "1"
        assert orjson.loads(change["data"])["since"] == clock.now
        stream.gone.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())


def test_keep_alive_after_silence(
    service: ActivityService, credentials: Credentials, clock: FakeClock
) -> None:
    service.settings = dataclasses.replace(service.settings, stream_heartbeat_seconds=0.1)
    app = create_app(service)

    async def scenario() -> None:
        stream = AsgiStream(app, credentials)
        task = stream.start()
        await stream.until(lambda body: body.count(b": keep-alive\n\n") >= 2)
        stream.gone.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())


def test_a_reader_behind_the_log_gets_a_new_snapshot(
    make_service: Callable[..., ActivityService], service: ActivityService, clock: FakeClock
) -> None:
    service = make_service(service, stream_log_size=2)
    credentials = make_credentials(service, ACCOUNT, ("read",))
    app = create_app(service)
    bounds = TimeBounds.around(clock.now, service.settings.retention_ms)

    async def scenario() -> None:
        stream = AsgiStream(app, credentials)
        task = stream.start()
        await stream.until(lambda body: b"event: snapshot" in body)
        # Five changes while the stream cannot run (this blocks its event loop): the
        # log keeps two, so the stream has missed some and starts over.
        for i in range(5):
            events, _ = parse_batch([state(i + 1, clock.now - 10, "ONLINE")], bounds)
            service.ingest(ACCOUNT, events)
        await stream.until(lambda body: body.count(b"event: snapshot") == 2)
        snapshots = _events(stream, "snapshot")
        assert _events(stream, "agent") == []
        assert snapshots[1]["id"] == "5"
        assert orjson.loads(snapshots[1]["data"]) == service.live.current_state(
            ACCOUNT, None, clock.now
        )
        stream.gone.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())


# --- settings ---------------------------------------------------------------------------------


def test_stream_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTACTIVITY_MAX_STREAMS_PER_ACCOUNT", "4")
    monkeypatch.setenv("AGENTACTIVITY_STREAM_HEARTBEAT_SECONDS", "2.5")
    monkeypatch.setenv("AGENTACTIVITY_STREAM_POLL_SECONDS", "0.1")
    monkeypatch.setenv("AGENTACTIVITY_STREAM_LOG_SIZE", "50")
    settings = Settings.from_env()
    assert (
        settings.max_streams_per_account,
        settings.stream_heartbeat_seconds,
        settings.stream_poll_seconds,
        settings.stream_log_size,
    ) == (4, 2.5, 0.1, 50)


@pytest.mark.parametrize(
    ("var", "value", "name"),
    [
        ("AGENTACTIVITY_MAX_STREAMS_PER_ACCOUNT", "0", "max_streams_per_account"),
        ("AGENTACTIVITY_STREAM_LOG_SIZE", "0", "stream_log_size"),
        ("AGENTACTIVITY_STREAM_HEARTBEAT_SECONDS", "0", "stream_heartbeat_seconds"),
        ("AGENTACTIVITY_STREAM_POLL_SECONDS", "-1", "stream_poll_seconds"),
        ("AGENTACTIVITY_STREAM_POLL_SECONDS", "7200", "stream_poll_seconds"),
        ("AGENTACTIVITY_STREAM_LOG_SIZE", "many", "AGENTACTIVITY_STREAM_LOG_SIZE"),
    ],
)
def test_bad_stream_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, name: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=name):
        Settings.from_env()
