"""The one rule for tests that need a real server (PostgreSQL, Redis): under CI they
must run, so an unreachable server fails them; elsewhere they skip, saying how to enable."""

from __future__ import annotations

import os

import pytest


def require_service(problem: str | None, message: str, ci_hint: str, how_to_enable: str) -> None:
    """Return if `problem` is None; else fail (CI=true) or skip with `how_to_enable`."""
    if problem is None:
        return
    message = f"{message} ({problem})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}: {ci_hint}")
    pytest.skip(f"{message}: {how_to_enable}")
