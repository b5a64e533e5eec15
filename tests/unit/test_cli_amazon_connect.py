"""`agentactivity connectors amazon-connect`: a key printed as JSON, its digest stored,
several valid at once until --replace."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agentactivity.cli.main import app
from agentactivity.platforms.firehose import key_matches
from agentactivity.store import open_store


def test_keys_are_added_then_replaced(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    runner = CliRunner()
    args = ["connectors", "amazon-connect", "--account", "acme", "--db", db]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    third = runner.invoke(app, [*args, "--replace"])
    assert (first.exit_code, second.exit_code, third.exit_code) == (0, 0, 0), first.output
    keys = [json.loads(r.stdout.splitlines()[0])["accessKey"] for r in (first, second, third)]
    assert json.loads(first.stdout.splitlines()[0])["accountId"] == "acme"
    assert "/api/account/acme/connectors/amazon-connect" in first.stderr
    store = open_store(db)
    try:
        settings = store.connectors.settings("acme", "amazon-connect") or {}
    finally:
        store.close()
    assert [key_matches(settings, key) for key in keys] == [False, False, True]
    assert all(key not in json.dumps(settings) for key in keys)  # only digests are kept
