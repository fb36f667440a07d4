"""Injected faults for reliability tests (``POST /_sesflow/faults``), cleared by ``DELETE``.

A named operation can be answered with any SES error: ``{"operation": "SendEmail", "error_code":
"MailFromDomainNotVerifiedException", "status": 400}``; the front end renders it the way its API does
(v2 JSON with ``x-amzn-ErrorType``, v1 XML ``ErrorResponse``). Without ``error_code`` the status picks AWS's
generic 5xx errors (500 InternalFailure, 503 ServiceUnavailable).

Export faults: ``fail_export_jobs`` (the next N jobs end FAILED), ``truncate_downloads`` (the next N downloads
are cut short), ``expire_urls`` (every URL handed out so far expires), ``repeat_records`` (the next N export
files list their first record twice) and ``stray_seconds`` (until cleared, every new job also selects that
many seconds before its StartDate, so adjacent windows' exports overlap).

Dropped connections: ``{"operation": "SendEmail", "drop_connection": "after", "count": 1}`` processes the
next call fully (the message is accepted, stored, counted and exported) and then closes the TCP connection
without an answer, so the client cannot know the outcome; ``"before"`` closes it without processing the call.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sesflow.emulator.wire import ApiError

_STATUS_ERRORS = {
    500: (
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    503: ("ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
}
_KNOWN_KEYS = frozenset(
    {
        "fail_export_jobs",
        "error_message",
        "operation",
        "status",
        "error_code",
        "message",
        "count",
        "probability",
        "latency_ms",
        "truncate_downloads",
        "expire_urls",
        "stray_seconds",
        "repeat_records",
        "drop_connection",
    }
)
# The keys that inject a fault on their own (the others go with ``status``/``error_code``).
_FAULT_KEYS = frozenset(
    {
        "fail_export_jobs",
        "truncate_downloads",
        "expire_urls",
        "stray_seconds",
        "repeat_records",
        "latency_ms",
        "drop_connection",
    }
)
DROP_MOMENTS = ("after", "before")
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9._]{0,127}$")


@cache
def _models() -> tuple[frozenset[str], dict[str, int]]:
    """(operation names, error code -> HTTP status) of botocore's ``ses`` and ``sesv2`` models."""
    import botocore.session

    session = botocore.session.get_session()
    operations: set[str] = set()
    statuses: dict[str, int] = {}
    for service in ("ses", "sesv2"):
        model = session.get_service_model(service)
        operations.update(model.operation_names)
        for shape in model.error_shapes:
            error = shape.metadata.get("error", {})
            status = int(error.get("httpStatusCode", 400))
            statuses.setdefault(shape.name, status)
            statuses.setdefault(str(error.get("code") or shape.name), status)
    return frozenset(operations), statuses


def _bad(message: str) -> ApiError:
    return ApiError("BadRequestException", message)


def _whole(body: dict[str, Any], key: str, minimum: int = 0) -> int | None:
    """An optional integer field (not a bool), at least ``minimum``."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(f"'{key}' must be an integer >= {minimum}, got {value!r}.")
    return value


def _amount(body: dict[str, Any], key: str) -> float | None:
    """An optional number field (not a bool), at least 0."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _bad(f"'{key}' must be a number >= 0, got {value!r}.")
    return float(value)


def _text(body: dict[str, Any], key: str) -> str | None:
    """An optional non-empty string field."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _bad(f"'{key}' must be a non-empty string, got {value!r}.")
    return value


def _operation(body: dict[str, Any]) -> str | None:
    """The optional ``operation`` field, checked against the operations of both SES APIs."""
    name = _text(body, "operation")
    if name is not None and name not in _models()[0]:
        raise _bad(
            f"Unknown operation {name!r}: give an operation name of the ses or sesv2 API "
            "(e.g. SendEmail, SendRawEmail, GetAccount, CreateExportJob)."
        )
    return name


@dataclass(slots=True)
class OperationFault:
    """Fail calls of one operation: the next ``count`` calls, or each with ``probability``.

    ``drop`` ("after" or "before") closes the connection instead of answering with an error.
    """

    status: int
    count: int | None
    probability: float | None
    code: str = ""
    message: str = ""
    drop: str = ""

    def fires(self, rng: random.Random) -> bool:
        """Whether this call is hit (consumes one of ``count``)."""
        if self.count is not None:
            if self.count <= 0:
                return False
            self.count -= 1
            return True
        return self.probability is not None and rng.random() < self.probability

    @property
    def spent(self) -> bool:
        """True once a counted fault has hit all its calls."""
        return self.count is not None and self.count <= 0


def _chance(body: dict[str, Any]) -> tuple[int | None, float | None]:
    """(count, probability) of an operation fault; the next call alone when neither is given."""
    count = _whole(body, "count", 1)
    probability = body.get("probability")
    if probability is not None:
        if isinstance(probability, bool) or not isinstance(probability, int | float):
            raise _bad(f"'probability' must be a number in 0..1, got {probability!r}.")
        probability = float(probability)
        if not 0.0 <= probability <= 1.0:
            raise _bad(f"'probability' must be a number in 0..1, got {probability!r}.")
    if count is None and probability is None:
        count = 1
    return count, probability


def drop_fault(body: dict[str, Any]) -> tuple[str, OperationFault]:
    """The (operation, fault) a ``drop_connection`` body asks for (validated; bad -> 400)."""
    moment = body.get("drop_connection")
    if moment not in DROP_MOMENTS:
        raise _bad(f'\'drop_connection\' must be "after" or "before", got {moment!r}.')
    operation = _operation(body)
    if operation is None:
        raise _bad("'operation' (e.g. SendEmail) is required with 'drop_connection'.")
    count, probability = _chance(body)
    return operation, OperationFault(0, count, probability, drop=str(moment))


def operation_fault(body: dict[str, Any]) -> tuple[str, OperationFault]:
    """The (operation, fault) a ``status``/``error_code`` body asks for (validated; bad -> 400)."""
    operation = _operation(body)
    if operation is None:
        raise _bad("'operation' (e.g. SendEmail) is required with 'status' or 'error_code'.")
    code = _text(body, "error_code")
    if code is not None and not _ERROR_CODE.match(code):
        raise _bad(f"'error_code' must be an SES error code such as MessageRejected, got {code!r}.")
    status = _whole(body, "status")
    if status is None:
        if code is None:
            raise _bad("Give 'status' (500 or 503) or an 'error_code'.")
        status = _models()[1].get(code, 400)  # the status botocore's model gives that error
    if not 400 <= status <= 599:
        raise _bad(f"'status' must be an HTTP error status in 400..599, got {status}.")
    if code is None:
        if status not in _STATUS_ERRORS:
            raise _bad(f"'status' {status} needs an 'error_code' (only 500 and 503 have a default one).")
        code, default_message = _STATUS_ERRORS[status]
    else:
        default_message = f"{code} (injected by the sesflow emulator)."
    message = _text(body, "message") or default_message
    count, probability = _chance(body)
    return operation, OperationFault(status, count, probability, code, message)


@dataclass(slots=True)
class Faults:
    """The faults in force. Each field is consumed as the matching calls arrive."""

    fail_export_jobs: int = 0
    export_error_message: str = "Export failed (injected by the sesflow emulator)."
    operations: dict[str, OperationFault] = field(default_factory=dict)
    drops: dict[str, OperationFault] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    truncate_downloads: int = 0
    stray_seconds: float = 0.0
    repeat_records: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def add(self, body: dict[str, Any]) -> None:
        """Add the faults described by a ``POST /_sesflow/faults`` body.

        The whole body is validated before anything changes; a bad one raises an ``ApiError`` (400) whose
        message names the field.
        """
        unknown = sorted(set(body) - _KNOWN_KEYS)
        if unknown:
            raise _bad(
                f"Unknown fault field(s): {', '.join(unknown)}. Known: {', '.join(sorted(_KNOWN_KEYS))}."
            )
        wants_error = "status" in body or "error_code" in body
        wants_drop = "drop_connection" in body
        if "latency_ms" in body and wants_error:
            raise _bad("Give 'latency_ms' or 'status'/'error_code' in one fault, not both.")
        if wants_drop and (wants_error or "latency_ms" in body or "message" in body):
            raise _bad("Give 'drop_connection' without 'status', 'error_code', 'message' or 'latency_ms'.")
        if not wants_error and not wants_drop and "latency_ms" not in body:
            for key in ("message", "count", "probability"):
                if key in body:
                    raise _bad(f"'{key}' only goes with 'status' or 'error_code'.")
        if not (_FAULT_KEYS & set(body)) and not wants_error:
            raise _bad(
                "No fault given: use fail_export_jobs, operation + status/error_code, operation + "
                "drop_connection, latency_ms, truncate_downloads, expire_urls, stray_seconds or "
                "repeat_records."
            )
        fail_jobs = _whole(body, "fail_export_jobs")
        export_message = _text(body, "error_message")
        truncate = _whole(body, "truncate_downloads")
        repeat = _whole(body, "repeat_records")
        stray = _amount(body, "stray_seconds")
        latency: tuple[str, float] | None = None
        if (delay := _amount(body, "latency_ms")) is not None:
            latency = (_operation(body) or "*", delay)
        injected = operation_fault(body) if wants_error else None
        dropped = drop_fault(body) if wants_drop else None
        if "expire_urls" in body and not isinstance(body["expire_urls"], bool):
            raise _bad(f"'expire_urls' must be true or false, got {body['expire_urls']!r}.")
        # Everything is valid: apply.
        if fail_jobs is not None:
            self.fail_export_jobs += fail_jobs
        if export_message is not None:
            self.export_error_message = export_message
        if truncate is not None:
            self.truncate_downloads += truncate
        if repeat is not None:
            self.repeat_records += repeat
        if stray is not None:
            self.stray_seconds = stray
        if latency is not None:
            self.latency_ms[latency[0]] = latency[1]
        if injected is not None:
            self.operations[injected[0]] = injected[1]
        if dropped is not None:
            self.drops[dropped[0]] = dropped[1]

    def latency_for(self, operation: str) -> float:
        """Injected latency in milliseconds for one call of ``operation``."""
        if not self.latency_ms:
            return 0.0
        return self.latency_ms.get(operation, self.latency_ms.get("*", 0.0))

    def check_operation(self, operation: str) -> None:
        """Raise the injected error if this call of ``operation`` must fail."""
        fault = self.operations.get(operation)
        if fault is None or not fault.fires(self.rng):
            return
        if fault.spent:
            del self.operations[operation]
        raise ApiError(fault.code, fault.message, fault.status, sender_fault=fault.status < 500)

    def take_drop(self, operation: str) -> str | None:
        """ "after" or "before" when this call of ``operation`` must lose its connection, else None."""
        if not self.drops:
            return None
        fault = self.drops.get(operation)
        if fault is None or not fault.fires(self.rng):
            return None
        if fault.spent:
            del self.drops[operation]
        return fault.drop

    def take_export_failure(self) -> str | None:
        """The error message for a new export job that must fail, or None."""
        if self.fail_export_jobs <= 0:
            return None
        self.fail_export_jobs -= 1
        return self.export_error_message

    def take_repeat(self) -> bool:
        """True if this new export job's file must list its first record twice."""
        if self.repeat_records <= 0:
            return False
        self.repeat_records -= 1
        return True

    def take_truncation(self) -> bool:
        """True if this download must be cut short."""
        if self.truncate_downloads <= 0:
            return False
        self.truncate_downloads -= 1
        return True
