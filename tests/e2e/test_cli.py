"""The `agentactivity` command line against a real server, as a person types it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e import timeline as tl
from tests.e2e.conftest import (
    ACCOUNT,
    Server,
    activity_url,
    create_keys,
    free_port,
    now_ms,
    oauth,
    run_cli,
    write_credentials,
)
from tests.simulated import PINNED_END, busy_end, pinned_events

pytestmark = pytest.mark.e2e

SIM_ACCOUNT = "55556666"  # simulated agents are 1001..: keep them apart from the timeline
POSTED = re.compile(r"Posted (\d+) events: (\d+) accepted, (\d+) duplicates")


@pytest.fixture(scope="module")
def keys(server: Server) -> dict[str, Any]:
    return create_keys(server.db_url, ACCOUNT, cwd=server.workdir)


@pytest.fixture(scope="module")
def creds_file(server: Server, keys: dict[str, Any]) -> Path:
    return write_credentials(keys, server.base_url, server.workdir / "creds.json")


@pytest.fixture(scope="module")
def ingested(server: Server, keys: dict[str, Any]) -> tuple[tl.Timeline, int]:
    timeline = tl.build(now_ms() - 1000)
    tl.ingest(server.base_url, ACCOUNT, oauth(keys), timeline.events)
    return timeline, now_ms()


def api_get(server: Server, keys: dict[str, Any], **params: Any) -> Any:
    answer = requests.get(
        activity_url(server.base_url, ACCOUNT),
        params={"agentIds": "all", "v": 1, **params},
        auth=oauth(keys),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def ok(result: Any) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return str(result.stdout)


def agent_row(table: str, agent: str) -> str:
    rows = [line for line in table.splitlines() if re.match(rf"^\W*{agent}\b", line)]
    assert rows, f"no row for agent {agent} in:\n{table}"
    return rows[0]


def _check_table(table: str, expected: dict[str, Any]) -> None:
    for agent, entries in expected.items():
        row = agent_row(table, agent)
        # Read at 80 columns (a plain terminal, or a pipe): ids and durations in full.
        assert "…" not in row, f"truncated at 80 columns: {row!r}\n{table}"
        assert tl.duration(entries[3]["value"]["total"]) in row, row  # logged in
        assert tl.duration(entries[0]["value"]["total"]) in row, row  # online
        assert tl.duration(entries[2]["value"]["total"]) in row, row  # away


def test_query_prints_a_readable_table(
    server: Server, creds_file: Path, ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    agents = {tl.D, tl.A, tl.B, tl.C}
    table = ok(
        run_cli(
            "query",
            "--credentials",
            str(creds_file),
            "--timeframe",
            "60",
            "--to",
            str(to),
            "--agents",
            ",".join(sorted(agents)),
            cwd=server.workdir,
        )
    )
    expected = tl.agents_metrics(timeline, to - 60 * tl.MIN, to, agents)["metricsPerAgent"]
    assert list(expected) == [tl.D, tl.A, tl.B]
    _check_table(table, expected)
    assert not re.search(rf"^\W*{tl.C}\b", table, re.MULTILINE)  # not logged in within the window
    lunch = re.search(rf"^\W*{tl.A}\s+{tl.LUNCH}\s+(\d+:\d\d:\d\d)", table, re.MULTILINE)
    assert lunch, table  # the Away reasons are shown too
    assert lunch.group(1) == tl.duration(expected[tl.A][2]["reasons"][0]["value"]["total"])


def test_query_table_shows_the_largest_agent_id_whole_at_80_columns(
    server: Server, creds_file: Path, ingested: tuple[tl.Timeline, int]
) -> None:
    """Agent ids go up to 2^63-1 (19 digits); the table must not cut them or the figures."""
    timeline, to = ingested
    table = ok(
        run_cli(
            "query",
            "--credentials",
            str(creds_file),
            "--timeframe",
            "60",
            "--to",
            str(to),
            cwd=server.workdir,
        )
    )
    _check_table(table, tl.agents_metrics(timeline, to - 60 * tl.MIN, to)["metricsPerAgent"])


def test_query_json_is_the_api_answer(
    server: Server, keys: dict[str, Any], creds_file: Path, ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    printed = json.loads(
        ok(
            run_cli(
                "query",
                "--credentials",
                str(creds_file),
                "--timeframe",
                "60",
                "--to",
                str(to),
                "--json",
                cwd=server.workdir,
            )
        )
    )
    assert printed == api_get(server, keys, timeframe=60, to=to)
    assert printed == tl.expected_response(timeline, to, 60)
    # Without --to it still answers the same agents, with figures of "now".
    before = now_ms()
    live = json.loads(
        ok(
            run_cli(
                "query",
                "--credentials",
                str(creds_file),
                "--timeframe",
                "60",
                "--json",
                cwd=server.workdir,
            )
        )
    )
    tl.assert_between(
        live,
        tl.expected_response(timeline, before, 60),
        tl.expected_response(timeline, now_ms(), 60),
    )


def test_query_with_interval_shows_each_interval(
    server: Server, creds_file: Path, ingested: tuple[tl.Timeline, int]
) -> None:
    timeline, to = ingested
    args = (
        "query",
        "--credentials",
        str(creds_file),
        "--timeframe",
        "60",
        "--interval",
        "15",
        "--to",
        str(to),
    )
    as_json = json.loads(ok(run_cli(*args, "--json", cwd=server.workdir)))
    assert as_json == tl.expected_response(timeline, to, 60, interval=15)
    table = ok(run_cli(*args, cwd=server.workdir))
    titles = re.findall(r"Interval ending (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", table)
    stamps = [
        datetime.fromtimestamp(i["timestamp"] / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
        for i in as_json["metricsByIntervals"]
    ]
    assert titles == stamps and len(stamps) in (4, 5)
    assert "Whole window" in table


def test_simulate_posts_deterministically_and_idempotently(server: Server, tmp_path: Path) -> None:
    sim_keys = create_keys(server.db_url, SIM_ACCOUNT, cwd=tmp_path)
    creds = write_credentials(sim_keys, server.base_url, tmp_path / "sim.json")
    # Posted, so near now (the server keeps 7 days); the latest window with events.
    end = str(busy_end(5, 1, 2, now_ms() - 5_000))
    args = ("simulate", "--agents", "5", "--hours", "2", "--end", end, "--post", str(creds))

    first = run_cli(*args, cwd=tmp_path)
    ok(first)
    match = POSTED.search(first.stderr + first.stdout)
    assert match, first.stderr
    total, accepted, duplicates = map(int, match.groups())
    assert total > 0 and (accepted, duplicates) == (total, 0)

    second = run_cli(*args, "--batch", "7", cwd=tmp_path)
    ok(second)
    match = POSTED.search(second.stderr + second.stdout)
    assert match, second.stderr
    assert tuple(map(int, match.groups())) == (total, 0, total)

    # What was posted is what `--output -` prints for the same arguments.
    lines = ok(
        run_cli(
            "simulate", "--agents", "5", "--hours", "2", "--end", end, "--output", "-", cwd=tmp_path
        )
    ).splitlines()
    assert len(lines) == total


def test_simulate_output_to_stdout_is_ndjson(tmp_path: Path) -> None:
    end = PINNED_END  # not posted: a fixed window, the same events at any date and hour
    args = ("simulate", "--agents", "5", "--hours", "2", "--end", str(end), "--output", "-")
    out = ok(run_cli(*args, cwd=tmp_path))
    assert out == ok(run_cli(*args, cwd=tmp_path))  # deterministic
    events = [json.loads(line) for line in out.splitlines()]
    assert events
    for ev in events:
        assert ev["type"] in ("state", "chat_start", "chat_end", "max_chats")
        assert end - 2 * 3600_000 <= ev["time"] <= end
        assert 1001 <= int(ev["agentId"]) <= 1005 and ev["eventId"]
    assert [ev["time"] for ev in events] == sorted(ev["time"] for ev in events)
    assert len({ev["eventId"] for ev in events}) == len(events)
    # What the browser test posts (moved in time) is what this command writes.
    assert events == pinned_events(5, 1, 2, end)
    assert not list(tmp_path.iterdir())  # nothing written to the working folder


def _assert_usage_error(result: Any, mentions: str) -> None:
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line error, got:\n{result.stderr}"
    assert mentions in lines[0] and "Traceback" not in result.stderr


def test_bad_timeframe_is_a_usage_error(creds_file: Path, tmp_path: Path) -> None:
    result = run_cli("query", "--credentials", str(creds_file), "--timeframe", "abc", cwd=tmp_path)
    _assert_usage_error(result, "--timeframe")


def test_bad_account_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(
        "keys", "create", "--account", "a b", "--db", f"sqlite:///{tmp_path}/k.db", cwd=tmp_path
    )
    _assert_usage_error(result, "--account")
    assert not (tmp_path / "k.db").exists()


@pytest.mark.parametrize(
    "command",
    ["serve", "keys create", "query", "simulate", "demo", "agents import", "agents export"],
)
def test_every_sub_command_has_help_with_an_example(command: str, tmp_path: Path) -> None:
    result = run_cli(*command.split(), "--help", cwd=tmp_path)
    text = ok(result)
    assert f"agentactivity {command}" in text
    assert "example" in text.lower(), f"`agentactivity {command} --help` shows no example:\n{text}"


@pytest.mark.parametrize("command", ["", "keys", "agents"])
def test_group_help_exits_0(command: str, tmp_path: Path) -> None:
    text = ok(run_cli(*command.split(), "--help", cwd=tmp_path))
    assert "Commands" in text


def test_query_against_nothing_says_the_server_cannot_be_reached(
    keys: dict[str, Any], tmp_path: Path
) -> None:
    creds = write_credentials(keys, f"http://127.0.0.1:{free_port()}", tmp_path / "c.json")
    result = run_cli("query", "--credentials", str(creds), "--timeframe", "60", cwd=tmp_path)
    assert result.returncode != 0
    assert "cannot reach" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_admin_keys_change_status_reasons_and_default_keys_do_not(
    server: Server, keys: dict[str, Any]
) -> None:
    assert sorted(keys["scopes"]) == ["ingest", "read"]  # admin is never a default
    admin = create_keys(server.db_url, ACCOUNT, "admin", cwd=server.workdir)
    assert admin["scopes"] == ["admin"]
    reasons = f"{server.base_url}/api/account/{ACCOUNT}/configuration/le-agents/status-reasons"
    refused = requests.post(reasons, json={"text": "Lunch"}, auth=oauth(keys), timeout=10)
    assert refused.status_code == 403 and "admin" in refused.json()["message"]
    # A real OAuth 1.0a client: create, then rename through the method override.
    created = requests.post(reasons, json=[{"text": "Lunch"}], auth=oauth(admin), timeout=10)
    assert created.status_code == 200, created.text
    (item,) = created.json()
    renamed = requests.post(
        f"{reasons}/{item['id']}",
        json={"text": "Long lunch"},
        headers={"X-HTTP-Method-Override": "PUT", "If-Match": created.headers["ac-revision"]},
        auth=oauth(admin),
        timeout=10,
    )
    assert renamed.status_code == 200, renamed.text
    listed = requests.get(reasons, params={"v": "2.0"}, auth=oauth(keys), timeout=10)
    assert listed.status_code == 200, listed.text
    assert [r["text"] for r in listed.json() if r["id"] == item["id"]] == ["Long lunch"]
    assert listed.headers["ac-revision"] == renamed.headers["ac-revision"]


def test_an_unknown_scope_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(
        *("keys", "create", "--account", "1", "--scope", "root"),
        *("--db", f"sqlite:///{tmp_path}/k.db"),
        cwd=tmp_path,
    )
    _assert_usage_error(result, "--scope")
    assert "admin" in result.stderr
