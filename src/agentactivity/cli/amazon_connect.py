"""`agentactivity connectors amazon-connect`: an access key for an account's Firehose
stream (Amazon Connect's agent events, SPEC section 10; docs/connectors.md)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agentactivity.cli.common import AccountOption, DbOption, check_account, err, fail, where
from agentactivity.clock import now_ms
from agentactivity.platforms.firehose import KEYS_FIELD, new_access_key, with_key

CONNECTOR = "amazon-connect"
PATH = "/api/account/{account}/connectors/amazon-connect"


def amazon_connect(
    account: AccountOption,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Revoke every other key of the account: only the new one works from now.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Make an access key for the account's Kinesis Data Firehose stream and print it.

    Example: agentactivity connectors amazon-connect --account 12345678

    Prints {"accountId": ..., "accessKey": ...} on stdout, and on stderr the URL to give
    Firehose as its HTTP endpoint. Set the key as the endpoint's access key: Firehose
    sends it in X-Amz-Firehose-Access-Key. Only a digest of the key is stored, so it
    cannot be shown again: keep it in your secret store.

    Rotation: each run adds a key and keeps the others working, so you can change the
    stream to the new key without losing a delivery; then run again with --replace (or
    make the next key with --replace) to revoke the old ones.

    Example (the new key becomes the only one): agentactivity connectors amazon-connect
    --account 12345678 --replace

    The URL starts with $AGENTACTIVITY_PUBLIC_URL (else $AGENTACTIVITY_PUBLIC_BASE_URI)
    when set (Firehose calls only https on port 443: put the service behind a TLS proxy).
    """
    from agentactivity.cli.common import load_settings, open_db
    from agentactivity.store import StoreError

    check_account(account)
    settings = load_settings(db)
    store = open_db(settings)
    key = new_access_key(account)
    try:
        store.ensure_account(account)
        updated = store.connectors.change_settings(
            account, CONNECTOR, lambda current: with_key(current, key, now_ms(), replace)
        )
    except StoreError as exc:
        raise fail(f"{where(store)}: {exc}") from exc
    finally:
        store.close()
    print(json.dumps({"accountId": account, "accessKey": key}))
    # The service's public URL (AGENTACTIVITY_PUBLIC_URL, as Twilio's set-up uses), else
    # the host discovery answers.
    base = settings.public_url or settings.public_base_uri or "https://YOUR-HOST"
    if "://" not in base:
        base = f"https://{base}"
    valid = len(updated[KEYS_FIELD])
    err.print(
        f"Firehose HTTP endpoint URL: {base.rstrip('/')}{PATH.format(account=account)}\n"
        f"Access key: the accessKey above ({valid} key{'s' if valid != 1 else ''} of "
        f"account {account} now valid{'; every other one revoked' if replace else ''}).",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def register(group: typer.Typer) -> None:
    group.command("amazon-connect")(amazon_connect)
