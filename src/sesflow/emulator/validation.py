"""Request validation against botocore's input shapes, worded like SES's own validation errors.

Every request is checked before its handler runs (types, required members, enums, lengths, ranges), so a
handler only sees well-typed input and a malformed request gets the API's validation error (v2
``BadRequestException``, v1 ``ValidationError``), never a 500.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from botocore.model import Shape

from sesflow.emulator.wire import ApiError


def _fail(code: str, path: str, value: Any, constraint: str) -> ApiError:
    shown = repr(value) if not isinstance(value, dict | list | bytes) else type(value).__name__
    if code == "ValidationError":  # the query API names members in lowerCamelCase ('source')
        path = ".".join(part[:1].lower() + part[1:] for part in path.split("."))
    return ApiError(
        code,
        f"1 validation error detected: Value {shown[:80]} at '{path}' failed to satisfy constraint: "
        f"{constraint}",
    )


def check(shape: Shape, value: Any, path: str = "", code: str = "BadRequestException") -> None:
    """Raise ``code`` at the first way ``value`` departs from ``shape``."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            raise _fail(code, path, value, "Member must be a structure")
        members = shape.members  # type: ignore[attr-defined]
        for name in shape.required_members:
            if value.get(name) is None:
                raise _fail(code, f"{path}.{name}".lstrip("."), None, "Member must not be null")
        for key, item in value.items():
            if key in members and item is not None:
                check(members[key], item, f"{path}.{key}".lstrip("."), code)
        if getattr(shape, "is_tagged_union", False):
            given = [k for k in members if value.get(k) is not None]
            if len(given) != 1:
                raise _fail(code, path, value, f"Member must have exactly one of: {', '.join(members)}")
        return
    if kind == "list":
        if not isinstance(value, list):
            raise _fail(code, path, value, "Member must be a list")
        _bounds(code, len(value), meta, path, value, "length")
        for i, item in enumerate(value):
            check(shape.member, item, f"{path}.{i + 1}", code)  # type: ignore[attr-defined]
        return
    if kind == "map":
        if not isinstance(value, dict):
            raise _fail(code, path, value, "Member must be a map")
        _bounds(code, len(value), meta, path, value, "length")
        for key, item in value.items():
            check(shape.key, key, f"{path}.key", code)  # type: ignore[attr-defined]
            check(shape.value, item, f"{path}.{key}", code)  # type: ignore[attr-defined]
        return
    if kind == "string":
        if not isinstance(value, str):
            raise _fail(code, path, value, "Member must be a string")
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            raise _fail(code, path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        _bounds(code, len(value), meta, path, value, "length")
        pattern = meta.get("pattern")
        if pattern and (compiled := _pattern(pattern)) is not None and not compiled.fullmatch(value):
            raise _fail(code, path, value, f"Member must satisfy regular expression pattern: {pattern}")
        return
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(code, path, value, "Member must be an integer")
        _bounds(code, value, meta, path, value, "value")
        return
    if kind in ("double", "float"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _fail(code, path, value, "Member must be a number")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _fail(code, path, value, "Member must be a boolean")
        return
    if kind == "timestamp":
        if not isinstance(value, int | float | str) or isinstance(value, bool):
            raise _fail(code, path, value, "Member must be a timestamp")
        return
    if kind == "blob" and not isinstance(value, str | bytes):
        raise _fail(code, path, value, "Member must be base64-encoded binary data")


@cache
def _pattern(text: str) -> re.Pattern[str] | None:
    """A model pattern compiled for Python (None when its Java syntax has no Python equivalent)."""
    try:
        return re.compile(text)
    except re.error:
        return None


def _bounds(code: str, size: int, meta: dict[str, Any], path: str, value: Any, what: str) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and size < low:
        word = "greater than or equal to" if what == "value" else "have length greater than or equal to"
        raise _fail(code, path, value, f"Member must {word} {low}")
    if high is not None and size > high:
        word = "less than or equal to" if what == "value" else "have length less than or equal to"
        raise _fail(code, path, value, f"Member must {word} {high}")
