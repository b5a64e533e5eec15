"""`agentactivity dashboard-link`: make, list and revoke dashboard links."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agentactivity.cli.common import DbOption, fail
from agentactivity.clock import now_ms
from agentactivity.dashboard_token import TOKEN_ID, DashboardToken, iso, issue, parse_ttl
from agentactivity.directory_items import is_group_id
from agentactivity.store import Store

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_TTL = "8h"


def dashboard_url(base_url: str, token: str) -> str:
    """The link: the token rides in the fragment, which browsers never send to a server."""
    return f"{base_url.rstrip('/')}/dashboard#token={token}"


def _describe(token: DashboardToken, now_ms: int) -> dict[str, object]:
    return {
        "tokenId": token.token_id,
        "accountId": token.account_id,
        "label": token.label,
        "createdAt": token.created_at,
        "expiresAt": token.expires_at,
        "revokedAt": token.revoked_at,
        "groupId": token.group_id,
        "status": token.status(now_ms),
    }


def dashboard_link(
    account: Annotated[str, typer.Option("--account", help="Account id, e.g. 12345678.")],
    ttl: Annotated[
        str | None,
        typer.Option(
            "--ttl",
            help=f"How long the link works: minutes, hours or days (30m, 8h, 2d; up to "
            f"90d). Default: {DEFAULT_TTL}.",
            show_default=False,
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option("--label", help="A note shown by --list, e.g. 'floor 2 wallboard'."),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            metavar="GROUP_ID",
            help="A team link: it reads only this agent group's members and those of its "
            "sub-groups (figures, states, stream); anything else is refused (403). "
            "Default: the whole account.",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The service's address as browsers reach it. Default: "
            "$AGENTACTIVITY_PUBLIC_BASE_URI (https:// when it names only a host), "
            f"else {DEFAULT_BASE_URL}.",
            show_default=False,
        ),
    ] = None,
    list_links: Annotated[
        bool, typer.Option("--list", help="List the account's links and their status.")
    ] = False,
    revoke: Annotated[
        str | None,
        typer.Option(
            "--revoke",
            metavar="TOKEN_ID",
            help="Revoke the link with this token id (as --list or --json shows it), or "
            "'all' for every active link of the account; the next request is refused.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Print a dashboard link: a URL that opens the live dashboard of one account in a
    browser, with no OAuth 1.0a keys. The link carries a signed, read-only token that
    expires (--ttl) and can be revoked.

    \b
    Examples:
      agentactivity dashboard-link --account 12345678 --ttl 8h
      agentactivity dashboard-link --account 12345678 --group 3 --label 'Sales floor'
      agentactivity dashboard-link --account 12345678 --list
      agentactivity dashboard-link --account 12345678 --revoke 3f9c0a1b2c3d4e5f

    With --json, creating prints {"url", "tokenId", "accountId", "groupId", "expiresAt"}
    (epoch ms; groupId null for a link to the whole account).
    Anyone with the link can watch the account until it expires: share it like a key.
    """
    from agentactivity.cli.common import check_account, load_settings, open_db
    from agentactivity.store import StoreError

    check_account(account)
    if list_links and revoke is not None:
        raise fail("give at most one of --list and --revoke", 2)
    if (list_links or revoke is not None) and (ttl, label, base_url, group) != (None,) * 4:
        raise fail("--ttl, --label, --group and --base-url apply only when making a link", 2)
    if group is not None and not is_group_id(group):
        raise fail(f"--group {group!r}: a group id is -1 (the root) or a positive number", 2)
    if revoke is not None and revoke != "all" and not TOKEN_ID.fullmatch(revoke):
        raise fail(f"--revoke {revoke!r}: a token id is 16 hex digits (see --list), or all", 2)
    try:
        ttl_ms = parse_ttl(ttl or DEFAULT_TTL)
    except ValueError as exc:
        raise fail(f"--ttl {exc}", 2) from exc
    settings = load_settings(db)
    public = settings.public_base_uri
    if public and "://" not in public:  # a host, as domain discovery hands it out
        public = f"https://{public}"
    base = base_url or public or DEFAULT_BASE_URL
    if not base.startswith(("http://", "https://")):
        raise fail(f"--base-url {base!r}: give a URL starting with http:// or https://", 2)
    now = now_ms()
    store = open_db(settings)
    try:
        if list_links:
            _print_list(store.dashboard_tokens(account), now, as_json)
        elif revoke == "all":
            active = [t for t in store.dashboard_tokens(account) if t.status(now) == "active"]
            for link in active:
                store.revoke_dashboard_token(account, link.token_id, now)
            print(f"Revoked {len(active)} active link(s) of account {account}.")
        elif revoke is not None:
            revoked = store.revoke_dashboard_token(account, revoke, now)
            if revoked is None:
                raise fail(f"account {account} has no link {revoke} (see --list)")
            if as_json:
                print(json.dumps(_describe(revoked, now)))
            else:
                assert revoked.revoked_at is not None
                print(f"Link {revoke} of account {account} revoked at {iso(revoked.revoked_at)}.")
        else:
            if group is not None:
                _check_group(store, account, group)
            token, record = issue(store, account, ttl_ms, now, label or "", group)
            url = dashboard_url(base, token)
            if as_json:
                print(
                    json.dumps(
                        {
                            "url": url,
                            "tokenId": record.token_id,
                            "accountId": account,
                            "groupId": record.group_id,
                            "expiresAt": record.expires_at,
                        }
                    )
                )
            else:
                print(url)
                team = f" (team: group {group} and its sub-groups)" if group else ""
                typer.echo(
                    f"Read-only link {record.token_id} to account {account}'s dashboard{team}, "
                    f"valid until {iso(record.expires_at)}. Revoke it with: agentactivity "
                    f"dashboard-link --account {account} --revoke {record.token_id}",
                    err=True,
                )
    except StoreError as exc:
        raise fail(str(exc)) from exc
    finally:
        store.close()


def _print_list(tokens: list[DashboardToken], now: int, as_json: bool) -> None:
    if as_json:
        print(json.dumps([_describe(token, now) for token in tokens]))
        return
    if not tokens:
        print("No dashboard links.")
        return
    print(f"{'TOKEN ID':<16}  {'STATUS':<7}  {'CREATED':<20}  {'EXPIRES':<20}  {'GROUP':<8}  LABEL")
    for token in tokens:
        print(
            f"{token.token_id:<16}  {token.status(now):<7}  {iso(token.created_at):<20}  "
            f"{iso(token.expires_at):<20}  {token.group_id or 'all':<8}  {token.label}"
        )


def _check_group(store: Store, account: str, group: str) -> None:
    """A team link names a group the account has (not deleted)."""
    _, found = store.directory.groups.get(account, group)
    if found is None or found.deleted:
        state = "was deleted" if found is not None else "does not exist"
        raise fail(
            f"--group {group}: agent group {group} of account {account} {state}; list the "
            f"groups with GET /api/account/{account}/configuration/le-users/agentGroups",
        )


def register(app: typer.Typer) -> None:
    """Add `dashboard-link` to the `agentactivity` command."""
    app.command("dashboard-link")(dashboard_link)
