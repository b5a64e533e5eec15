"""The webhook connectors as an operator sets them up: `connectors twilio` and
`connectors amazon-connect` on the database, a real `serve`, a TaskRouter callback
signed as Twilio signs it and a Firehose delivery as Firehose sends it; then the Agent
Activity answer equals that of the same events posted as our own, and the agents are in
the directory with the platforms' names."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from tests.e2e.conftest import (
    Server,
    activity_url,
    create_keys,
    events_url,
    now_ms,
    oauth,
    run_cli,
    sqlite_url,
)

ACCOUNT = "24681357"
MIRROR = "13572468"  # the same day written as our own events
TOKEN = "the-twilio-auth-token"
MINUTE = 60_000
ARN = "arn:aws:connect:us-west-2:012345678901:instance/abc/agent/agent-1"


def twilio_signature(url: str, fields: dict[str, str]) -> str:
    """As Twilio's documentation says: the URL, then each field's name and value sorted
    by name, HMAC-SHA1 keyed with the auth token, base64."""
    text = url + "".join(name + fields[name] for name in sorted(fields))
    digest = hmac.new(TOKEN.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def activity(sid: str, at: int, name: str) -> dict[str, str]:
    return {
        "EventType": "worker.activity.update",
        "Sid": sid,
        "TimestampMs": str(at),
        "WorkerSid": "WK0001",
        "WorkerName": "maria",
        "WorkerActivityName": name,
        "WorkerAttributes": json.dumps({"full_name": "Maria Lopez"}),
        "AccountSid": "AC0001",
        "WorkspaceSid": "WS0001",
    }


def iso(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def connect_event(event_id: str, kind: str, at: int, status: str, since: int) -> dict[str, Any]:
    snapshot = {
        "AgentStatus": {
            "ARN": f"{ARN}/status/{status}",
            "Name": status,
            "StartTimestamp": iso(since),
        },
        "Configuration": {
            "Username": "kenji",
            "FirstName": "Kenji",
            "LastName": "Sato",
            "RoutingProfile": {
                "ARN": f"{ARN}/profile",
                "Name": "Chat",
                "Concurrency": [{"Channel": "CHAT", "MaximumSlots": 2, "AvailableSlots": 2}],
            },
        },
        "Contacts": [],
    }
    event = {
        "AWSAccountId": "012345678901",
        "AgentARN": ARN,
        "EventId": event_id,
        "EventTimestamp": iso(at),
        "EventType": kind,
        "InstanceARN": "arn:aws:connect:us-west-2:012345678901:instance/abc",
        "CurrentAgentSnapshot": snapshot,
        "Version": "2017-10-01",
    }
    if kind == "STATE_CHANGE":
        event["PreviousAgentSnapshot"] = snapshot
    return event


def test_platform_events_reach_the_api_as_our_own_events_do(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "connectors.db")
    setup = run_cli(
        *("connectors", "twilio", "--account", ACCOUNT, "--auth-token", TOKEN, "--db", db),
        cwd=tmp_path,
    )
    assert setup.returncode == 0, setup.stderr
    assert TOKEN not in setup.stdout  # the token is never printed back
    made = run_cli("connectors", "amazon-connect", "--account", ACCOUNT, "--db", db, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    access_key = json.loads(made.stdout)["accessKey"]
    keys = create_keys(db, ACCOUNT, "read", "ingest", cwd=tmp_path)
    mirror_keys = create_keys(db, MIRROR, "read", "ingest", cwd=tmp_path)

    server = Server(db, tmp_path)
    try:
        start = now_ms() - 40 * MINUTE
        callback_url = f"{server.base_url}/api/account/{ACCOUNT}/connectors/twilio"
        for sid, at, name in (("EV1", start, "Available"), ("EV2", start + 15 * MINUTE, "Break")):
            fields = activity(sid, at, name)
            answer = requests.post(
                callback_url,
                data=urlencode(fields),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": twilio_signature(callback_url, fields),
                },
                timeout=10,
            )
            assert answer.status_code == 204, answer.text

        documents = [
            connect_event("E1", "LOGIN", start + 5 * MINUTE, "Available", start + 5 * MINUTE),
            connect_event("E2", "STATE_CHANGE", start + 25 * MINUTE, "Lunch", start + 25 * MINUTE),
        ]
        request_id = str(uuid.uuid4())
        records = [{"data": base64.b64encode(json.dumps(d).encode()).decode()} for d in documents]
        delivered = requests.post(
            f"{server.base_url}/api/account/{ACCOUNT}/connectors/amazon-connect",
            json={"requestId": request_id, "timestamp": now_ms(), "records": records},
            headers={
                "X-Amz-Firehose-Access-Key": access_key,
                "X-Amz-Firehose-Request-Id": request_id,
            },
            timeout=10,
        )
        assert delivered.status_code == 200, delivered.text
        assert delivered.json()["requestId"] == request_id

        users = requests.get(
            f"{server.base_url}/api/account/{ACCOUNT}/configuration/le-users/users",
            auth=oauth(keys),
            timeout=10,
        )
        assert users.status_code == 200, users.text
        people = {user["loginName"]: user for user in users.json()}
        assert people["maria"]["externalIds"] == {"twilio": "WK0001"}
        assert people["kenji"]["externalIds"] == {"amazon-connect": ARN}
        maria, kenji = people["maria"]["id"], people["kenji"]["id"]

        # The same day as our own events: the reasons the connectors created are 1 (Break)
        # and 2 (Lunch), in the order they were first seen.
        ours = [
            {"type": "state", "agentId": maria, "time": start, "state": "ONLINE"},
            {
                "type": "state",
                "agentId": maria,
                "time": start + 15 * MINUTE,
                "state": "AWAY",
                "reasonId": "1",
            },
            {"type": "state", "agentId": kenji, "time": start + 5 * MINUTE, "state": "ONLINE"},
            {"type": "max_chats", "agentId": kenji, "time": start + 5 * MINUTE, "maxChats": 2},
            {
                "type": "state",
                "agentId": kenji,
                "time": start + 25 * MINUTE,
                "state": "AWAY",
                "reasonId": "2",
            },
            {"type": "max_chats", "agentId": kenji, "time": start + 25 * MINUTE, "maxChats": 2},
        ]
        posted = requests.post(
            events_url(server.base_url, MIRROR), json=ours, auth=oauth(mirror_keys), timeout=10
        )
        assert posted.status_code == 200 and posted.json()["accepted"] == len(ours), posted.text

        to = str(start + 40 * MINUTE)  # the moment the events were made: in the past now
        query = {"timeframe": "40", "v": "2", "interval": "10", "agentIds": "all", "to": to}
        answers = [
            requests.get(
                activity_url(server.base_url, account), params=query, auth=oauth(auth), timeout=10
            )
            for account, auth in ((ACCOUNT, keys), (MIRROR, mirror_keys))
        ]
        assert [answer.status_code for answer in answers] == [200, 200]
        through_connectors, as_ours = (answer.json() for answer in answers)
        assert through_connectors == as_ours
        agents = {
            agent
            for interval in through_connectors["body"]["metricsByIntervals"]
            for agent in interval["metricsData"]["agentsMetrics"]["metricsPerAgent"]
        }
        assert agents == {str(maria), str(kenji)}  # not two empty answers
    finally:
        server.stop()
