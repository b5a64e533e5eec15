"""agentactivity: agent state distribution, compatible with the legacy Agent Activity API."""

__version__ = "0.1.0"
