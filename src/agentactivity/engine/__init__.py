"""Pure computation: timelines from events, figures over scopes, response shaping.

No I/O. May import the domain modules (events, query, retention, clock); the service
imports it.
"""

from agentactivity.engine.core import Engine

__all__ = ["Engine"]
