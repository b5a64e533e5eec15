"""`agentactivity connectors ...`: setting up, per account, the connectors that take
events from where platforms already publish them (SPEC section 10; docs/connectors.md).
Each platform's command lives in its own module and registers itself on
`connectors_app` here."""

from __future__ import annotations

import typer

from agentactivity.cli.amazon_connect import register as register_amazon_connect
from agentactivity.cli.twilio import register as register_twilio

connectors_app = typer.Typer(
    help="Connect a platform: take agent events from Twilio TaskRouter's callbacks or "
    "Amazon Connect's agent event stream (through Kinesis Data Firehose) without writing "
    "code. The message-broker connector is `agentactivity consume`. See docs/connectors.md.",
    no_args_is_help=True,
)
register_amazon_connect(connectors_app)
register_twilio(connectors_app)


def register(app: typer.Typer) -> None:
    app.add_typer(connectors_app, name="connectors")
