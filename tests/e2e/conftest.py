"""End-to-end fixtures: real `agentactivity` processes, driven like users and clients do.

The CLI is run as the installed console script next to the running interpreter (so it
works in any venv), else as `python -m agentactivity.cli`. Long-running processes write
their output to files (never to pipes nobody reads); short commands are captured.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from requests_oauthlib import OAuth1

if TYPE_CHECKING:  # browser.py imports this module: at run time only in the fixtures
    from tests.e2e.browser import Demo

ACCOUNT = "12345678"
OTHER_ACCOUNT = "87654321"
DISCOVERY_PATH = "/api/account/1/service/leDataReporting/baseURI.json"
STARTUP_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 60.0


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "agentactivity"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "agentactivity.cli"]


def cli_env(**extra: str) -> dict[str, str]:
    """The caller's environment without AGENTACTIVITY_* settings, an 80-column terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTACTIVITY_")}
    env.update(PYTHONUNBUFFERED="1", COLUMNS="80", LINES="50")
    env.update(extra)
    return env


def run_cli(
    *args: str, cwd: Path, timeout: float = CLI_TIMEOUT_S, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli_command(), *args],
        cwd=cwd,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def sqlite_url(path: Path) -> str:
    """sqlite:///<absolute path> -> sqlite:////abs/... as SQLAlchemy reads it."""
    return f"sqlite:///{path.resolve()}"


class ManagedProcess:
    """A long-running CLI process with its output in files; stopped with SIGTERM, then KILL."""

    def __init__(
        self, args: list[str], workdir: Path, name: str, env: dict[str, str] | None = None
    ) -> None:
        self.args = args
        self.workdir = workdir
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [*cli_command(), *args],
                cwd=workdir,
                env=cli_env(**(env or {})),
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )

    def output(self) -> str:
        text = []
        for path in (self.stdout_path, self.stderr_path):
            if path.exists():
                text.append(f"--- {path.name}:\n{path.read_text(errors='replace')}")
        return "\n".join(text)

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_for_http(
        self, url: str, timeout_s: float, ready: Callable[[], bool] = lambda: True
    ) -> None:
        """Poll `url` until it answers 200 (and `ready()`), or fail with the process output."""
        deadline = time.monotonic() + timeout_s
        while True:
            if not self.running():
                pytest.fail(
                    f"`agentactivity {' '.join(self.args)}` exited with "
                    f"{self.proc.returncode} before answering\n{self.output()}"
                )
            try:
                if requests.get(url, timeout=1.0).status_code == 200 and ready():
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"`agentactivity {' '.join(self.args)}` did not answer {url} "
                    f"within {timeout_s:.0f} s\n{self.output()}"
                )
            time.sleep(0.1)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> bool:
        """SIGTERM, then SIGKILL after timeout_s. True if it exited on SIGTERM alone."""
        if not self.running():
            return True
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout_s)
            return True
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=timeout_s)
            return False

    def crash(self) -> None:
        """SIGKILL: no shutdown code runs at all."""
        if self.running():
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)


class Server(ManagedProcess):
    """`agentactivity serve` on a free port of 127.0.0.1."""

    def __init__(
        self, db_url: str, workdir: Path, name: str = "serve", env: dict[str, str] | None = None
    ) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", db_url],
            workdir,
            f"{name}-{self.port}",
            env,
        )
        self.wait_for_http(self.base_url + DISCOVERY_PATH, STARTUP_TIMEOUT_S)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers on demand (e.g. several on one db, one after the other)."""
    started: list[Server] = []

    def start(
        db_url: str, workdir: Path | None = None, env: dict[str, str] | None = None
    ) -> Server:
        server = Server(db_url, workdir or tmp_path, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server per test module, on its own SQLite file."""
    workdir = tmp_path_factory.mktemp("e2e-server")
    server = Server(sqlite_url(workdir / "e2e.db"), workdir)
    yield server
    server.stop()


def create_keys(db_url: str, account: str, *scopes: str, cwd: Path) -> dict[str, Any]:
    """`agentactivity keys create`, as an operator runs it; returns its JSON."""
    args = ["keys", "create", "--account", account, "--db", db_url]
    for scope in scopes:
        args += ["--scope", scope]
    result = run_cli(*args, cwd=cwd)
    assert result.returncode == 0, f"keys create failed:\n{result.stdout}\n{result.stderr}"
    keys = json.loads(result.stdout)
    assert set(keys) == {
        "accountId",
        "appKey",
        "appSecret",
        "accessToken",
        "accessTokenSecret",
        "scopes",
    }, keys
    assert keys["accountId"] == account
    return keys


def write_credentials(keys: dict[str, Any], base_url: str, path: Path) -> Path:
    path.write_text(json.dumps({**keys, "baseUrl": base_url}, indent=2))
    return path


def oauth(keys: dict[str, Any], signature_method: str = "HMAC-SHA1", **override: str) -> OAuth1:
    """Exactly what clients in the field use."""
    values = {k: keys[k] for k in ("appKey", "appSecret", "accessToken", "accessTokenSecret")}
    values.update(override)
    return OAuth1(
        values["appKey"],
        values["appSecret"],
        values["accessToken"],
        values["accessTokenSecret"],
        signature_method=signature_method,
    )


def activity_url(base_url: str, account: str) -> str:
    return f"{base_url}/operations/api/account/{account}/agentactivity"


def events_url(base_url: str, account: str) -> str:
    return f"{base_url}/api/account/{account}/events"


# The browser tests' fixtures (tests/e2e/browser.py has their helpers), here so that each
# browser test module gets its own browser and demo server.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium, driven by Playwright (never downloaded)."""
    from tests.e2e.browser import CHROMIUM, chromium_problem  # browser.py imports this module
    from tests.services import require_service

    require_service(
        chromium_problem(),
        "Chromium cannot be driven",
        "CI must run the browser test (.ci/run installs Debian's chromium)",
        "install it (apt-get install chromium) or set AGENTACTIVITY_TEST_CHROMIUM "
        "to a Chromium binary; `pip install -e '.[test]'` brings playwright",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A server with the pinned simulated agents and their people (tests/e2e/browser.py)."""
    from tests.e2e.browser import Demo

    demo = Demo(tmp_path_factory.mktemp("dashboard"))
    yield demo
    demo.server.stop()
