"""The process runtime: uvicorn under our signals (server), the life of a serving process
(run), and `serve --workers N` (supervisor and worker).

May import the api, the service and everything below them; only cli/ imports it.
"""

from agentactivity.serve.run import Listen, run_service

__all__ = ["Listen", "run_service"]
