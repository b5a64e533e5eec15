"""An agent as a platform names it, and an event of ours still waiting for its agent id.

A connector cannot know our numeric agent ids: it sees a Twilio WorkerSid or a Connect
AgentARN. It hands the service `PlatformEvent`s; the service resolves each `Sighting`
through the directory's `externalIds` (adding a user for one it has never seen) and each
reason text to a status reason, then stores the events through the one ingest door.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The directory's externalIds keys of each platform (SPEC section 10).
TWILIO = "twilio"
AMAZON_CONNECT = "amazon-connect"


@dataclass(frozen=True, slots=True)
class Sighting:
    """An agent seen on a platform: its id there, and the names to give a new user."""

    source: str  # the externalIds key: TWILIO or AMAZON_CONNECT
    external_id: str  # WorkerSid, AgentARN
    login_name: str  # WorkerName, Username; taken when the agent is new
    full_name: str = ""


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    """A SPEC section 2 event without its `agentId` (`fields`: type, time, eventId and the
    type's own fields), for the agent `agent`. With `reason_text`, a `state` AWAY event
    whose reason is the account's status reason of that text (created if missing);
    `fields` then carries no `reasonId`."""

    agent: Sighting
    fields: dict[str, Any]
    reason_text: str | None = None
