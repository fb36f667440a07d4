"""Checks emulator responses against botocore's output shapes (types, required members, enums).

``checked(client)`` hooks a boto3 client so that every successful response of the emulator is validated
before the test sees it: v2 (REST-JSON) on the raw JSON body, so unmodelled keys are caught too; v1 (query)
on botocore's parse of the XML, plus the raw XML root element name.
"""

from __future__ import annotations

import datetime
from typing import Any

import orjson
from botocore.model import Shape


def problems(shape: Shape, value: Any, path: str = "$", *, raw: bool) -> list[str]:
    """Every way ``value`` departs from ``shape`` (empty list: it conforms)."""
    kind = shape.type_name
    out: list[str] = []
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__}"]
        members = shape.members  # type: ignore[attr-defined]
        for name in shape.required_members:  # type: ignore[attr-defined]
            if name not in value:
                out.append(f"{path}: missing required member {name}")
        for key, item in value.items():
            if key == "ResponseMetadata" and path == "$":
                continue
            if key not in members:
                out.append(f"{path}: unknown member {key}")
                continue
            if item is not None:
                out.extend(problems(members[key], item, f"{path}.{key}", raw=raw))
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected list, got {type(value).__name__}"]
        for i, item in enumerate(value):
            out.extend(problems(shape.member, item, f"{path}[{i}]", raw=raw))  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected map"]
        for key, item in value.items():
            out.extend(problems(shape.key, key, f"{path}<key>", raw=raw))  # type: ignore[attr-defined]
            out.extend(problems(shape.value, item, f"{path}[{key}]", raw=raw))  # type: ignore[attr-defined]
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected string, got {type(value).__name__}"]
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            out.append(f"{path}: {value!r} not in enum {enum}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{path}: expected integer, got {value!r}")
    elif kind in ("double", "float"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            out.append(f"{path}: expected number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{path}: expected boolean, got {value!r}")
    elif kind == "timestamp":
        ok = isinstance(value, int | float | str) if raw else isinstance(value, datetime.datetime)
        if not ok or isinstance(value, bool):
            out.append(f"{path}: expected timestamp, got {value!r}")
    elif kind == "blob" and not isinstance(value, bytes | str):
        out.append(f"{path}: expected blob, got {type(value).__name__}")
    return out


VALIDATED: list[str] = []


def checked(client: Any) -> Any:
    """Validate every successful response of ``client`` against its operation's output shape."""
    protocol = client.meta.service_model.protocol

    def after_call(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
        if http_response.status_code >= 300 or model.output_shape is None:
            return
        if protocol == "query":
            root = f"<{model.name}Response".encode()
            assert root in http_response.content[:200], f"{model.name}: XML root is not {root!r}"
            found = problems(model.output_shape, parsed, raw=False)
        else:
            body = orjson.loads(http_response.content or b"{}")
            found = problems(model.output_shape, body, raw=True)
        assert not found, f"{model.name} response does not match botocore's shape: {found}"
        VALIDATED.append(model.name)

    client.meta.events.register("after-call", after_call)
    return client
