"""Amazon Connect through Firehose (SPEC section 10): `POST .../connectors/amazon-connect`,
its request and answer in Firehose's formats, and the access key's security scheme."""

from __future__ import annotations

from agentactivity.api.openapi.common import JSONObject, account_id_parameter, closed_object
from agentactivity.platforms.firehose import MAX_ACCEPTED_BYTES, MAX_ERROR_CHARS, MAX_RECORDS

FIREHOSE_SECURITY_SCHEMES: JSONObject = {
    "FirehoseAccessKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Amz-Firehose-Access-Key",
        "description": "A key made by `agentactivity connectors amazon-connect --account "
        "ID`, set as the Firehose stream's HTTP endpoint access key.",
    }
}

_ANSWER = closed_object(
    ["requestId", "timestamp"],
    {
        "requestId": {"type": "string", "description": "The request's `requestId`."},
        "timestamp": {"type": "integer", "description": "Epoch milliseconds of the answer."},
        "errorMessage": {"type": "string", "maxLength": MAX_ERROR_CHARS},
    },
    "Firehose's response format; `errorMessage` on every answer but 200.",
)


def _answer(description: str) -> JSONObject:
    return {"description": description, "content": {"application/json": {"schema": _ANSWER}}}


def amazon_connect_path_item() -> JSONObject:
    record = closed_object(
        ["data"],
        {"data": {"type": "string", "contentEncoding": "base64"}},
        "One agent event of Connect's agent event stream, base64.",
    )
    request = {
        "type": "object",
        "required": ["requestId", "timestamp", "records"],
        "properties": {
            "requestId": {"type": "string", "minLength": 1, "maxLength": 256},
            "timestamp": {"type": "integer", "minimum": 0},
            "records": {"type": "array", "minItems": 1, "maxItems": MAX_RECORDS, "items": record},
        },
    }
    return {
        "post": {
            "operationId": "deliverAmazonConnectEvents",
            "summary": "Amazon Connect agent events, as Kinesis Data Firehose delivers them",
            "description": "Firehose's HTTP endpoint delivery (request and response "
            "formats as Firehose documents them; `Content-Encoding: gzip` or none; bodies "
            f"up to {MAX_ACCEPTED_BYTES} bytes, never a 413). Every record is read and "
            "checked before anything is stored; answered 200 only when every derived event "
            "is stored. See docs/connectors.md.",
            "tags": ["connectors"],
            "security": [{"FirehoseAccessKey": []}],
            "parameters": [account_id_parameter()],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": request}},
            },
            "responses": {
                "200": _answer("Every event of every record is stored (or was already)."),
                "400": _answer(
                    "A record or the body cannot be read (the message names `records[i]` "
                    "and the field); nothing of the request is stored."
                ),
                "401": _answer("No access key, or not one of the account's."),
                "403": _answer("The access key of another account."),
                "404": _answer("Malformed account id."),
                "408": _answer("The body did not arrive within 120 s."),
                "429": _answer("Over the account's webhook limits; Firehose retries."),
                "503": _answer("The store is unavailable; Firehose retries."),
            },
        }
    }
