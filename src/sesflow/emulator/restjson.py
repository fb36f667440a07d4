"""The SES v2 wire format (REST-JSON): request parameters from the path, the query string and the JSON body,
and answers serialised through the operation's output shape.

Inside the emulator values are plain Python: timestamps are epoch seconds (float), blobs are bytes. The
output walk keeps only the members the shape names, so a stored record can be answered as is.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from botocore.model import Shape

from sesflow.emulator.wire import ApiError


def _bad(message: str) -> ApiError:
    return ApiError("BadRequestException", message)


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON body of a v2 request ({} when empty); malformed -> BadRequestException."""
    if not body:
        return {}
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _bad("The request body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise _bad("The request body must be a JSON object.")
    return parsed


def parse_timestamp(value: Any, name: str) -> float:
    """Epoch seconds from a JSON number or an ISO 8601 / epoch string (query strings)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(f"{name}: {value!r} is not a timestamp.") from None
        if parsed.tzinfo is None:
            from datetime import UTC

            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    raise _bad(f"{name}: {value!r} is not a timestamp.")


def _scalar(shape: Shape, text: str, name: str) -> Any:
    """A query-string value converted to the member's type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise _bad(f"{name}: {text!r} is not an integer.") from None
    if kind == "boolean":
        if text not in ("true", "false"):
            raise _bad(f"{name}: {text!r} is not true or false.")
        return text == "true"
    if kind == "timestamp":
        return parse_timestamp(text, name)
    return text


def request_params(
    shape: Shape | None, path_params: dict[str, str], raw_query: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The operation's parameters: the JSON body plus the members bound to the URI and the query string.

    Query-string values are converted to their member's type here; body values are checked by
    ``validation.check`` and converted by ``decode``.
    """
    located = _located(shape) if shape is not None else ()
    if not located:
        return body
    params = dict(body)
    query = parse_qsl(raw_query, keep_blank_values=True)
    for name, member in located:
        location = member.serialization.get("location")
        params.pop(name, None)  # a body can't set a member that lives elsewhere
        wire = member.serialization.get("name", name)
        if location == "uri" and wire in path_params:
            params[name] = path_params[wire]
        elif location == "querystring":
            values = [v for k, v in query if k == wire]
            if not values:
                continue
            if member.type_name == "list":
                params[name] = [_scalar(member.member, v, name) for v in values]  # type: ignore[attr-defined]
            else:
                params[name] = _scalar(member, values[-1], name)
    return params


_LOCATED: dict[int, tuple[Shape, tuple[tuple[str, Shape], ...]]] = {}


def _located(shape: Shape) -> tuple[tuple[str, Shape], ...]:
    """The members bound to the URI or the query string (cached per shape object, kept alive here)."""
    known = _LOCATED.get(id(shape))
    if known is None:
        members = shape.members.items()  # type: ignore[attr-defined]
        found = tuple((n, m) for n, m in members if m.serialization.get("location") is not None)
        known = _LOCATED[id(shape)] = (shape, found)
    return known[1]


def decode(shape: Shape, value: Any) -> Any:
    """Body values as the emulator holds them: timestamps as epoch seconds, blobs as bytes.

    Runs after validation, so types are right; only walks into members that need converting.
    """
    kind = shape.type_name
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        for key, item in value.items():
            member = members.get(key)
            if member is not None and item is not None and _needs_decoding(member):
                value[key] = decode(member, item)
        return value
    if kind == "list":
        if _needs_decoding(shape.member):  # type: ignore[attr-defined]
            return [decode(shape.member, item) for item in value]  # type: ignore[attr-defined]
        return value
    if kind == "map":
        if _needs_decoding(shape.value):  # type: ignore[attr-defined]
            return {k: decode(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
        return value
    if kind == "timestamp":
        return parse_timestamp(value, shape.name)
    if kind == "blob":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _bad(f"{shape.name}: the value is not valid base64.") from None
    return value


# id(shape) -> (shape, answer); the shape is kept so its id is never reused. botocore's shapes live as long
# as the cached operation models, and ses/sesv2 reuse shape names, so the name alone is no key.
_DECODING: dict[int, tuple[Shape, bool]] = {}


def _needs_decoding(shape: Shape, seen: frozenset[str] = frozenset()) -> bool:
    """True if a shape holds a timestamp or a blob somewhere (cached per shape object)."""
    known = _DECODING.get(id(shape))
    if known is not None:
        return known[1]
    kind = shape.type_name
    if kind in ("timestamp", "blob"):
        found = True
    elif shape.name in seen:
        return False
    elif kind == "structure":
        inner = seen | {shape.name}
        found = any(_needs_decoding(m, inner) for m in shape.members.values())  # type: ignore[attr-defined]
    elif kind == "list":
        found = _needs_decoding(shape.member, seen | {shape.name})  # type: ignore[attr-defined]
    elif kind == "map":
        found = _needs_decoding(shape.value, seen | {shape.name})  # type: ignore[attr-defined]
    else:
        found = False
    if not seen:
        _DECODING[id(shape)] = (shape, found)
    return found


def encode(shape: Shape, value: Any) -> Any:
    """A value made fit for the JSON answer: only the shape's members, blobs in base64."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        members = shape.members  # type: ignore[attr-defined]
        return {
            key: encode(members[key], item)
            for key, item in value.items()
            if item is not None and key in members
        }
    if kind == "list":
        return [encode(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if kind == "map":
        return {k: encode(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def answer_body(shape: Shape | None, result: dict[str, Any] | None) -> bytes:
    """The JSON body of a successful answer."""
    if shape is None or result is None:
        return b"{}"
    return orjson.dumps(encode(shape, result))
