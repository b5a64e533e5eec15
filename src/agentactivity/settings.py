"""Service settings: defaults from SPEC.md, overridable by AGENTACTIVITY_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from agentactivity.clock import DAY_MS, MINUTE_MS
from agentactivity.partitions import Partition, PartitionError
from agentactivity.query import StateNames

DEFAULT_DB = "sqlite:///./agentactivity.db"


class SettingsError(ValueError):
    """A setting has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB
    # The live window (ingest accepts events this old; figures and states in memory)
    # and the history (events kept in the store and answered from it), SPEC section 9.
    retention_days: float = 7.0
    history_days: float = 400.0
    prune_interval_seconds: float = 3600.0
    max_timeframe_minutes: int = 1440
    # Reads of the history (queries older than the live window) running at once.
    max_history_reads: int = 2
    max_batch_events: int = 10_000
    max_body_bytes: int = 10 * 1024 * 1024
    max_agent_ids: int = 10_000
    max_url_bytes: int = 64 * 1024
    max_header_bytes: int = 32 * 1024
    body_timeout_seconds: float = 30.0
    # Per account, on the query method: queries in progress at once, and queries a second.
    max_concurrent_queries: int = 8
    query_rate_per_second: int = 50
    # Per account, on the webhook connectors (Twilio, Firehose): the same two limits.
    connector_max_concurrent: int = 16
    connector_rate_per_second: int = 200
    state_names: StateNames = field(default_factory=StateNames)
    # What domain discovery answers as baseURI; None means the request's own host.
    public_base_uri: str | None = None
    # The service's public base URL as callers reach it (e.g. https://agents.example.com
    # behind a TLS-terminating proxy): webhook signatures are checked over this base plus
    # the request's path and query; None means the URL the request arrived with.
    public_url: str | None = None
    # Redis shared by several servers (OAuth nonces, query rate); None: this process only.
    redis_url: str | None = None
    # Processes serving the same address (`serve --workers N`), each with its own engine.
    workers: int = 1
    # The accounts this server loads and answers (`serve --partition I/N`): those with
    # crc32(account id) mod N = I; the default 0/1 is every account.
    partition: Partition = field(default_factory=Partition)
    # The live stream of agent state: open streams per account (more: 429), seconds of
    # silence before a keep-alive comment, seconds between polls of the store for events
    # other processes stored, and changes kept per account for clients that resume.
    max_streams_per_account: int = 16
    stream_heartbeat_seconds: float = 15.0
    stream_poll_seconds: float = 0.25
    stream_log_size: int = 10_000
    # Engine snapshots (service/snapshots.py): the directory (None: beside the SQLite
    # file, or `<database>.snapshots` in the working directory for PostgreSQL; "": off),
    # and how often they are written: every so many seconds or applied events, whichever
    # comes first, once the engine moved on (and at shutdown).
    snapshot_dir: str | None = None
    snapshot_interval_seconds: float = 300.0
    snapshot_events: int = 1_000_000

    @property
    def retention_ms(self) -> int:
        return int(self.retention_days * DAY_MS)

    @property
    def history_ms(self) -> int:
        return int(self.history_days * DAY_MS)

    def validate(self) -> Settings:
        if self.retention_days <= 0:
            raise SettingsError("retention must be more than 0 days")
        if self.history_days < self.retention_days:
            raise SettingsError(
                f"the history ({self.history_days:g} days, AGENTACTIVITY_HISTORY_DAYS) must be "
                f"at least the live window ({self.retention_days:g} days, "
                "AGENTACTIVITY_RETENTION_DAYS)"
            )
        if self.prune_interval_seconds <= 0:
            raise SettingsError("the prune interval must be more than 0 seconds")
        if not 1 <= self.max_timeframe_minutes <= self.retention_ms // MINUTE_MS:
            raise SettingsError(
                "the maximum timeframe must be between 1 minute and the retention "
                f"({self.retention_ms // MINUTE_MS} minutes)"
            )
        for name in (
            "max_batch_events",
            "max_history_reads",
            "max_body_bytes",
            "max_agent_ids",
            "max_url_bytes",
            "max_header_bytes",
            "body_timeout_seconds",
            "max_concurrent_queries",
            "query_rate_per_second",
            "connector_max_concurrent",
            "connector_rate_per_second",
            "workers",
            "max_streams_per_account",
            "stream_log_size",
            "snapshot_events",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1")
        if self.snapshot_interval_seconds <= 0:
            raise SettingsError("the snapshot interval must be more than 0 seconds")
        for name in ("stream_heartbeat_seconds", "stream_poll_seconds"):
            if not 0 < getattr(self, name) <= 3600:
                raise SettingsError(f"{name} must be more than 0 and at most 3600")
        if self.redis_url is not None and not self.redis_url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise SettingsError(
                "the Redis URL must start with redis://, rediss:// or unix:// "
                "(e.g. redis://127.0.0.1:6379/0)"
            )
        if self.public_url is not None:
            base = urlsplit(self.public_url)
            if base.scheme not in ("http", "https") or not base.netloc or base.query:
                raise SettingsError(
                    f"the public URL {self.public_url!r} (--public-url, AGENTACTIVITY_PUBLIC_URL) "
                    "must be http(s)://host[:port][/prefix], e.g. https://agents.example.com"
                )
        return self

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then AGENTACTIVITY_* variables, then explicit overrides (CLI flags)."""
        env = os.environ
        values: dict[str, object] = {}
        conversions = {
            "db_url": ("AGENTACTIVITY_DB", str),
            "retention_days": ("AGENTACTIVITY_RETENTION_DAYS", float),
            "history_days": ("AGENTACTIVITY_HISTORY_DAYS", float),
            "prune_interval_seconds": ("AGENTACTIVITY_PRUNE_INTERVAL_SECONDS", float),
            "max_timeframe_minutes": ("AGENTACTIVITY_MAX_TIMEFRAME_MINUTES", int),
            "max_batch_events": ("AGENTACTIVITY_MAX_BATCH_EVENTS", int),
            "max_history_reads": ("AGENTACTIVITY_MAX_HISTORY_READS", int),
            "max_body_bytes": ("AGENTACTIVITY_MAX_BODY_BYTES", int),
            "max_agent_ids": ("AGENTACTIVITY_MAX_AGENT_IDS", int),
            "max_url_bytes": ("AGENTACTIVITY_MAX_URL_BYTES", int),
            "max_header_bytes": ("AGENTACTIVITY_MAX_HEADER_BYTES", int),
            "body_timeout_seconds": ("AGENTACTIVITY_BODY_TIMEOUT_SECONDS", float),
            "max_concurrent_queries": ("AGENTACTIVITY_MAX_CONCURRENT_QUERIES", int),
            "query_rate_per_second": ("AGENTACTIVITY_QUERY_RATE_PER_SECOND", int),
            "connector_max_concurrent": ("AGENTACTIVITY_CONNECTOR_MAX_CONCURRENT", int),
            "connector_rate_per_second": ("AGENTACTIVITY_CONNECTOR_RATE_PER_SECOND", int),
            "public_base_uri": ("AGENTACTIVITY_PUBLIC_BASE_URI", str),
            "public_url": ("AGENTACTIVITY_PUBLIC_URL", str),
            "redis_url": ("AGENTACTIVITY_REDIS", str),
            "workers": ("AGENTACTIVITY_WORKERS", int),
            "max_streams_per_account": ("AGENTACTIVITY_MAX_STREAMS_PER_ACCOUNT", int),
            "stream_heartbeat_seconds": ("AGENTACTIVITY_STREAM_HEARTBEAT_SECONDS", float),
            "stream_poll_seconds": ("AGENTACTIVITY_STREAM_POLL_SECONDS", float),
            "stream_log_size": ("AGENTACTIVITY_STREAM_LOG_SIZE", int),
            "snapshot_dir": ("AGENTACTIVITY_SNAPSHOT_DIR", str),
            "snapshot_interval_seconds": ("AGENTACTIVITY_SNAPSHOT_INTERVAL_SECONDS", float),
            "snapshot_events": ("AGENTACTIVITY_SNAPSHOT_EVENTS", int),
        }
        for name, (var, convert) in conversions.items():
            if env.get(var):
                try:
                    values[name] = convert(env[var])
                except ValueError as exc:
                    raise SettingsError(
                        f"{var}={env[var]!r} is not a valid {convert.__name__}"
                    ) from exc
        if env.get("AGENTACTIVITY_PARTITION"):
            try:
                values["partition"] = Partition.parse(env["AGENTACTIVITY_PARTITION"])
            except PartitionError as exc:
                raise SettingsError(f"AGENTACTIVITY_PARTITION: {exc}") from exc
        names = StateNames(
            online=env.get("AGENTACTIVITY_NAME_ONLINE", "Online"),
            back_soon=env.get("AGENTACTIVITY_NAME_BACK_SOON", "Back in 5"),
            away=env.get("AGENTACTIVITY_NAME_AWAY", "Away"),
            logged_in=env.get("AGENTACTIVITY_NAME_LOGGED_IN", "Logged in"),
        )
        if env.get("AGENTACTIVITY_SNAPSHOT_DIR") == "":
            values["snapshot_dir"] = ""  # set and empty: snapshots off
        values["state_names"] = names
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values).validate()  # type: ignore[arg-type]
