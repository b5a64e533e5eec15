"""`GET /api/account/{accountId}/agents/state/stream`: Server-Sent Events of agent state.

A stream opens with a `retry:` hint, then a snapshot (the current-state listing) unless
it resumes after `Last-Event-ID`, then one `event: agent` per change the service's
change feed publishes (see feed.py), and a `: keep-alive` comment after every
`stream_heartbeat_seconds` of silence. While it is open it polls the store (shared with
the other streams of the account) for events other processes stored and for
future-dated events coming due. Streams are counted per account (past the limit: 429)
and all of them end when the server shuts down.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from agentactivity.api.common import Authenticator, Handlers, account_in_path
from agentactivity.api.errors import ApiError
from agentactivity.api.params import known_groups, parse_agent_ids, parse_group_ids, single_values
from agentactivity.feed import Change, FeedStart
from agentactivity.service import ActivityService

RETRY_MS = 3000
KEEP_ALIVE = b": keep-alive\n\n"
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
MAX_SEQUENCE = 2**63 - 1
SHUTDOWN_CHECK_SECONDS = 0.5
# How often an open stream asks whether its request may still read the account (a
# dashboard token can be revoked or expire while its stream is open).
RECHECK_SECONDS = 5.0


class StreamHub:
    """Open streams per account (bounded) and the signal that ends them all."""

    def __init__(self, max_per_account: int) -> None:
        self.max_per_account = max_per_account
        self.closing = False
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, account_id: str) -> bool:
        with self._lock:
            if self.closing or self._open.get(account_id, 0) >= self.max_per_account:
                return False
            self._open[account_id] = self._open.get(account_id, 0) + 1
            return True

    def release(self, account_id: str) -> None:
        with self._lock:
            self._open[account_id] -= 1

    def open_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._open)

    def close_all(self) -> None:
        """End every open stream (server shutdown) and refuse new ones. Only sets a flag
        (safe in a signal handler): each stream checks it at least every
        SHUTDOWN_CHECK_SECONDS."""
        self.closing = True


def _sequence(raw: str, name: str) -> int:
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text.lstrip("0")) > 19:
        raise ApiError(400, f"{name} must be an event sequence (a whole number), got {raw!r}")
    value = int(text)
    if value > MAX_SEQUENCE:
        raise ApiError(400, f"{name} must be at most {MAX_SEQUENCE}, got {raw!r}")
    return value


@dataclass
class Selection:
    """Whose changes a stream sends: `agent_ids` and `group_ids` as asked, `selected`
    the agents they stand for (None: all) as of the directory at `revision`."""

    agent_ids: tuple[int, ...] | None
    group_ids: tuple[str, ...] | None
    selected: tuple[int, ...] | None = None
    revision: tuple[int, int] | None = None
    wanted: frozenset[int] | None = None  # `selected` as a set, for filtering changes

    def select(self, selected: tuple[int, ...] | None, revision: tuple[int, int]) -> None:
        self.selected, self.revision = selected, revision
        self.wanted = None if selected is None else frozenset(selected)


def parse_stream_request(request: Request, max_agent_ids: int) -> tuple[Selection, int | None]:
    """(the agents asked for, the sequence to resume after or None). Parameters other
    than `agentIds`, `agentGroupIds` and `lastEventId` are ignored (e.g. a browser's
    token)."""
    given = single_values(request.query_params, ("agentIds", "agentGroupIds", "lastEventId"))
    raw = {name: value for name, value in given.items() if value.strip()}
    try:
        agent_ids = parse_agent_ids(raw.get("agentIds", "all"), max_agent_ids)
        group_ids = parse_group_ids(raw.get("agentGroupIds"), max_agent_ids)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    asked = Selection(agent_ids, group_ids)
    # The header wins: a browser reconnecting sends the newest id there, while the URL
    # keeps the one it was first opened with.
    header = request.headers.get("last-event-id", "")
    if header.strip():
        return asked, _sequence(header, "Last-Event-ID")
    if "lastEventId" in raw:
        return asked, _sequence(raw["lastEventId"], "lastEventId")
    return asked, None


def _frame(event: str, event_id: int, data: bytes) -> bytes:
    return b"event: %s\nid: %d\ndata: %s\n\n" % (event.encode(), event_id, data)


def change_frame(change: Change) -> bytes:
    return _frame(
        "agent", change.id, orjson.dumps({**change.state, "agentId": str(change.agent_id)})
    )


def snapshot_frame(start: FeedStart) -> bytes:
    return _frame("snapshot", start.snapshot_id, orjson.dumps(start.snapshot))


class EventStreamResponse(StreamingResponse):
    """A streaming response that runs `on_close` however it ends (also when the client
    went away before the first byte, when the body iterator never starts)."""

    def __init__(self, content: AsyncIterator[bytes], on_close: Callable[[], None]) -> None:
        super().__init__(content, media_type="text/event-stream", headers=HEADERS)
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.on_close()


class StreamHandler(Handlers):
    def __init__(self, service: ActivityService, auth: Authenticator, hub: StreamHub) -> None:
        super().__init__(service, auth)
        self.hub = hub

    async def handle(self, request: Request) -> Response:
        account_id = account_in_path(request)
        settings = self.service.settings

        def prepare() -> tuple[Selection, FeedStart | None]:
            credentials = self.auth.authenticate(request, b"", account_id, "read")
            asked, last_event_id = parse_stream_request(request, settings.max_agent_ids)
            asked.group_ids = self.within_team(
                credentials, account_id, asked.agent_ids, asked.group_ids
            )
            with known_groups():
                asked.select(
                    *self.service.select_agents(account_id, asked.agent_ids, asked.group_ids)
                )
            if request.method == "HEAD":
                return asked, None
            if not self.hub.acquire(account_id):
                raise ApiError(
                    429 if not self.hub.closing else 503,
                    f"the account has {settings.max_streams_per_account} streams open, the "
                    "most allowed; close one or retry later"
                    if not self.hub.closing
                    else "the server is shutting down; reconnect",
                    headers={"Retry-After": "1"},
                )
            try:
                start = self.service.live.open_feed(account_id, last_event_id, asked.selected)
                return asked, start
            except BaseException:
                self.hub.release(account_id)
                raise

        asked, start = await run_in_threadpool(prepare)
        if start is None:  # HEAD: the headers of the stream, no body
            return Response(b"", media_type="text/event-stream", headers=HEADERS)
        events = self._events(account_id, asked, start, request)
        return EventStreamResponse(events, lambda: self.hub.release(account_id))

    async def _regrouped(self, account_id: str, asked: Selection) -> bool:
        """Whether the agents of a stream asking for agent groups changed with the
        directory (members moved, groups re-parented or deleted); `asked` is updated."""
        if asked.group_ids is None:
            return False
        if self.service.live.feed_directory_revision(account_id) == asked.revision:
            return False
        # A group deleted since the stream opened selects nobody (no 400 mid-stream).
        before = asked.selected
        asked.select(
            *await run_in_threadpool(
                self.service.select_agents, account_id, asked.agent_ids, asked.group_ids, False
            )
        )
        return asked.selected != before

    async def _events(
        self, account_id: str, asked: Selection, start: FeedStart, request: Request
    ) -> AsyncIterator[bytes]:
        service, feed, settings = self.service, self.service.live.feed, self.service.settings
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()

        def wake() -> None:
            try:
                loop.call_soon_threadsafe(woken.set)
            except RuntimeError:  # the loop is closed: this stream is over anyway
                pass

        feed.listen(account_id, wake)
        try:
            head = b"retry: %d\n\n" % RETRY_MS
            yield head + snapshot_frame(start) if start.snapshot is not None else head
            cursor = start.cursor
            last_write = last_check = time.monotonic()
            while not self.hub.closing:
                if time.monotonic() - last_check >= RECHECK_SECONDS:
                    still = self.auth.still_authorized
                    if not await run_in_threadpool(still, request, account_id):
                        return  # the client reconnects and is told why (401)
                    last_check = time.monotonic()
                woken.clear()
                # Other agents now: a new snapshot of them replaces what the client has.
                regrouped = await self._regrouped(account_id, asked)
                read = None if regrouped else feed.read(account_id, cursor)
                if read is None:  # fell behind the log (or regrouped): start over
                    start = await run_in_threadpool(
                        service.live.open_feed, account_id, None, asked.selected
                    )
                    cursor = start.cursor
                    chunk = snapshot_frame(start)
                else:
                    changes, cursor = read
                    wanted = asked.wanted
                    chunk = b"".join(
                        change_frame(c) for c in changes if wanted is None or c.agent_id in wanted
                    )
                elapsed = time.monotonic() - last_write
                if not chunk and elapsed >= settings.stream_heartbeat_seconds:
                    chunk = KEEP_ALIVE
                if chunk:
                    yield chunk
                    last_write, elapsed = time.monotonic(), 0.0
                await self._wait(account_id, woken, settings.stream_heartbeat_seconds - elapsed)
        finally:
            feed.unlisten(account_id, wake)

    async def _wait(self, account_id: str, woken: asyncio.Event, heartbeat_in: float) -> None:
        """Until a change is published, the next poll, a due future-dated event or the
        next heartbeat; then poll the store if it is this stream's turn."""
        service, settings = self.service, self.service.settings
        timeout = min(settings.stream_poll_seconds, SHUTDOWN_CHECK_SECONDS, max(heartbeat_in, 0.0))
        due = service.live.feed.next_due(account_id)
        if due is not None:
            timeout = min(timeout, max(due - service.clock(), 0) / 1000)
        try:
            await asyncio.wait_for(woken.wait(), timeout)
        except TimeoutError:
            pass
        if self.hub.closing:
            return
        due = service.live.feed.next_due(account_id)
        now = time.monotonic()
        if service.live.feed.claim_poll(account_id, now, settings.stream_poll_seconds) or (
            due is not None and due <= service.clock()
        ):
            await run_in_threadpool(service.live.sync_feed, account_id)
