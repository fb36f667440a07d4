"""What requests and answers look like on the wire: the request value, responses and SES error shapes.

SES v1 (query protocol) answers in XML under the ``2010-12-01`` namespace; SES v2 (REST-JSON) answers in JSON
and names its errors in the ``x-amzn-ErrorType`` header, which is where botocore reads the error code from.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import orjson

V1_NAMESPACE = "http://ses.amazonaws.com/doc/2010-12-01/"


@dataclass(slots=True)
class Request:
    """One HTTP request as the emulator sees it (headers lower-cased, body fully read)."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    def query(self) -> dict[str, str]:
        """The query string as a dict (last value wins; blank values kept)."""
        return {k: v[-1] for k, v in parse_qs(self.raw_query, keep_blank_values=True).items()}

    def form(self) -> dict[str, str]:
        """The form-encoded body (v1 query protocol) as a dict."""
        text = self.body.decode("utf-8", "replace")
        return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}

    @property
    def host(self) -> str:
        """The Host header (what the client used to reach us)."""
        return self.headers.get("host", "127.0.0.1")


@dataclass(slots=True)
class Response:
    """An answer: a status, headers and either a body or an async stream of chunks."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    stream: AsyncIterator[bytes] | None = None
    declared_length: int | None = None  # > len(body): announce this length, send body, drop the connection
    drop: bool = False  # no answer at all: the connection is closed (the drop_connection fault)


DROPPED = Response(0, drop=True)


class ApiError(Exception):
    """An SES error: ``code`` as AWS names it, the HTTP ``status`` and the message AWS would give."""

    def __init__(self, code: str, message: str, status: int = 400, *, sender_fault: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.logged = False  # set once the attempt is in the sends log


def request_id() -> str:
    """A fresh request id in the form AWS uses (a UUID)."""
    return str(uuid.uuid4())


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON answer (v2 and the private endpoints)."""
    return Response(
        status,
        orjson.dumps(data),
        headers=[(b"x-amzn-requestid", request_id().encode())],
    )


def v2_error(error: ApiError) -> Response:
    """A v2 (REST-JSON) error: JSON body with ``message``, code in ``x-amzn-ErrorType``."""
    body = orjson.dumps({"message": error.message, "Message": error.message})
    return Response(
        error.status,
        body,
        headers=[
            (b"x-amzn-errortype", error.code.encode()),
            (b"x-amzn-requestid", request_id().encode()),
        ],
    )


def xml_element(name: str, value: Any) -> str:
    """Render ``value`` as query-protocol XML under ``name`` (dicts are structures, lists ``member``s)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        inner = "".join(xml_element(k, v) for k, v in value.items())
    elif isinstance(value, list):
        inner = "".join(xml_element("member", v) for v in value)
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape(str(value))
    return f"<{name}>{inner}</{name}>"


def v1_response(action: str, result: dict[str, Any] | None) -> Response:
    """A v1 (query protocol) success answer: ``<ActionResponse><ActionResult>...``."""
    result_xml = xml_element(f"{action}Result", result or {}) if result is not None else ""
    body = (
        f'<{action}Response xmlns="{V1_NAMESPACE}">{result_xml}'
        f"<ResponseMetadata><RequestId>{request_id()}</RequestId></ResponseMetadata></{action}Response>"
    )
    return Response(200, body.encode(), content_type="text/xml")


def v1_error(error: ApiError) -> Response:
    """A v1 error answer in the ``<ErrorResponse>`` shape botocore's query parser reads."""
    fault = "Sender" if error.sender_fault else "Receiver"
    body = (
        f'<ErrorResponse xmlns="{V1_NAMESPACE}"><Error><Type>{fault}</Type>'
        f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{request_id()}</RequestId></ErrorResponse>"
    )
    return Response(error.status, body.encode(), content_type="text/xml")


def s3_error(code: str, message: str, status: int = 403) -> Response:
    """An S3-style XML error (used for the pre-signed export download URLs)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return Response(status, body.encode(), content_type="application/xml")
