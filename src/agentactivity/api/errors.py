"""The error a handler raises to answer with, and its JSON body: `{"status", "error",
"message"}` plus `details` when several (common.error_response makes the answer)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from agentactivity.events import BatchRefused


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


def batch_refusal(refused: BatchRefused) -> ApiError:
    """A refused ingest batch as HTTP says it: 413 over the size limit, else 400 with
    every bad event in `details`."""
    details = [{"index": p.index, "message": p.message} for p in refused.problems]
    return ApiError(413 if refused.too_large else 400, str(refused), details or None)
