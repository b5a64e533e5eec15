"""Per-account gauges of the live state, computed at scrape time: agents by state (as
the current-state listing of SPEC section 7 has them at now), chatting, at their chat
limit, and open streams.

Accounts are a label here, unlike on the request metrics: the service holds few
accounts (each one is created by an operator), so the series stay bounded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agentactivity.api.stream import StreamHub
from agentactivity.service import ActivityService

log = logging.getLogger("agentactivity.metrics")
STATES = ("ONLINE", "BACK_SOON", "AWAY", "OFFLINE")


class LiveStateCollector(Collector):
    def __init__(self, service: ActivityService, hub: StreamHub) -> None:
        self.service = service
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        streams = GaugeMetricFamily(
            "agentactivity_streams_open",
            "Live state streams open on this process, by account.",
            labels=["account"],
        )
        for account_id, count in sorted(self.hub.open_counts().items()):
            streams.add_metric([account_id], count)
        yield streams
        try:
            listings = self.service.live.current_states(self.service.clock())
        except Exception as exc:  # the store is unreachable: leave the gauges out
            log.warning("agent gauges not exported: the store is not reachable: %r", exc)
            return
        agents = GaugeMetricFamily(
            "agentactivity_agents",
            "Agents the current-state listing has at now (an event in the retention "
            "window), by account and state.",
            labels=["account", "state"],
        )
        chatting = GaugeMetricFamily(
            "agentactivity_agents_chatting",
            "Logged-in agents with at least one active chat, by account.",
            labels=["account"],
        )
        at_max = GaugeMetricFamily(
            "agentactivity_agents_at_max_concurrency",
            "Logged-in agents with a chat limit and at least that many chats, by account.",
            labels=["account"],
        )
        for account_id, listing in sorted(listings.items()):
            counts = dict.fromkeys(STATES, 0)
            busy = full = 0
            for state in listing.values():
                counts[state["state"]] += 1
                busy += state["state"] != "OFFLINE" and state["activeChats"] > 0
                full += state["atMaxConcurrency"]
            for name, count in counts.items():
                agents.add_metric([account_id, name], count)
            chatting.add_metric([account_id], busy)
            at_max.add_metric([account_id], full)
        yield agents
        yield chatting
        yield at_max
