"""Injected faults for reliability tests (``POST /_sesflow/faults``), cleared by ``DELETE``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sesflow.emulator.wire import ApiError

_STATUS_ERRORS = {
    500: (
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    503: ("ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
}


@dataclass(slots=True)
class OperationFault:
    """Fail calls of one operation: the next ``count`` calls, or each with ``probability``."""

    status: int
    count: int | None
    probability: float | None


@dataclass(slots=True)
class Faults:
    """The faults in force. Each field is consumed as the matching calls arrive."""

    fail_export_jobs: int = 0
    export_error_message: str = "Export failed (injected by the sesflow emulator)."
    operations: dict[str, OperationFault] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    truncate_downloads: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def add(self, body: dict[str, Any]) -> None:
        """Add the faults described by a ``POST /_sesflow/faults`` body (validated; bad -> 400)."""
        known = {
            "fail_export_jobs",
            "error_message",
            "operation",
            "status",
            "count",
            "probability",
            "latency_ms",
            "truncate_downloads",
            "expire_urls",
        }
        unknown = sorted(set(body) - known)
        if unknown:
            raise ApiError("BadRequestException", f"Unknown fault field(s): {', '.join(unknown)}.")
        try:
            if "fail_export_jobs" in body:
                self.fail_export_jobs += int(body["fail_export_jobs"])
                if body.get("error_message"):
                    self.export_error_message = str(body["error_message"])
            if "truncate_downloads" in body:
                self.truncate_downloads += int(body["truncate_downloads"])
            if "latency_ms" in body:
                self.latency_ms[str(body.get("operation", "*"))] = float(body["latency_ms"])
            elif "status" in body:
                status = int(body["status"])
                if status not in _STATUS_ERRORS:
                    raise ApiError("BadRequestException", "'status' must be 500 or 503.")
                if not body.get("operation"):
                    raise ApiError(
                        "BadRequestException", "'operation' (e.g. SendEmail) is required with 'status'."
                    )
                count = int(body["count"]) if body.get("count") is not None else None
                probability = float(body["probability"]) if body.get("probability") is not None else None
                if count is None and probability is None:
                    count = 1
                self.operations[str(body["operation"])] = OperationFault(status, count, probability)
        except (TypeError, ValueError) as exc:
            raise ApiError("BadRequestException", f"Bad fault value: {exc}.") from None

    def latency_for(self, operation: str) -> float:
        """Injected latency in milliseconds for one call of ``operation``."""
        if not self.latency_ms:
            return 0.0
        return self.latency_ms.get(operation, self.latency_ms.get("*", 0.0))

    def check_operation(self, operation: str) -> None:
        """Raise the injected 5xx error if this call of ``operation`` must fail."""
        fault = self.operations.get(operation)
        if fault is None:
            return
        if fault.count is not None:
            if fault.count <= 0:
                return
            fault.count -= 1
            if fault.count == 0 and fault.probability is None:
                del self.operations[operation]
        elif fault.probability is not None and self.rng.random() >= fault.probability:
            return
        code, message = _STATUS_ERRORS[fault.status]
        raise ApiError(code, message, fault.status, sender_fault=False)

    def take_export_failure(self) -> str | None:
        """The error message for a new export job that must fail, or None."""
        if self.fail_export_jobs <= 0:
            return None
        self.fail_export_jobs -= 1
        return self.export_error_message

    def take_truncation(self) -> bool:
        """True if this download must be cut short."""
        if self.truncate_downloads <= 0:
            return False
        self.truncate_downloads -= 1
        return True
