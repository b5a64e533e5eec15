"""The demo behind `make run`: a simulated contact center with 24 h of history, live."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from agentactivity.credentials import new_credentials
from agentactivity.dashboard.cli import dashboard_url
from agentactivity.dashboard.tokens import issue
from agentactivity.events import TimeBounds, parse_batch
from agentactivity.reasons import ReasonFields
from agentactivity.service import ActivityService
from agentactivity.simulate import DEFAULT_REASONS, Simulator

DEMO_ACCOUNT = "12345678"
DEMO_SEED = 1  # fixed: what the demo emits at a given time is known (tests predict it)
DEMO_HOURS = 24  # of back-filled history
HOUR_MS = 3600 * 1000


def _ingest(service: ActivityService, raw_events: list[dict[str, object]]) -> int:
    bounds = TimeBounds.around(service.clock(), service.settings.retention_ms)
    events, problems = parse_batch(raw_events, bounds)
    if problems:  # the simulator only writes valid events; this would be a bug
        raise RuntimeError(f"simulated event {problems[0].index}: {problems[0].message}")
    return service.ingest(DEMO_ACCOUNT, events).accepted


def create_reasons(service: ActivityService) -> dict[str, str]:
    """The simulator's Away reasons as status reasons of the demo account (Lunch,
    Meeting, ...); returns {simulator's reasonId: the id the store gave it}."""
    items = [ReasonFields(text) for text in DEFAULT_REASONS.values()]
    _, created = service.store.reasons.create(DEMO_ACCOUNT, items)
    return {sim_id: str(item.id) for sim_id, item in zip(DEFAULT_REASONS, created, strict=True)}


def prepare(
    service: ActivityService, agents: int, hours: int, seed: int, console: Console
) -> Simulator:
    """Create the demo's status reasons, then back-fill `hours` of simulated history
    naming them by their ids; returns the simulator to keep going live."""
    now = service.clock()
    reason_ids = create_reasons(service)
    simulator = Simulator(
        agents=agents, seed=seed, start_ms=now - hours * HOUR_MS, reason_ids=reason_ids
    )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"Back-filling {hours} h for {agents} agents", total=hours)
        for hour in range(1, hours + 1):
            _ingest(service, simulator.events_until(min(now - (hours - hour) * HOUR_MS, now)))
            progress.update(task, completed=hour)
    return simulator


def write_credentials(service: ActivityService, path: Path, base_url: str) -> dict[str, object]:
    credentials = new_credentials(DEMO_ACCOUNT, ("read", "ingest"))
    service.store.add_credentials(credentials)
    data = {**credentials.to_json(), "baseUrl": base_url}
    path.write_text(json.dumps(data, indent=2) + "\n")
    return data


def dashboard_link(service: ActivityService, base_url: str) -> str:
    """A read-only dashboard link to the demo account, valid for 24 h."""
    token, _ = issue(service.store, DEMO_ACCOUNT, 24 * HOUR_MS, service.clock(), "demo")
    return dashboard_url(base_url, token)


def run_live(service: ActivityService, simulator: Simulator, stop: threading.Event) -> None:
    """Feed the simulation's events as their time comes, once a second."""
    while not stop.wait(1.0):
        events = simulator.events_until(service.clock())
        if events:
            _ingest(service, events)


def start_live(service: ActivityService, simulator: Simulator) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_live, args=(service, simulator, stop), name="demo-live", daemon=True
    )
    thread.start()
    return stop
