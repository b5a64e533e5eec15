"""agentactivity: agent state distribution, compatible with the legacy Agent Activity API.

The rooms, each importing only those before it (docs/architecture.md, The map):
the domain (the modules here: events, query, clock, credentials, ...) <- store/ and
engine/ <- service/ <- api/ (with dashboard/, the page) <- serve/ <- cli/.
"""

__version__ = "0.1.0"
