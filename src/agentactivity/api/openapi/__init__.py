"""The OpenAPI 3.1 description of the HTTP API, served at `GET /openapi.json`.

Built from the running service's settings (limits, state names), so the document tells a
client the bounds this deployment enforces. Schemas are as tight as JSON Schema allows
(the tests run schemathesis against them); what JSON Schema cannot say (an event's time
inside the retention window, `interval` dividing `timeframe`, `to` not in the future,
at most N distinct agent ids) is written in the descriptions and answered with 400.
"""

from agentactivity.api.openapi.common import NDJSON, SECURITY, JSONObject, integer_range_pattern
from agentactivity.api.openapi.document import build_openapi, openapi_endpoint

__all__ = [
    "JSONObject",
    "NDJSON",
    "SECURITY",
    "build_openapi",
    "integer_range_pattern",
    "openapi_endpoint",
]
