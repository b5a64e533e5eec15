"""What every connector shares (SPEC section 10): a platform's events become ours.

A connector (Twilio's callbacks, Firehose's deliveries) translates what the platform
sends into `PlatformEvent`s and hands them here. This resolves each agent through the
directory's `externalIds` (a platform id never seen becomes a user, store/connectors.py)
and each reason text to a status reason, then stores the events through the service's
one ingest door, so nothing a connector adds escapes the rules of an HTTP batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentactivity.platforms.sightings import PlatformEvent, Sighting
from agentactivity.service.activity import ActivityService


@dataclass(frozen=True, slots=True)
class IngestCounts:
    accepted: int
    duplicates: int


class ConnectorIngest:
    def __init__(self, service: ActivityService) -> None:
        self.service = service
        self._store = service.store

    def ingest(self, account_id: str, events: Sequence[PlatformEvent]) -> IngestCounts:
        """Store the events, in the order given, in atomic batches of at most the ingest
        limit (BatchRefused: that batch stored not at all, the ones before it kept; a
        retry is idempotent through the events' ids)."""
        if not events:
            return IngestCounts(0, 0)
        agents = self.agent_ids(account_id, [event.agent for event in events])
        texts = sorted({e.reason_text for e in events if e.reason_text and e.reason_text.strip()})
        reasons = self._store.reasons.ensure_texts(account_id, texts) if texts else {}
        items = [_item(event, agents, reasons) for event in events]
        accepted = duplicates = 0
        size = self.service.settings.max_batch_events
        for start in range(0, len(items), size):
            result = self.service.ingest_items(account_id, items[start : start + size])
            accepted += result.accepted
            duplicates += result.duplicates
        return IngestCounts(accepted, duplicates)

    def agent_ids(
        self, account_id: str, sightings: Sequence[Sighting]
    ) -> dict[tuple[str, str], int]:
        """Each sighting's agent id; the unknown ones become users (one transaction)."""
        keys = list({(s.source, s.external_id) for s in sightings})
        known = self._store.connectors.known_agents(account_id, keys)
        if len(known) == len(keys):
            return known
        return self._store.connectors.adopt(account_id, sightings)

    def settings(self, account_id: str, connector: str) -> dict[str, Any]:
        """The account's settings of the connector; {} when never saved."""
        return self._store.connectors.settings(account_id, connector) or {}

    def save_settings(self, account_id: str, connector: str, value: dict[str, Any]) -> None:
        self._store.ensure_account(account_id)
        self._store.connectors.save_settings(account_id, connector, value)


def _item(
    event: PlatformEvent, agents: dict[tuple[str, str], int], reasons: dict[str, int]
) -> dict[str, Any]:
    """The SPEC section 2 event, with its agent id (and reason id) filled in."""
    item = dict(event.fields)
    item["agentId"] = agents[(event.agent.source, event.agent.external_id)]
    if event.reason_text is not None and event.reason_text in reasons:
        item["reasonId"] = str(reasons[event.reason_text])
    return item
