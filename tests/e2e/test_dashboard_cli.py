"""`agentactivity dashboard-link` as an operator runs it beside a real server: make a
link, read with it, list, revoke; bad arguments are one line and exit code 2."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ACCOUNT, OTHER_ACCOUNT, Server, cli_env, run_cli

pytestmark = pytest.mark.e2e


def state_url(base_url: str, account: str = ACCOUNT) -> str:
    return f"{base_url}/api/account/{account}/agents/state"


def read_with(server: Server, token: str, account: str = ACCOUNT) -> requests.Response:
    return requests.get(
        state_url(server.base_url, account),
        params={"agentIds": "all"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_help_explains_the_command(tmp_path: Path) -> None:
    result = run_cli("dashboard-link", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for text in ("--account", "--ttl", "30m", "2d", "--revoke", "--list", "--json", "--base-url"):
        assert text in result.stdout, text


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--account", "no spaces"], "--account"),
        (["--account", ACCOUNT, "--ttl", "8x"], "--ttl"),
        (["--account", ACCOUNT, "--ttl", "100d"], "--ttl"),
        (["--account", ACCOUNT, "--revoke", "zz"], "--revoke"),
        (["--account", ACCOUNT, "--list", "--revoke", "0123456789abcdef"], "--list"),
        (["--account", ACCOUNT, "--list", "--ttl", "1h"], "--ttl"),
        (["--account", ACCOUNT, "--base-url", "ftp://example"], "--base-url"),
        (["--ttl", "1h"], "--account"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path, args: list[str], named: str) -> None:
    result = run_cli("dashboard-link", *args, "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr


def test_make_use_list_and_revoke_a_link(server: Server, tmp_path: Path) -> None:
    made = run_cli(
        "dashboard-link",
        *("--account", ACCOUNT, "--ttl", "30m", "--label", "floor 2"),
        *("--db", server.db_url, "--base-url", server.base_url, "--json"),
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    link = json.loads(made.stdout)
    assert set(link) == {"url", "tokenId", "accountId", "groupId", "expiresAt"}
    assert link["groupId"] is None  # the whole account
    prefix = f"{server.base_url}/dashboard#token="
    assert link["url"].startswith(prefix)
    token = link["url"][len(prefix) :]
    expected_expiry = time.time() * 1000 + 30 * 60_000
    assert abs(link["expiresAt"] - expected_expiry) < 60_000

    # The page is served, the token stays out of the request (fragment), and reads.
    page = requests.get(link["url"], timeout=10)
    assert page.status_code == 200 and "dashboard.js" in page.text
    answer = read_with(server, token)
    assert answer.status_code == 200, answer.text
    assert read_with(server, token, OTHER_ACCOUNT).status_code == 403

    text = run_cli("dashboard-link", "--account", ACCOUNT, "--db", server.db_url, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert text.stdout.strip().startswith("http://127.0.0.1:8080/dashboard#token=dt1.")
    assert "--revoke" in text.stderr

    listed = run_cli(
        "dashboard-link", "--account", ACCOUNT, "--list", "--db", server.db_url, cwd=tmp_path
    )
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if link["tokenId"] in line)
    assert "active" in row and "floor 2" in row

    revoked = run_cli(
        "dashboard-link",
        *("--account", ACCOUNT, "--revoke", link["tokenId"], "--db", server.db_url),
        cwd=tmp_path,
    )
    assert revoked.returncode == 0, revoked.stderr
    assert f"Link {link['tokenId']} of account {ACCOUNT} revoked" in revoked.stdout
    refused = read_with(server, token)
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]

    listed = run_cli(
        "dashboard-link",
        *("--account", ACCOUNT, "--list", "--json", "--db", server.db_url),
        cwd=tmp_path,
    )
    statuses = {item["tokenId"]: item["status"] for item in json.loads(listed.stdout)}
    assert statuses[link["tokenId"]] == "revoked"
    assert list(statuses.values()).count("active") == 1  # the text-mode link

    unknown = run_cli(
        "dashboard-link",
        *("--account", ACCOUNT, "--revoke", "0000000000000000", "--db", server.db_url),
        cwd=tmp_path,
    )
    assert unknown.returncode == 1 and "no link 0000000000000000" in unknown.stderr

    everything = run_cli(
        "dashboard-link",
        *("--account", ACCOUNT, "--revoke", "all", "--db", server.db_url),
        cwd=tmp_path,
    )
    assert everything.returncode == 0, everything.stderr
    assert f"Revoked 1 active link(s) of account {ACCOUNT}" in everything.stdout
    text_token = text.stdout.strip().split("#token=", 1)[1]
    assert read_with(server, text_token).status_code == 401


def test_the_public_address_of_domain_discovery_is_the_default_base(tmp_path: Path) -> None:
    env = cli_env(AGENTACTIVITY_PUBLIC_BASE_URI="activity.example.com")
    args = ("dashboard-link", "--account", ACCOUNT, "--db", str(tmp_path / "a.db"))
    result = run_cli(*args, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://activity.example.com/dashboard#token=dt1.")
    result = run_cli(*args, "--base-url", "http://10.0.0.5:8080/", cwd=tmp_path, env=env)
    assert result.stdout.startswith("http://10.0.0.5:8080/dashboard#token=dt1.")
