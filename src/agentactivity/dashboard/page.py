"""`GET /dashboard` and its static files, read from the installed package (no CDN, no
internet). The page holds no data, so it needs no authentication: its script reads the
token from the link's `#token=` fragment and sends it with every data request."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DASHBOARD_PATH = "/dashboard"
# path -> (file in dashboard/static, media type)
FILES = {
    DASHBOARD_PATH: ("index.html", "text/html; charset=utf-8"),
    f"{DASHBOARD_PATH}/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    f"{DASHBOARD_PATH}/charts.js": ("charts.js", "text/javascript; charset=utf-8"),
    f"{DASHBOARD_PATH}/wallboard.js": ("wallboard.js", "text/javascript; charset=utf-8"),
    f"{DASHBOARD_PATH}/teams.js": ("teams.js", "text/javascript; charset=utf-8"),
    f"{DASHBOARD_PATH}/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
    f"{DASHBOARD_PATH}/icon.svg": ("icon.svg", "image/svg+xml"),
}
SECURITY_HEADERS = {
    # Scripts, styles, images and connections from this server only; no inline script.
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    # The token lives in the fragment, which browsers never send; no Referer either.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _read(name: str) -> bytes:
    return (resources.files("agentactivity.dashboard") / "static" / name).read_bytes()


def dashboard_routes() -> list[Route]:
    """One route per file; each file is read once, when the app is built."""
    routes = []
    for path, (name, media_type) in FILES.items():
        content = _read(name)

        async def endpoint(
            request: Request, content: bytes = content, media_type: str = media_type
        ) -> Response:
            return Response(content, media_type=media_type, headers=SECURITY_HEADERS)

        routes.append(Route(path, endpoint, methods=["GET"]))
    return routes
