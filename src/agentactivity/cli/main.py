"""`agentactivity`: the one entry point (serve, keys, db, query, simulate, demo)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from agentactivity.cli.agents import register as register_agents
from agentactivity.cli.common import (
    DbOption,
    LogLevel,
    ShutdownTimeoutOption,
    build_service,
    check_account,
    err,
    fail,
    load_settings,
    out,
)
from agentactivity.cli.connectors import register as register_connectors
from agentactivity.cli.consume import register as register_consume
from agentactivity.cli.dashboard_link import register as register_dashboard
from agentactivity.cli.db import db_app
from agentactivity.cli.demo import register as register_demo
from agentactivity.cli.report import register as register_report
from agentactivity.cli.transfer import register as register_transfer
from agentactivity.clock import now_ms
from agentactivity.credentials import DEFAULT_SCOPES, SCOPES, new_credentials
from agentactivity.directory import AgentGroup, DirectorySnapshot
from agentactivity.directory_items import is_group_id
from agentactivity.logs import setup_logging
from agentactivity.partitions import Partition, PartitionError
from agentactivity.serve import Listen, run_service
from agentactivity.store import StoreError

app = typer.Typer(
    name="agentactivity",
    help=(
        "Record contact-center agent activity and answer how each agent's logged-in time "
        "split between states, chatting and at full chat capacity, through the legacy "
        "Agent Activity HTTP API.\n\n"
        "Start with `agentactivity demo` (what `make run` does), then try "
        "`agentactivity query --credentials demo-credentials.json --timeframe 60`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
keys_app = typer.Typer(
    help="Manage API credentials (OAuth 1.0a keys bound to one account).", no_args_is_help=True
)

log = logging.getLogger("agentactivity.cli")


def _check_redis(url: str) -> None:
    """Exit with one clear line unless Redis answers (nonces and the rate live there)."""
    from agentactivity.api.nonces import RedisNonceStore, SharedStateError

    nonces = RedisNonceStore(url)
    try:
        nonces.ping()
    except SharedStateError as exc:
        raise fail(f"{exc} (--redis / AGENTACTIVITY_REDIS)") from exc
    finally:
        nonces.close()


def _partition(text: str | None) -> Partition | None:
    """`--partition I/N`, or exit with one line saying what is wrong (2: a usage error)."""
    if text is None:
        return None
    try:
        return Partition.parse(text)
    except PartitionError as exc:
        raise fail(f"--partition: {exc}", 2) from exc


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    db: DbOption = None,
    log_level: Annotated[
        LogLevel, typer.Option("--log-level", help="Level of the JSON log lines on stderr.")
    ] = LogLevel.info,
    shutdown_timeout: ShutdownTimeoutOption = 30,
    redis: Annotated[
        str | None,
        typer.Option(
            "--redis",
            help="Redis shared by several servers on one PostgreSQL database, e.g. "
            "redis://127.0.0.1:6379/0: OAuth nonces and the per-account query rate are "
            "kept there, so they hold across servers. Default: $AGENTACTIVITY_REDIS, else "
            "none (this process's memory).",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes serving this address, each with its own engine loaded from "
            "the database (memory is N times one server's). Default: $AGENTACTIVITY_WORKERS, "
            "else 1.",
            show_default=False,
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The base URL callers use to reach this service when it runs behind a "
            "TLS-terminating proxy, e.g. https://agents.example.com: webhook signatures "
            "(Twilio's X-Twilio-Signature) are checked over this base plus the request's "
            "path and query. Default: $AGENTACTIVITY_PUBLIC_URL, else the URL as received.",
            show_default=False,
        ),
    ] = None,
    partition: Annotated[
        str | None,
        typer.Option(
            "--partition",
            metavar="I/N",
            help="Load and answer only the accounts of partition I of N (I from 0): those "
            "with crc32(account id) mod N = I; other accounts' paths answer 421. Run one "
            "server (or group of servers) per partition on the same database, behind the "
            "load balancer of docs/haproxy.cfg. Default: $AGENTACTIVITY_PARTITION, else "
            "every account.",
            show_default=False,
        ),
    ] = None,
    snapshot_dir: Annotated[
        str | None,
        typer.Option(
            "--snapshot-dir",
            help="Folder of the engine snapshots, which make a restart read one file per "
            "account instead of replaying every event of the live window (checked against "
            "the database, rebuilt when they do not match). Default: "
            "$AGENTACTIVITY_SNAPSHOT_DIR, else beside a SQLite file (<file>.snapshots), "
            "else ./<database name>.snapshots for PostgreSQL.",
            show_default=False,
        ),
    ] = None,
    no_snapshot: Annotated[
        bool,
        typer.Option(
            "--no-snapshot",
            help="Neither read nor write snapshots: the engine is rebuilt from the "
            "database at every start.",
        ),
    ] = False,
) -> None:
    """Run the HTTP service.

    Example: agentactivity serve --port 8080 --db sqlite:///./agentactivity.db

    The engine starts from its snapshots (written every few minutes and at shutdown)
    and catches up from the database, or is rebuilt from the database when a snapshot
    is missing or does not match it; then every acknowledged event is durable and
    visible to the next query. Create credentials with `agentactivity keys
    create` (it can run while the service is up).

    Accounts past one machine's memory: one server per partition on a shared
    PostgreSQL, e.g. `--partition 0/2` and `--partition 1/2` behind docs/haproxy.cfg
    (docs/scaling.md, Partitions).
    """
    setup_logging(log_level.value)
    folder = "" if no_snapshot else snapshot_dir
    settings = load_settings(
        db,
        redis_url=redis,
        workers=workers,
        public_url=public_url,
        partition=_partition(partition),
        snapshot_dir=folder,
    )
    if settings.redis_url:
        _check_redis(settings.redis_url)
    if settings.workers > 1:
        from agentactivity.serve.supervisor import WorkersError, serve_workers

        try:
            code = serve_workers(settings, host, port, log_level.value, shutdown_timeout)
        except (WorkersError, StoreError) as exc:
            raise fail(str(exc)) from exc
        raise typer.Exit(code)
    try:
        run_service(
            build_service(settings),
            Listen(host, port, log_level.value, shutdown_timeout),
        )
    except StoreError as exc:
        raise fail(str(exc)) from exc


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option("--account", help="Account id, e.g. 12345678.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="read (queries), ingest (events) and/or admin (changing status reasons); "
            "repeat for several. Default: read and ingest.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create an API key for an account (creating the account if needed) and print it as JSON.

    Example: agentactivity keys create --account 12345678 --scope read > reader.json

    The JSON has accountId, appKey, appSecret, accessToken, accessTokenSecret and scopes:
    the four values any OAuth 1.0a client needs. Keep it secret.
    """
    check_account(account)
    scopes = tuple(dict.fromkeys(scope or DEFAULT_SCOPES))
    for name in scopes:
        if name not in SCOPES:
            raise fail(f"--scope {name!r}: choose from {', '.join(SCOPES)}", 2)
    service = build_service(load_settings(db))
    credentials = new_credentials(account, scopes)
    service.store.add_credentials(credentials)
    service.store.close()
    print(json.dumps(credentials.to_json(), indent=2))


@app.command()
def query(
    credentials: Annotated[
        Path, typer.Option("--credentials", help="The JSON that `keys create` printed.")
    ],
    timeframe: Annotated[int, typer.Option(help="Minutes back from the end of the window.")],
    interval: Annotated[
        int | None, typer.Option(help="Split into intervals of this many minutes (>= 5).")
    ] = None,
    agents: Annotated[str, typer.Option(help="'all' or comma-separated agent ids.")] = "all",
    to: Annotated[
        int | None, typer.Option(help="End of the window, epoch ms (default: now).")
    ] = None,
    totals: Annotated[bool, typer.Option(help="Add a TOTAL row over the listed agents.")] = False,
    groups: Annotated[
        str | None,
        typer.Option(
            "--groups",
            help="Only the members of these agent groups and of the groups below them "
            "(comma-separated group ids or name paths such as 'Sales/Tier 2'; -1 is the "
            "root, i.e. everyone), and a table of each group's sums.",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="Service URL. Default: the file's baseUrl, else http://127.0.0.1:8080."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON response.")] = False,
) -> None:
    """Ask the service how agents' time was spent, signed with OAuth 1.0a.

    \b
    Examples:
      agentactivity query --credentials demo-credentials.json --timeframe 60 --interval 15
      agentactivity query --credentials demo-credentials.json --timeframe 60 --groups -1
      agentactivity query --credentials demo-credentials.json --timeframe 60 --groups Sales

    Prints one table per interval (newest first) and one for the whole window, with
    durations as h:mm:ss and each agent's name beside its id (from the account's users);
    with --groups, a table of each group's sums after each of them (the ids are in its
    first column: `--groups -1` lists every group). --json prints exactly what the API
    answered.
    """
    from agentactivity.cli.client import Client, ClientCredentials, ClientError
    from agentactivity.cli.tables import print_activity

    try:
        client = Client(ClientCredentials.load(credentials, base_url))
        teams = client.agent_groups() if groups is not None else []
        response = client.agent_activity(
            timeframe=timeframe,
            agentIds=agents,
            v=1,
            interval=interval,
            to=to,
            totals="true" if totals else None,
            agentGroupIds=None if groups is None else _group_ids(groups, teams),
            groupTotals="true" if groups is not None else None,
        )
    except ClientError as exc:
        raise fail(str(exc), 2 if exc.status == 400 else 1) from exc
    if as_json:
        print(json.dumps(response))
        return
    try:
        directory: DirectorySnapshot | None = DirectorySnapshot.of(client.users(), teams)
    except ClientError as exc:
        # The figures are what was asked for: without names (a server without the
        # directory, keys of another kind) they are still worth printing.
        err.print(f"(agents shown without names: {exc})", markup=False, highlight=False)
        directory = None
    print_activity(out, response, directory)


def _group_ids(groups: str, teams: list[AgentGroup]) -> str:
    """`--groups` as the API's agentGroupIds: name paths become their groups' ids (ids,
    and empty items, go as they are: the service says what is wrong with one)."""
    from agentactivity.directory_csv import find_group

    directory = DirectorySnapshot.of([], teams)
    ids = []
    for item in groups.split(","):
        plain = not item.strip() or is_group_id(item.strip())
        found = item.strip() if plain else find_group(directory, item)
        if found is None:
            raise fail(
                f"--groups: no agent group {item.strip()!r} (give group ids, or name paths "
                "below the root such as Sales/Tier 2; `agentactivity agents export` shows "
                "the paths)",
                2,
            )
        ids.append(found)
    return ",".join(ids)


@app.command()
def simulate(
    agents: Annotated[int, typer.Option(help="Number of agents.", min=1, max=1_000_000)] = 40,
    hours: Annotated[float, typer.Option(help="Hours of activity to generate.", min=0)] = 24,
    seed: Annotated[int, typer.Option(help="Same seed, same events.")] = 1,
    end: Annotated[int | None, typer.Option(help="End time, epoch ms (default: now).")] = None,
    output: Annotated[
        Path | None, typer.Option(help="Write NDJSON to this file ('-' for stdout).")
    ] = None,
    post: Annotated[
        Path | None,
        typer.Option(
            help="Post the events to a running service, signed with this credentials file."
        ),
    ] = None,
    batch: Annotated[int, typer.Option(help="Events per POST.", min=1, max=10_000)] = 1000,
) -> None:
    """Generate a realistic contact-center day (shifts, breaks with reasons, chats up to limits).

    Examples:
      agentactivity simulate --agents 1000 --hours 24 --output day.ndjson
      agentactivity simulate --agents 40 --hours 2 --post creds.json

    Deterministic: the same --agents, --seed and --end give the same events.
    """

    from agentactivity.simulate import Simulator, write_ndjson

    if (output is None) == (post is None):
        raise fail("give exactly one of --output FILE (or -) and --post CREDENTIALS", 2)
    end_ms = end if end is not None else now_ms()
    simulator = Simulator(agents=agents, seed=seed, start_ms=end_ms - int(hours * 3600_000))
    events = simulator.events_until(end_ms)
    if output is not None:
        if str(output) == "-":
            write_ndjson(events, sys.stdout)
        else:
            with output.open("w") as stream:
                count = write_ndjson(events, stream)
            err.print(f"Wrote {count} events for {agents} agents to {output}")
        return
    from agentactivity.cli.client import Client, ClientCredentials, ClientError

    assert post is not None
    try:
        client = Client(ClientCredentials.load(post))
        accepted = duplicates = 0
        with Progress(console=err) as progress:
            task = progress.add_task("Posting events", total=len(events))
            for i in range(0, len(events), batch):
                answer = client.post_events(events[i : i + batch])
                accepted += answer["accepted"]
                duplicates += answer["duplicates"]
                progress.advance(task, len(events[i : i + batch]))
    except ClientError as exc:
        raise fail(str(exc)) from exc
    err.print(f"Posted {len(events)} events: {accepted} accepted, {duplicates} duplicates")


# Listed in --help in this order, after the commands above.
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
register_transfer(app)
register_consume(app)
register_agents(app)
register_report(app)
register_dashboard(app)
register_demo(app)
register_connectors(app)


def main() -> None:
    """Entry point: bad arguments give one line on stderr and exit code 2."""
    try:
        result = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        # Typer raises its own copy of click's exceptions: recognise them by shape.
        if type(exc).__name__ == "NoArgsIsHelpError":
            print(exc.format_message())  # type: ignore[attr-defined]
            sys.exit(0)
        code = getattr(exc, "exit_code", None)
        if code is None or not hasattr(exc, "format_message"):
            raise
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = f"agentactivity: error: {exc.format_message()}{hint}"
        err.print(message, markup=False, highlight=False, soft_wrap=True)
        sys.exit(code)
    sys.exit(result if isinstance(result, int) else 0)
