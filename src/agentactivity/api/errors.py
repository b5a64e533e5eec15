"""JSON error responses: `{"status", "error", "message"}` plus `details` when several."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response


class ApiError(Exception):
    """An error to answer with; the message names the parameter or field at fault."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers


def error_body(status: int, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
    }
    if details:
        body["details"] = details
    return body


def error_response(error: ApiError) -> Response:
    return Response(
        orjson.dumps(error_body(error.status, error.message, error.details)),
        status_code=error.status,
        media_type="application/json",
        headers=error.headers,
    )
