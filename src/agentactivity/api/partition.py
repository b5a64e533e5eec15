"""421 Misdirected Request for accounts another partition holds (`serve --partition`).

A pure ASGI layer in front of everything: it reads only the path, so a misdirected
request is answered before authentication, before its body is read and before anything
touches the engine (which holds only this partition's accounts). The load balancer
(docs/haproxy.cfg) computes the same partition on the same path, so clients going
through it never see a 421; one does when a server is addressed directly, or while the
balancer's configuration and the servers' partitions disagree (docs/scaling.md).

Domain discovery answers on every partition: it carries no account data, and a client
asks it before it knows where anything is.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from agentactivity.api.request_limits import refuse
from agentactivity.partitions import Partition

# The account id of every account path: /api/account/{id}/..., the vendor's
# /operations/api/account/{id}/... and /api/v2/account/{id}/... (api/paths.py).
ACCOUNT_IN_PATH = re.compile(r"(?:/operations)?/api(?:/v2)?/account/([^/]+)(?:/.*)?")
DISCOVERY = re.compile(r"/api/account/[^/]+/service/[^/]+/baseURI\.json")


def path_account(path: str) -> str | None:
    """The account a request path names, or None for paths of no account."""
    match = ACCOUNT_IN_PATH.fullmatch(path)
    if match is None or DISCOVERY.fullmatch(path):
        return None
    return match[1]


class PartitionGuard:
    def __init__(self, app: ASGIApp, partition: Partition) -> None:
        self.app = app
        self.partition = partition

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.partition.everything:
            account = path_account(scope["path"])
            if account is not None and not self.partition.holds(account):
                owner = self.partition.owner(account)
                await refuse(
                    send,
                    421,
                    f"account {account} belongs to partition {owner}; this server is "
                    f"partition {self.partition}. Send requests through the load balancer "
                    "(docs/haproxy.cfg), which routes each account to its partition",
                )
                return
        await self.app(scope, receive, send)
