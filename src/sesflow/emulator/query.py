"""The SES v1 wire format (AWS query protocol): form-encoded parameters decoded through the input shape
(``Destination.ToAddresses.member.1``, ``Attributes.entry.1.key``) and XML answers written through the
output shape (``<OpResponse><OpResult>...``, lists of ``<member>``, maps of ``<entry>``).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape

from sesflow.emulator.wire import V1_NAMESPACE, ApiError, Response, escape, request_id


def _invalid(message: str) -> ApiError:
    return ApiError("InvalidParameterValue", message)


def _scalar(shape: Shape, text: str, name: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise ApiError("ValidationError", f"Value '{text}' for {name} is not an integer.") from None
    if kind in ("double", "float"):
        try:
            return float(text)
        except ValueError:
            raise ApiError("ValidationError", f"Value '{text}' for {name} is not a number.") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise ApiError("ValidationError", f"Value '{text}' for {name} is not a boolean.")
        return text.lower() == "true"
    if kind == "timestamp":
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                return float(text)
            except ValueError:
                raise _invalid(f"Value '{text}' for {name} is not an ISO 8601 timestamp.") from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    if kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(f"{name} is not valid base64.") from None
    return text


def _decode(shape: Shape, form: dict[str, str], prefix: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            wire = member.serialization.get("name", name)
            key = f"{prefix}.{wire}" if prefix else wire
            value = _decode(member, form, key)
            if value is not None:
                out[name] = value
        return out if out or prefix == "" or any(k.startswith(prefix + ".") for k in form) else None
    if kind == "list":
        items = []
        n = 1
        while True:
            item = _decode(shape.member, form, f"{prefix}.member.{n}")  # type: ignore[attr-defined]
            if item is None:
                break
            items.append(item)
            n += 1
        if not items and f"{prefix}" in form and form[prefix] == "":
            return []  # an explicitly empty list (``Name=``)
        return items or None
    if kind == "map":
        found: dict[str, Any] = {}
        n = 1
        while f"{prefix}.entry.{n}.key" in form:
            value = _decode(shape.value, form, f"{prefix}.entry.{n}.value")  # type: ignore[attr-defined]
            found[form[f"{prefix}.entry.{n}.key"]] = value
            n += 1
        return found or None
    text = form.get(prefix)
    if text is None:
        return None
    return _scalar(shape, text, prefix)


def decode_form(shape: Shape | None, form: dict[str, str]) -> dict[str, Any]:
    """The parameters of a v1 request, nested and typed as the input shape says."""
    if shape is None:
        return {}
    if shape.type_name != "structure":
        return {}
    out: dict[str, Any] = {}
    for name, member in shape.members.items():  # type: ignore[attr-defined]
        value = _decode(member, form, member.serialization.get("name", name))
        if value is not None:
            out[name] = value
    return out


def iso(t: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z`` (how query-protocol timestamps travel)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _xml(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        parts = []
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            item = value.get(name) if isinstance(value, dict) else None
            if item is None:
                continue
            tag = member.serialization.get("name", name)
            parts.append(f"<{tag}>{_xml(member, item)}</{tag}>")
        return "".join(parts)
    if kind == "list":
        tag = shape.member.serialization.get("name", "member")  # type: ignore[attr-defined]
        return "".join(f"<{tag}>{_xml(shape.member, v)}</{tag}>" for v in value)  # type: ignore[attr-defined]
    if kind == "map":
        key_tag = shape.key.serialization.get("name", "key")  # type: ignore[attr-defined]
        value_tag = shape.value.serialization.get("name", "value")  # type: ignore[attr-defined]
        return "".join(
            f"<entry><{key_tag}>{escape(str(k))}</{key_tag}>"
            f"<{value_tag}>{_xml(shape.value, v)}</{value_tag}></entry>"  # type: ignore[attr-defined]
            for k, v in value.items()
        )
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return iso(float(value))
    if kind == "blob":
        return base64.b64encode(value if isinstance(value, bytes) else str(value).encode()).decode()
    return escape(str(value))


def answer(operation: str, shape: Shape | None, result: dict[str, Any] | None) -> Response:
    """A v1 success answer: ``<OpResponse><OpResult>...</OpResult><ResponseMetadata>``."""
    inner = ""
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{operation}Result")
        inner = f"<{wrapper}>{_xml(shape, result or {})}</{wrapper}>"
    body = (
        f'<{operation}Response xmlns="{V1_NAMESPACE}">{inner}'
        f"<ResponseMetadata><RequestId>{request_id()}</RequestId></ResponseMetadata></{operation}Response>"
    )
    return Response(200, body.encode(), content_type="text/xml")
