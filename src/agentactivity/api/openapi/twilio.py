"""The Twilio TaskRouter connector (SPEC section 10): `POST .../connectors/twilio`."""

from __future__ import annotations

from agentactivity.api.openapi.common import (
    JSONObject,
    account_id_parameter,
    body_timeout,
    json_error,
    parameter,
    retry_after,
    store_unavailable,
)
from agentactivity.settings import Settings


def twilio_path_item(settings: Settings) -> JSONObject:
    return {
        "post": {
            "operationId": "postTwilioTaskRouterEvent",
            "summary": "Twilio TaskRouter event callback (the Workspace's EventCallbackUrl)",
            "description": "One TaskRouter event, form-encoded as TaskRouter sends it, "
            "verified with X-Twilio-Signature (HMAC-SHA1 keyed with the auth token saved by "
            "`agentactivity connectors twilio`, over the URL Twilio called and the sorted "
            "fields). worker.activity.update, reservation.accepted/wrapup/completed and "
            "worker.capacity.update (chat channel) become events; others change nothing. "
            "See docs/connectors.md.",
            "security": [],
            "parameters": [
                account_id_parameter(),
                parameter(
                    "header",
                    "X-Twilio-Signature",
                    "Base64 HMAC-SHA1 of the URL and the sorted form fields (Twilio's); "
                    "without it, 403 (once the account's connector is found).",
                    {"type": "string"},
                    required=False,
                ),
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["EventType"],
                            "additionalProperties": {"type": "string"},
                            "properties": {
                                name: {"type": "string"}
                                for name in (
                                    "EventType",
                                    "Sid",
                                    "TimestampMs",
                                    "Timestamp",
                                    "WorkerSid",
                                    "WorkerName",
                                    "WorkerAttributes",
                                    "WorkerActivityName",
                                    "TaskSid",
                                    "TaskChannelUniqueName",
                                    "WorkerChannelCapacity",
                                )
                            },
                        }
                    }
                },
            },
            "responses": {
                "204": {
                    "description": "Stored, a duplicate, or an event that changes nothing "
                    "(answered with Content-Type: application/json, as TaskRouter asks).",
                },
                "400": json_error(
                    400,
                    "A missing or malformed field (named), or an event the ingest rules "
                    "refuse (outside the live window); logged, as Twilio does not retry.",
                ),
                "403": json_error(403, "X-Twilio-Signature missing or not matching."),
                "404": json_error(404, "No Twilio connector is set up for the account."),
                "408": body_timeout(settings),
                "413": json_error(413, "The body is over 256 KiB."),
                "415": json_error(415, "The body is not application/x-www-form-urlencoded."),
                "429": retry_after(
                    json_error(429, "Past the account's connector limits; retry after 1 s.")
                ),
                "503": store_unavailable(),
            },
        }
    }
