"""Pure computation: timelines from events, figures over scopes, response shaping."""

from agentactivity.engine.core import Engine
from agentactivity.engine.render import StateNames

__all__ = ["Engine", "StateNames"]
