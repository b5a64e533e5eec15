"""Structured logs: one JSON object per line on stderr.

Every line has `time` (UTC, ISO 8601, milliseconds), `level`, `logger` and `message`;
a line logged while a request is handled also has `request_id` (the HTTP middleware sets
`REQUEST_ID` for the request, and `RequestIdFilter` copies it onto each record; the
context variable follows the request into the worker threads that run its blocking work).
Fields passed with `extra={...}` are added as they are, and an exception as `exc_info`.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

LEVELS = ("critical", "error", "warning", "info", "debug")

REQUEST_ID: ContextVar[str | None] = ContextVar("agentactivity_request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being handled (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, tz=UTC)
        payload: dict[str, Any] = {
            "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id is not None:
            payload["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in payload:
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        try:  # orjson: a fifth of json's time on every request's access line
            return orjson.dumps(payload, default=str).decode()
        except TypeError:  # what orjson will not write (an integer past 64 bits, ...)
            return json.dumps(payload, default=str)


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    """A handler writing JSON lines (to stderr by default), request ids included."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def setup_logging(level: str = "info", stream: TextIO | None = None) -> None:
    """Send every logger's records (uvicorn's included) to one JSON handler at `level`."""
    if level.lower() not in LEVELS:
        raise ValueError(f"log level {level!r}: choose from {', '.join(LEVELS)}")
    logging.basicConfig(level=level.upper(), handlers=[json_handler(stream)], force=True)
    logging.captureWarnings(True)
