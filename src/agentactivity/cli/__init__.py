"""The command line: `agentactivity serve | keys | query | simulate | demo | db | export |
import | dashboard-link | agents | report`, its tables and progress bars, and the small
API client `query` uses.

May import every other room (it is the top, with serve/); nothing imports it.
"""

from agentactivity.cli.main import app, main

__all__ = ["app", "main"]
