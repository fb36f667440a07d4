"""One API call as a handler sees it (``Call``), and the errors and paging every handler shares.

A handler is ``Callable[[Call], dict | None]``: it reads typed ``params`` and returns the answer as a plain
dict, which the front end writes through the operation's output shape. The same handler may serve v1 and
v2; the error helpers pick each API's code (v2 ``NotFoundException`` 404, v1 the operation's own
``...DoesNotExist`` code) from botocore's models.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sesflow.emulator import model
from sesflow.emulator.region import Region
from sesflow.emulator.state import EmulatorState
from sesflow.emulator.wire import ApiError, Request

T = TypeVar("T")


@dataclass(slots=True)
class Call:
    """An API call: the operation, its typed parameters, the caller's account/region and the request."""

    state: EmulatorState
    region: Region
    service: str  # "ses" (v1) or "sesv2"
    operation: str
    params: dict[str, Any]
    request: Request

    @property
    def now(self) -> float:
        """When the request arrived (epoch seconds, millisecond precision)."""
        return self.request.received_at

    @property
    def v1(self) -> bool:
        """True for the query API (SES v1)."""
        return self.service == "ses"

    @property
    def protocol(self) -> str:
        """``v1`` or ``v2``."""
        return "v1" if self.v1 else "v2"


Handler = Callable[[Call], dict[str, Any] | None]


def model_error(service: str, shape_name: str, message: str) -> ApiError:
    """An error the model declares, with its wire code and HTTP status."""
    spec = model.error_spec(service, shape_name)
    return ApiError(spec.code, message, spec.status, sender_fault=spec.sender_fault)


def invalid(call: Call, message: str) -> ApiError:
    """Bad input: v1 ``InvalidParameterValue``, v2 ``BadRequestException`` (both 400)."""
    return ApiError("InvalidParameterValue" if call.v1 else "BadRequestException", message)


def declared(call: Call, shape_name: str, message: str) -> ApiError:
    """The error ``shape_name`` when the operation declares it in the model, else the plain bad-input error
    (so an operation never answers a code its model does not list)."""
    if shape_name in model.operation_errors(call.service, call.operation):
        return model_error(call.service, shape_name, message)
    return invalid(call, message)


def not_found(call: Call, message: str, v1_error: str | None = None) -> ApiError:
    """A missing resource: v2 ``NotFoundException`` 404, v1 the named error shape (else
    InvalidParameterValue)."""
    if call.v1:
        return declared(call, v1_error, message) if v1_error else invalid(call, message)
    return declared(call, "NotFoundException", message)


def already_exists(call: Call, message: str, v1_error: str = "AlreadyExistsException") -> ApiError:
    """A resource that exists already: v2 ``AlreadyExistsException``, v1 the named error shape."""
    return declared(call, v1_error if call.v1 else "AlreadyExistsException", message)


def limit_exceeded(call: Call, message: str) -> ApiError:
    """A documented quota reached: ``LimitExceededException`` (v1 code ``LimitExceeded``)."""
    return declared(call, "LimitExceededException", message)


def conflict(call: Call, message: str) -> ApiError:
    """A change that clashes with the resource's state (v2 ``ConflictException`` 409)."""
    return declared(call, "ConflictException", message)


# Errors every AWS query/JSON API may answer besides those an operation declares (AWS's "common errors"),
# plus v1's Throttling.
COMMON_ERRORS = frozenset(
    {
        "AccessDeniedException", "IncompleteSignature", "InternalFailure", "InvalidAction",
        "InvalidClientTokenId", "InvalidParameterCombination", "InvalidParameterValue",
        "InvalidQueryParameter",
        "MalformedQueryString", "MissingAction", "MissingAuthenticationToken", "MissingParameter",
        "NotAuthorized", "OptInRequired", "RequestExpired", "ServiceUnavailable", "ThrottlingException",
        "ValidationError", "Throttling",
    }
)  # fmt: skip


def conform(call: Call, error: ApiError) -> ApiError:
    """An error of a handler as the operation's model allows it: a code the operation declares (or a common
    one) stays; another becomes ``MessageRejected`` where declared (sends), else the bad-input error."""
    codes = {
        model.error_spec(call.service, name).code
        for name in model.operation_errors(call.service, call.operation)
    }
    if error.code in codes or error.code in COMMON_ERRORS:
        return error
    replacement = declared(call, "MessageRejected", error.message)
    replacement.logged = error.logged
    return replacement


def _token(offset: int) -> str:
    return base64.b64encode(f"sesflow:{offset}".encode()).decode()  # the model's NextTokenV2 alphabet


def page(call: Call, items: Sequence[T], default_size: int = 100) -> tuple[list[T], str | None]:
    """One page of ``items`` (already in answer order) and the token of the next, by the operation's own
    paging members (``NextToken``/``NextPageToken``, ``PageSize``/``MaxItems``/``MaxResults``)."""
    paging = model.paging(call.service, call.operation)
    size = call.params.get(paging.size) if paging.size else None
    if size is None:
        size = min(default_size, paging.max_size or default_size)
    if size < 1:
        raise invalid(call, f"{paging.size} must be at least 1.")
    start = 0
    token = call.params.get(paging.token) if paging.token else None
    if token:
        try:
            text = base64.b64decode(str(token).encode(), validate=True).decode()
            if not text.startswith("sesflow:"):
                raise ValueError(text)
            start = int(text[8:])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            if "InvalidNextTokenException" in model.operation_errors(call.service, call.operation):
                raise ApiError("InvalidNextTokenException", "The NextToken is not valid.") from None
            raise invalid(call, f"Invalid {paging.token}: {token!r}.") from None
    chunk = list(items[start : start + size])
    return chunk, _token(start + size) if start + size < len(items) else None


def paged(call: Call, member: str, items: Sequence[Any], default_size: int = 100) -> dict[str, Any]:
    """A list answer: ``{member: page, "NextToken": ...}``."""
    chunk, token = page(call, items, default_size)
    answer: dict[str, Any] = {member: chunk}
    if token is not None:
        answer["NextToken"] = token
    return answer
