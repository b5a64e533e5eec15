"""Every path the HTTP API serves, written once: the routes (app.py) and the OpenAPI
document (openapi/) both read them here, so a path cannot differ between what is served
and what is documented. The dashboard's paths are its own (dashboard/page.py)."""

from __future__ import annotations

# Agent Activity (the vendor's paths), ingest, agent state and its live stream.
EVENTS_PATH = "/api/account/{accountId}/events"
ACTIVITY_PATH = "/operations/api/account/{accountId}/agentactivity"
STATE_PATH = "/api/account/{accountId}/agents/state"
STREAM_PATH = STATE_PATH + "/stream"
# The activity report of SPEC section 9, as CSV.
REPORT_PATH = "/api/account/{accountId}/reports/activity.csv"
# Domain discovery, and the values its {serviceName} may take (others: 404).
DISCOVERY_PATH = "/api/account/{accountId}/service/{serviceName}/baseURI.json"
DISCOVERABLE_SERVICES = (
    "leDataReporting",
    "accountConfigReadOnly",
    "accountConfigReadWrite",
    "agentActivityDomain",
)
# Status changes (the vendor's Agent Activity API, its successor for WFM adherence).
STATUS_CHANGES_PATH = "/api/v2/account/{accountId}/status-changes"
# The status reasons (the vendor's Agent Status Reason API).
REASONS_PATH = "/api/account/{accountId}/configuration/le-agents/status-reasons"
REASON_PATH = REASONS_PATH + "/{statusReasonId}"
# People and teams (the vendor's Users and Agent Groups APIs).
USERS_PATH = "/api/account/{accountId}/configuration/le-users/users"
USER_PATH = USERS_PATH + "/{userId}"
AGENT_GROUPS_PATH = "/api/account/{accountId}/configuration/le-users/agentGroups"
AGENT_GROUP_PATH = AGENT_GROUPS_PATH + "/{agentGroupId}"
# Connectors (SPEC section 10): the platforms' own webhooks, each verified its own way:
# Twilio's callbacks, and Amazon Connect's agent events through Firehose.
TWILIO_PATH = "/api/account/{accountId}/connectors/twilio"
AMAZON_CONNECT_PATH = "/api/account/{accountId}/connectors/amazon-connect"
# Without authentication: the OpenAPI document and the operational endpoints.
OPENAPI_PATH = "/openapi.json"
HEALTHZ_PATH = "/healthz"
READYZ_PATH = "/readyz"
METRICS_PATH = "/metrics"
