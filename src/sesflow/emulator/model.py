"""botocore's ``ses`` (v1, query protocol) and ``sesv2`` (REST-JSON) models: the authority for every route,
input and output shape, error code and HTTP status the emulator answers with.

Everything here is read once and cached; the rest of the emulator asks this module instead of botocore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape

SERVICES = ("ses", "sesv2")
PAGE_TOKENS = ("NextToken", "NextPageToken")
PAGE_SIZES = ("PageSize", "MaxItems", "MaxResults")


@cache
def service(name: str) -> ServiceModel:
    """The botocore service model of ``ses`` or ``sesv2``."""
    import botocore.session

    return botocore.session.get_session().get_service_model(name)


@cache
def operation(service_name: str, name: str) -> OperationModel:
    """One operation's model."""
    return service(service_name).operation_model(name)


def operation_names(service_name: str) -> list[str]:
    """Every operation of a service, in the model's order."""
    return list(service(service_name).operation_names)


@cache
def all_operation_names() -> frozenset[str]:
    """The operation names of both APIs."""
    return frozenset(name for svc in SERVICES for name in operation_names(svc))


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """An error as the wire names it: the code clients read and its HTTP status."""

    code: str
    status: int
    sender_fault: bool = True


@cache
def error_spec(service_name: str, shape_name: str) -> ErrorSpec:
    """The code and status of an error shape (``TemplateDoesNotExistException``: ``TemplateDoesNotExist``)."""
    shape = service(service_name).shape_for(shape_name)
    error = shape.metadata.get("error", {})
    return ErrorSpec(
        str(error.get("code") or shape_name),
        int(error.get("httpStatusCode", 400)),
        bool(error.get("senderFault", True)),
    )


@cache
def error_statuses() -> dict[str, int]:
    """Error code (and shape name) -> HTTP status, over both models."""
    statuses: dict[str, int] = {}
    for name in SERVICES:
        for shape in service(name).error_shapes:
            spec = error_spec(name, shape.name)
            statuses.setdefault(shape.name, spec.status)
            statuses.setdefault(spec.code, spec.status)
    return statuses


def operation_errors(service_name: str, name: str) -> list[str]:
    """The error shape names an operation declares."""
    return [shape.name for shape in operation(service_name, name).error_shapes]


# --- v2 routes ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """One sesv2 operation's HTTP route."""

    method: str
    pattern: re.Pattern[str]
    operation: str
    literal: str | None  # the path when it has no labels (looked up directly)


@cache
def _routes() -> tuple[dict[tuple[str, str], str], tuple[Route, ...]]:
    exact: dict[tuple[str, str], str] = {}
    patterns: list[Route] = []
    for name in operation_names("sesv2"):
        http = operation("sesv2", name).http
        path = http["requestUri"].split("?")[0]
        if "{" not in path:
            exact[(http["method"], path)] = name
            exact[(http["method"], path.rstrip("/") or "/")] = name
            continue
        regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", path)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]*)", regex)  # empty labels reach validation
        patterns.append(Route(http["method"], re.compile(f"^{regex.rstrip('/')}/?$"), name, None))
    # Longer literal prefixes first, so /identities/{X}/policies wins over /identities/{X+}.
    patterns.sort(key=lambda r: -len(r.pattern.pattern.split("(?P")[0]))
    return exact, tuple(patterns)


def resolve(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """(operation, path parameters) of a v2 request, or None when no operation has that route."""
    exact, patterns = _routes()
    name = exact.get((method, path))
    if name is not None:
        return name, {}
    for route in patterns:
        if route.method == method:
            found = route.pattern.match(path)
            if found:
                return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def v2_routes() -> list[tuple[str, str, str]]:
    """(method, URI template, operation) of every sesv2 operation."""
    out = []
    for name in operation_names("sesv2"):
        http = operation("sesv2", name).http
        out.append((http["method"], http["requestUri"].split("?")[0], name))
    return out


# --- shapes -------------------------------------------------------------------------------------------


def input_shape(service_name: str, name: str) -> Shape | None:
    """An operation's input shape (None when it takes nothing)."""
    return operation(service_name, name).input_shape


def output_shape(service_name: str, name: str) -> Shape | None:
    """An operation's output shape (None when it answers nothing)."""
    return operation(service_name, name).output_shape


@dataclass(frozen=True, slots=True)
class Paging:
    """The paging members of a list operation: names of the token and page-size inputs, and the bounds."""

    token: str | None
    size: str | None
    max_size: int | None


@cache
def paging(service_name: str, name: str) -> Paging:
    """How a list operation pages (from its input shape)."""
    shape = input_shape(service_name, name)
    members: dict[str, Any] = dict(shape.members) if shape is not None else {}  # type: ignore[attr-defined]
    token = next((t for t in PAGE_TOKENS if t in members), None)
    size = next((s for s in PAGE_SIZES if s in members), None)
    max_size = members[size].metadata.get("max") if size else None
    return Paging(token, size, max_size)
