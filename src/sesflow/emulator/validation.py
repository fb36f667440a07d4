"""Request validation against botocore's input shapes, worded like SES's own validation errors.

Every v2 body is checked before its handler runs (types, required members, enums, min/max), so a handler
only sees well-typed input and a malformed request gets ``BadRequestException``, never a 500.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

from sesflow.emulator.wire import ApiError


def _fail(path: str, value: Any, constraint: str) -> ApiError:
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return ApiError(
        "BadRequestException",
        f"1 validation error detected: Value {shown[:80]} at '{path}' failed to satisfy constraint: "
        f"{constraint}",
    )


def check(shape: Shape, value: Any, path: str) -> None:
    """Raise BadRequestException at the first way ``value`` departs from ``shape``."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            raise _fail(path, value, "Member must be a structure")
        members = shape.members  # type: ignore[attr-defined]
        for name in shape.required_members:
            member = members[name]
            if member.serialization.get("location") is None and value.get(name) is None:
                raise _fail(f"{path}.{name}".lstrip("."), None, "Member must not be null")
        for key, item in value.items():
            if key in members and item is not None:
                check(members[key], item, f"{path}.{key}".lstrip("."))
        return
    if kind == "list":
        if not isinstance(value, list):
            raise _fail(path, value, "Member must be a list")
        _bounds(len(value), meta, path, value, "length")
        for i, item in enumerate(value):
            check(shape.member, item, f"{path}.{i + 1}")  # type: ignore[attr-defined]
        return
    if kind == "map":
        if not isinstance(value, dict):
            raise _fail(path, value, "Member must be a map")
        _bounds(len(value), meta, path, value, "length")
        for key, item in value.items():
            check(shape.key, key, f"{path}.key")  # type: ignore[attr-defined]
            check(shape.value, item, f"{path}.{key}")  # type: ignore[attr-defined]
        return
    if kind == "string":
        if not isinstance(value, str):
            raise _fail(path, value, "Member must be a string")
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            raise _fail(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        _bounds(len(value), meta, path, value, "length")
        return
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(path, value, "Member must be an integer")
        _bounds(value, meta, path, value, "value")
        return
    if kind in ("double", "float"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _fail(path, value, "Member must be a number")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _fail(path, value, "Member must be a boolean")
        return
    if kind == "timestamp":
        if not isinstance(value, int | float | str) or isinstance(value, bool):
            raise _fail(path, value, "Member must be a timestamp")
        return
    if kind == "blob" and not isinstance(value, str):
        raise _fail(path, value, "Member must be base64-encoded binary data")


def _bounds(size: int, meta: dict[str, Any], path: str, value: Any, what: str) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and size < low:
        word = "greater than or equal to" if what == "value" else "have length greater than or equal to"
        raise _fail(path, value, f"Member must {word} {low}")
    if high is not None and size > high:
        word = "less than or equal to" if what == "value" else "have length less than or equal to"
        raise _fail(path, value, f"Member must {word} {high}")


def check_form(shape: Shape, form: dict[str, str]) -> None:
    """Check a v1 (query protocol) form: required members present, integers parse (ValidationError)."""
    members = shape.members  # type: ignore[attr-defined]
    for name in shape.required_members:
        if not any(key == name or key.startswith(name + ".") for key in form):
            raise ApiError(
                "ValidationError",
                f"1 validation error detected: Value null at '{name[0].lower() + name[1:]}' failed to "
                "satisfy constraint: Member must not be null",
            )
    for name, member in members.items():
        value = form.get(name)
        if value is not None and member.type_name in ("integer", "long"):
            try:
                number = int(value)
            except ValueError:
                raise ApiError("ValidationError", f"Value '{value}' for {name} is not an integer.") from None
            _bounds_v1(number, member.metadata, name)


def _bounds_v1(number: int, meta: dict[str, Any], name: str) -> None:
    try:
        _bounds(number, meta, name, number, "value")
    except ApiError as error:
        raise ApiError("ValidationError", error.message) from None
