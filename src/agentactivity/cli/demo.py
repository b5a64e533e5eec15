"""`agentactivity demo`: the simulated contact center behind `make run` (its people and
teams, 24 h of history, then live events)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from agentactivity.cli.common import (
    LogLevel,
    ShutdownTimeoutOption,
    build_service,
    err,
    fail,
    load_settings,
)
from agentactivity.cli.dashboard_link import dashboard_url
from agentactivity.cli.demo_people import TEAMS, create_people
from agentactivity.clock import HOUR_MS
from agentactivity.credentials import new_credentials
from agentactivity.dashboard_token import issue
from agentactivity.events import TimeBounds, parse_batch
from agentactivity.logs import setup_logging
from agentactivity.reasons import ReasonFields
from agentactivity.serve import Listen, run_service
from agentactivity.service import ActivityService
from agentactivity.simulate import DEFAULT_REASONS, Simulator
from agentactivity.store import StoreError

DEMO_ACCOUNT = "12345678"
DEMO_SEED = 1  # fixed: what the demo emits at a given time is known (tests predict it)
DEMO_HOURS = 24  # of back-filled history


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
    """Create the demo's status reasons and its people (a user and a team for every
    agent), then back-fill `hours` of simulated history naming the reasons by their
    ids; returns the simulator to keep going live."""
    now = service.clock()
    reason_ids = create_reasons(service)
    simulator = Simulator(
        agents=agents, seed=seed, start_ms=now - hours * HOUR_MS, reason_ids=reason_ids
    )
    create_people(service.store, DEMO_ACCOUNT, agents, simulator.first_agent_id)
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


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    agents: Annotated[int, typer.Option(help="Simulated agents.", min=1, max=10_000)] = 40,
    db: Annotated[
        Path, typer.Option(help="Demo database file; it is recreated at every start.")
    ] = Path("agentactivity-demo.db"),
    credentials_file: Annotated[
        Path, typer.Option("--credentials-file", help="Where to write the demo's keys.")
    ] = Path("demo-credentials.json"),
    log_level: Annotated[
        LogLevel, typer.Option("--log-level", help="Level of the JSON log lines on stderr.")
    ] = LogLevel.warning,
    shutdown_timeout: ShutdownTimeoutOption = 30,
) -> None:
    """Serve a simulated contact center: account 12345678, 24 h back-filled, live events.

    Example: agentactivity demo --port 8080 --agents 40

    Writes the demo's keys (plus baseUrl) to demo-credentials.json, so that
    `agentactivity query --credentials demo-credentials.json --timeframe 60` works at once.
    """
    setup_logging(log_level.value)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    service = build_service(load_settings(str(db)))
    simulator = prepare(service, agents, DEMO_HOURS, seed=DEMO_SEED, console=err)
    base_url = f"http://{host}:{port}"
    write_credentials(service, credentials_file, base_url)
    dashboard = dashboard_link(service, base_url)
    err.print(
        f"Demo account {DEMO_ACCOUNT}: {agents} agents in the teams "
        f"{', '.join(sorted(set(TEAMS)))}, 24 h of history, live events.\n"
        f"Serving on {base_url}; keys in {credentials_file}. Try, in another terminal:\n"
        f"  .venv/bin/agentactivity query --credentials {credentials_file} "
        "--timeframe 60 --interval 15\n"
        f"Dashboard (read-only link, valid 24 h): {dashboard}",
        soft_wrap=True,
        highlight=False,
    )

    def demo_live(stop: threading.Event) -> None:
        run_live(service, simulator, stop)

    try:
        run_service(
            service,
            Listen(host, port, log_level.value, shutdown_timeout),
            tasks=[demo_live],
        )
    except StoreError as exc:
        raise fail(str(exc)) from exc


def register(app: typer.Typer) -> None:
    app.command()(demo)
