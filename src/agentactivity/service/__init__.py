"""The service: the store and the engine kept in step (activity), agents' live state and
its change feed (live_state), and the caches of configuration every answer reads
(reason_names, directory); reports one local day at a time (report).

May import the domain modules, store/ and engine/; api/, serve/ and cli/ import it.
"""

from agentactivity.service.activity import ActivityService

__all__ = ["ActivityService"]
