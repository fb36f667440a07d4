"""The bytes of SES's two raw-sending requests and answers, with no I/O: v2 ``SendEmail`` (REST-JSON, ``POST
/v2/email/outbound-emails``) and v1 ``SendRawEmail`` (query protocol, ``POST /`` form).

Requests are encoded from the same parameters botocore's ``send_email``/``send_raw_email`` take (the raw
message as bytes, base64-encoded here as botocore does). Error answers are read the way botocore's parsers
read them (code from ``x-amzn-ErrorType`` or the JSON ``__type``/``code``; v1 ``ErrorResponse/Error``; an
HTML or empty 5xx body gives the status as the code), so the SendError class is the one a ``ClientError``
for the same answer gets.
"""

from __future__ import annotations

import base64
import http.client
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

V2_PATH = "/v2/email/outbound-emails"
V2_BULK_PATH = "/v2/email/outbound-bulk-emails"
V2_CONTENT_TYPE = "application/json"
V1_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


class UnreadableAnswer(ValueError):
    """A success answer whose message id could not be read."""


def request_path(endpoint_url: str, path: str) -> str:
    """``path`` under the endpoint's own path, joined as botocore joins them."""
    base = urlsplit(endpoint_url).path
    if not path or path == "/":
        return base or "/"
    if base.endswith("/") and path.startswith("/"):
        return base[:-1] + path
    return base + path


def v2_body(params: Mapping[str, Any]) -> bytes:
    """The JSON body of a v2 call with ``params``: a SendEmail's ``Content.Raw.Data`` is bytes, base64-encoded
    here; anything else (a templated SendEmail, SendBulkEmail) is JSON as it is."""
    body = dict(params)
    content = body.get("Content")
    if isinstance(content, Mapping) and "Raw" in content:
        raw = content["Raw"]
        body["Content"] = {**content, "Raw": {**raw, "Data": base64.b64encode(raw["Data"]).decode("ascii")}}
    return json.dumps(body, separators=(",", ":")).encode()


def v1_body(params: Mapping[str, Any], version: str) -> bytes:
    """The form body of a v1 SendRawEmail call with ``params`` (``RawMessage.Data`` as bytes)."""
    fields = [f"Action=SendRawEmail&Version={_quote(version)}"]
    for name, value in params.items():
        if name == "RawMessage":
            data = base64.b64encode(value["Data"])
            # Only '+', '/' and '=' of the base64 alphabet need percent-encoding: bytes.replace is C speed.
            encoded = data.replace(b"+", b"%2B").replace(b"/", b"%2F").replace(b"=", b"%3D").decode("ascii")
            fields.append(f"RawMessage.Data={encoded}")
            continue
        fields.extend(f"{_quote(key)}={_quote(text)}" for key, text in _flatten(name, value))
    return "&".join(fields).encode()


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    # The query protocol's shapes: structure members by name, lists as prefix.member.N (SES v1 lists are
    # not flattened), booleans as true/false; an empty list is sent as an empty value, as botocore does.
    if isinstance(value, Mapping):
        return [pair for key, item in value.items() for pair in _flatten(f"{prefix}.{key}", item)]
    if isinstance(value, list | tuple):
        if not value:
            return [(prefix, "")]
        return [pair for i, item in enumerate(value, 1) for pair in _flatten(f"{prefix}.member.{i}", item)]
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [(prefix, str(value))]


def _quote(text: str) -> str:
    return quote(text, safe="-_.~")


def message_id(api: str, body: bytes) -> str:
    """The ``MessageId`` of a success answer (v2 JSON, v1 ``SendRawEmailResult``); UnreadableAnswer else."""
    try:
        if api == "v2":
            found = json.loads(body)["MessageId"]
        else:
            node = ElementTree.fromstring(body).find("{*}SendRawEmailResult/{*}MessageId")
            found = None if node is None else node.text
    except (ValueError, KeyError, TypeError, ElementTree.ParseError) as exc:
        raise UnreadableAnswer(f"no MessageId in the answer: {body[:200]!r}") from exc
    if not isinstance(found, str) or not found:
        raise UnreadableAnswer(f"no MessageId in the answer: {body[:200]!r}")
    return found


def bulk_results(body: bytes, count: int) -> list[dict[str, Any]]:
    """The ``BulkEmailEntryResults`` of a SendBulkEmail success answer, which must hold ``count`` entries;
    UnreadableAnswer else."""
    try:
        found = json.loads(body)["BulkEmailEntryResults"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UnreadableAnswer(f"no BulkEmailEntryResults in the answer: {body[:200]!r}") from exc
    if not isinstance(found, list) or len(found) != count or not all(isinstance(e, dict) for e in found):
        raise UnreadableAnswer(f"{count} BulkEmailEntryResults expected in the answer: {body[:200]!r}")
    return found


def error_of(api: str, status: int, headers: Mapping[str, str], body: bytes) -> tuple[str, str]:
    """The SES error code and message of an error answer (``headers`` with lower-case names), as botocore's
    parsers read them; an unreadable answer gives the status as the code (message: the reason phrase)."""
    stripped = body.strip()
    generic = (str(status), http.client.responses.get(status, ""))
    if status >= 500 and (not stripped or stripped.startswith(b"<html>")):
        return generic
    if api == "v2":
        return _json_error(status, headers, body)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return generic
    error = next((node for node in root.iter() if _local(node.tag) == "Error"), None)
    if error is None:
        return generic
    fields = {_local(node.tag): node.text or "" for node in error}
    return fields.get("Code", ""), fields.get("Message", "")


def _json_error(status: int, headers: Mapping[str, str], body: bytes) -> tuple[str, str]:
    parsed: Any = {}
    if body:
        text = body.decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = {"message": text}
    if not isinstance(parsed, dict):
        parsed = {}
    message = parsed.get("message", parsed.get("Message", ""))
    code: Any = parsed.get("__type", str(status))
    if "x-amzn-errortype" in headers:
        code = headers["x-amzn-errortype"]
    elif "code" in parsed or "Code" in parsed:
        code = parsed.get("code", parsed.get("Code", ""))
    code = str(code).split(":", 1)[0].rsplit("#", 1)[-1]
    return code, str(message or "")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


__all__ = [
    "V1_CONTENT_TYPE",
    "V2_BULK_PATH",
    "V2_CONTENT_TYPE",
    "V2_PATH",
    "UnreadableAnswer",
    "bulk_results",
    "error_of",
    "message_id",
    "request_path",
    "v1_body",
    "v2_body",
]
