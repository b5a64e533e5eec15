"""The service: the store and the engine kept in step (activity), and the caches of
configuration every answer reads (reason_names, directory).

May import the domain modules, store/ and engine/; api/, serve/ and cli/ import it.
"""

from agentactivity.service.activity import ActivityService

__all__ = ["ActivityService"]
