"""The dashboard in the document: the page and its files (no authentication, no data),
and the security schemes of dashboard tokens, which read operations accept."""

from __future__ import annotations

from agentactivity.api.openapi.common import JSONObject
from agentactivity.dashboard.page import FILES

_OPERATIONS = {
    "index.html": ("getDashboard", "The dashboard page"),
    "dashboard.js": ("getDashboardScript", "The dashboard's script"),
    "charts.js": ("getDashboardCharts", "The dashboard's charts (a script module)"),
    "wallboard.js": ("getDashboardWallboard", "The dashboard's wallboard (a script module)"),
    "teams.js": ("getDashboardTeams", "The dashboard's team picker (a script module)"),
    "dashboard.css": ("getDashboardStyles", "The dashboard's styles"),
    "icon.svg": ("getDashboardIcon", "The dashboard's icon"),
}


def dashboard_path_items() -> dict[str, JSONObject]:
    items: dict[str, JSONObject] = {}
    for path, (name, media_type) in FILES.items():
        operation_id, summary = _OPERATIONS[name]
        items[path] = {
            "get": {
                "operationId": operation_id,
                "summary": summary,
                "description": "Served from the installed package. The page holds no data; "
                "its script reads the token from the link's `#token=` fragment (see "
                "`agentactivity dashboard-link`) and calls the read operations with it.",
                "tags": ["dashboard"],
                "security": [],
                "responses": {
                    "200": {
                        "description": f"The file {name}.",
                        "content": {media_type.split(";")[0]: {"schema": {"type": "string"}}},
                    }
                },
            }
        }
    return items


DASHBOARD_SECURITY_SCHEMES: JSONObject = {
    "DashboardToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "A dashboard link's token (`agentactivity dashboard-link`): "
            "`dt1.<accountId>.<tokenId>.<expiresAt>.<signature>`, HMAC-SHA256 signed. "
            "Read operations of its own account only; refused with 401 once expired or "
            "revoked. Taken when the Authorization header uses the Bearer scheme."
        ),
    },
    "DashboardTokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "access_token",
        "description": (
            "The same token as a query parameter, for clients that cannot set headers "
            "(a browser's EventSource). Read only when the request has no Authorization "
            "header."
        ),
    },
}
