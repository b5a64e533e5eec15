"""`agentactivity demo`: the simulated contact center behind `make run`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from agentactivity.cli_common import (
    LogLevel,
    ShutdownTimeoutOption,
    build_service,
    err,
    load_settings,
)
from agentactivity.logs import setup_logging
from agentactivity.server import run_server


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
    from agentactivity import demo as demo_mod
    from agentactivity.api.app import create_app

    setup_logging(log_level.value)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    service = build_service(load_settings(str(db)))
    simulator = demo_mod.prepare(
        service, agents, demo_mod.DEMO_HOURS, seed=demo_mod.DEMO_SEED, console=err
    )
    base_url = f"http://{host}:{port}"
    demo_mod.write_credentials(service, credentials_file, base_url)
    dashboard = demo_mod.dashboard_link(service, base_url)
    live_stop = threading.Event()
    live = threading.Thread(
        target=demo_mod.run_live,
        args=(service, simulator, live_stop),
        name="demo-live",
        daemon=True,
    )
    live.start()
    err.print(
        f"Demo account {demo_mod.DEMO_ACCOUNT}: {agents} agents, 24 h of history, live events.\n"
        f"Serving on {base_url}; keys in {credentials_file}. Try, in another terminal:\n"
        f"  .venv/bin/agentactivity query --credentials {credentials_file} "
        "--timeframe 60 --interval 15\n"
        f"Dashboard (read-only link, valid 24 h): {dashboard}",
        soft_wrap=True,
        highlight=False,
    )
    try:
        run_server(create_app(service), host, port, log_level.value, shutdown_timeout)
    finally:
        live_stop.set()
        live.join()
        service.store.close()


def register(app: typer.Typer) -> None:
    app.command()(demo)
