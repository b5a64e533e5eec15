"""`agentactivity connectors twilio`: set up an account's Twilio TaskRouter connector."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agentactivity.cli.common import DbOption, err, fail

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def twilio(
    account: Annotated[str, typer.Option("--account", help="Account id, e.g. 12345678.")],
    auth_token: Annotated[
        str | None,
        typer.Option(
            "--auth-token",
            help="The Twilio account's auth token (Console > Account info): it keys "
            "X-Twilio-Signature. Required the first time; give it again to rotate it.",
            show_default=False,
        ),
    ] = None,
    activity: Annotated[
        list[str] | None,
        typer.Option(
            "--activity",
            help="NAME=STATE: map a TaskRouter activity to ONLINE, BACK_SOON, AWAY or "
            "OFFLINE (repeat for several; added to the mapping already saved). Unmapped: "
            "Offline -> OFFLINE, Available -> ONLINE, any other -> AWAY with the activity "
            "name as status reason.",
            show_default=False,
        ),
    ] = None,
    clear_activities: Annotated[
        bool,
        typer.Option(
            "--clear-activities", help="Forget the saved mapping first (back to the defaults)."
        ),
    ] = False,
    capacity_attribute: Annotated[
        str | None,
        typer.Option(
            "--capacity-attribute",
            help="The WorkerAttributes key holding a worker's chat limit, read on "
            "worker.capacity.update callbacks without WorkerChannelCapacity. Default: maxChats.",
            show_default=False,
        ),
    ] = None,
    chat_channel: Annotated[
        str | None,
        typer.Option(
            "--chat-channel",
            help="The TaskChannel unique name whose tasks are chats. Default: chat.",
            show_default=False,
        ),
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the saved settings; change nothing.")
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The service's public base URL, to print the callback URL. Default: "
            f"$AGENTACTIVITY_PUBLIC_URL, else {DEFAULT_BASE_URL}.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Connect a Twilio TaskRouter Workspace: save the account's auth token and activity
    mapping, and print the URL to set as the Workspace's EventCallbackUrl.

    \b
    Examples:
      agentactivity connectors twilio --account 12345678 --auth-token 0123abcd...
      agentactivity connectors twilio --account 12345678 --activity 'Wrap Up=BACK_SOON' \\
          --activity 'Training=AWAY' --public-url https://agents.example.com
      agentactivity connectors twilio --account 12345678 --show

    A later call changes only what it names: options given replace those saved,
    --activity entries are added to the saved mapping (--clear-activities first to start
    over). Prints {"accountId", "callbackUrl", "settings"} as JSON (never the token).
    Takes effect on the next callback; the service need not restart.
    """
    from agentactivity.api.paths import TWILIO_PATH
    from agentactivity.cli.common import check_account, load_settings, open_db
    from agentactivity.platforms.twilio import (
        CONNECTOR,
        DEFAULT_CAPACITY_ATTRIBUTE,
        DEFAULT_CHAT_CHANNEL,
        SettingsProblem,
        TwilioSettings,
        parse_activity_option,
    )
    from agentactivity.service import ActivityService
    from agentactivity.service.connectors import ConnectorIngest
    from agentactivity.store import StoreError

    check_account(account)
    changes = (auth_token, activity, capacity_attribute, chat_channel)
    if show and (clear_activities or changes != (None,) * 4):
        raise fail("--show only prints the settings; give it alone with --account", 2)
    for name, value in (
        ("--auth-token", auth_token),
        ("--capacity-attribute", capacity_attribute),
        ("--chat-channel", chat_channel),
    ):
        if value is not None and not value.strip():
            raise fail(f"{name}: must not be empty", 2)
    try:
        mapping = dict(parse_activity_option(text) for text in activity or [])
        settings = load_settings(db, public_url=public_url)
    except SettingsProblem as exc:
        raise fail(str(exc), 2) from exc
    store = open_db(settings)
    try:
        connectors = ConnectorIngest(ActivityService(store, settings))
        stored = connectors.settings(account, CONNECTOR)
        if show and not stored:
            raise fail(
                f"account {account} has no Twilio connector yet; set one up with --auth-token"
            )
        if not stored and auth_token is None:
            raise fail("--auth-token: required the first time (the Twilio account's auth token)", 2)
        saved = TwilioSettings.from_json(stored) if stored else None
        current = TwilioSettings(
            auth_token=(auth_token or "").strip() or (saved.auth_token if saved else ""),
            activities={
                **({} if clear_activities or saved is None else saved.activities),
                **mapping,
            },
            capacity_attribute=(capacity_attribute or "").strip()
            or (saved.capacity_attribute if saved else DEFAULT_CAPACITY_ATTRIBUTE),
            chat_channel=(chat_channel or "").strip()
            or (saved.chat_channel if saved else DEFAULT_CHAT_CHANNEL),
        )
        if not show:
            connectors.save_settings(account, CONNECTOR, current.to_json())
    except (StoreError, SettingsProblem) as exc:
        raise fail(str(exc)) from exc
    finally:
        store.close()
    base = (settings.public_url or DEFAULT_BASE_URL).rstrip("/")
    callback_url = base + TWILIO_PATH.format(accountId=account)
    if not show:
        err.print(
            f"Saved. Set the Workspace's EventCallbackUrl to {callback_url}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    print(
        json.dumps(
            {"accountId": account, "callbackUrl": callback_url, "settings": current.public_json()},
            indent=2,
        )
    )


def register(group: typer.Typer) -> None:
    group.command("twilio")(twilio)
