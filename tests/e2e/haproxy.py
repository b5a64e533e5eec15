"""Debian's HAProxy running docs/haproxy.cfg for the partition tests: the file as it
ships, with only its listening port and its servers' addresses changed, so the routing
rules under test are the documentation's own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.services import require_service

CONFIG = Path(__file__).resolve().parents[2] / "docs" / "haproxy.cfg"
# What the shipped file listens on and where it sends each partition (partition0, 1).
LISTEN = "bind :8080"
ADDRESSES = ("10.0.0.10:8080", "10.0.0.11:8080")


def haproxy_binary() -> str | None:
    return os.environ.get("AGENTACTIVITY_TEST_HAPROXY") or shutil.which("haproxy")


def require_haproxy() -> str:
    binary = haproxy_binary()
    problem = None if binary else "no haproxy on the PATH"
    require_service(
        problem,
        "HAProxy is not available",
        "CI must run the partition test (.ci/run installs Debian's haproxy)",
        "install it (apt-get install haproxy) or set AGENTACTIVITY_TEST_HAPROXY to its binary",
    )
    assert binary is not None
    return binary


def fleet_config(port: int, servers: tuple[str, str]) -> str:
    """docs/haproxy.cfg listening on 127.0.0.1:`port`, partition I on `servers[I]`."""
    text = CONFIG.read_text()
    assert text.count(LISTEN) == 1, f"{CONFIG} no longer has one `{LISTEN}`"
    text = text.replace(LISTEN, f"bind 127.0.0.1:{port}")
    for placeholder, address in zip(ADDRESSES, servers, strict=True):
        # Once in the partition's backend, once in `any`.
        assert text.count(placeholder) == 2, f"{CONFIG}: {placeholder} is not in two backends"
        text = text.replace(placeholder, address)
    return text


class HAProxy:
    """`haproxy -db -f <config>` in the foreground, its output in a file."""

    def __init__(self, binary: str, config: str, workdir: Path) -> None:
        self.config_path = workdir / "haproxy.cfg"
        self.config_path.write_text(config)
        self.log_path = workdir / "haproxy.log"
        check = subprocess.run(
            [binary, "-c", "-f", str(self.config_path)], capture_output=True, text=True
        )
        assert check.returncode == 0, f"haproxy -c refused the config:\n{check.stderr}"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [binary, "-db", "-f", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
