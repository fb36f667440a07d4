"""The Message Insights exports reconcile runs: create a job for a time window (optionally filtered by
destination), wait for it, download it, and read the few fields reconcile needs from each record.

A small client of its own rather than the sync's: reconcile needs the destination filter, needs to know
whether an export is complete (fewer records than ``MaxResults``; a full one is split in halves), and reads
four fields, with no Arrow or dlt involved. Keys are matched the way the sync matches them (lower case,
non-alphanumerics dropped), JSON Lines and a JSON array are both read, and ``EmailTags`` may be a list or
JSON text (as CSV exports hold it).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from sesflow.errors import SyncError

MAX_RESULTS = 10_000
_KEY = re.compile(r"[^a-z0-9]")
_THROTTLED = frozenset(
    {"TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException"}
)


@dataclass(frozen=True)
class ExportWindow:
    """One export to run: ``[start, end]`` (epoch seconds, both inclusive) and up to 5 destinations."""

    start: float
    end: float
    destinations: tuple[str, ...] = ()

    def halves(self) -> tuple[ExportWindow, ExportWindow]:
        """The window cut in two at its middle (whole seconds)."""
        middle = float(int((self.start + self.end) / 2))
        return ExportWindow(self.start, middle, self.destinations), ExportWindow(
            middle, self.end, self.destinations
        )

    def describe(self) -> str:
        """``2026-12-01T10:00:00Z .. 2026-12-01T10:05:00Z`` (and the destinations, when filtered)."""
        text = f"{_iso(self.start)} .. {_iso(self.end)}"
        return text + (f" for {', '.join(self.destinations)}" if self.destinations else "")


@dataclass(frozen=True)
class ExportedMessage:
    """The fields reconcile reads from one exported record."""

    message_id: str
    send_time: float | None
    tags: dict[str, str]


@dataclass(frozen=True)
class ExportOutcome:
    """A finished export: its job id, whether it holds every selected record, and the records."""

    window: ExportWindow
    job_id: str
    complete: bool
    messages: tuple[ExportedMessage, ...]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _normal(record: dict[str, Any]) -> dict[str, Any]:
    return {_KEY.sub("", str(key).lower()): value for key, value in record.items()}


def _time(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value) / (1000.0 if value > 1e11 else 1.0)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError:
            return {}
    tags: dict[str, str] = {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    for item in value or ():
        if isinstance(item, dict):
            item = _normal(item)
            if "name" in item:
                tags[str(item["name"])] = str(item.get("value", ""))
    return tags


def parse_records(data: bytes) -> Iterator[ExportedMessage]:
    """The messages of an export file (JSON Lines or a JSON array)."""
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        return
    if text.startswith("["):
        items: Sequence[Any] = json.loads(text)
    else:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    for item in items:
        if not isinstance(item, dict):
            continue
        record = _normal(item)
        message_id = str(record.get("messageid") or "")
        if message_id:
            yield ExportedMessage(
                message_id, _time(record.get("sendtimestamp")), _tags(record.get("emailtags"))
            )


class ExportRunner:
    """Runs export jobs against a ``sesv2`` client: one CreateExportJob per second, throttling waited out."""

    def __init__(
        self,
        client: Any,
        *,
        poll_interval: float = 2.0,
        job_timeout: float = 3600.0,
        max_results: int = MAX_RESULTS,
    ) -> None:
        self._client = client
        self._poll = poll_interval
        self._timeout = job_timeout
        self.max_results = max_results
        self._next_create = 0.0
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=True)

    def close(self) -> None:
        """Close the download connections."""
        self._http.close()

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        deadline = time.monotonic() + self._timeout
        failures = 0
        while True:
            try:
                answer: dict[str, Any] = getattr(self._client, operation)(**kwargs)
                return answer
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
                if (code in _THROTTLED or status == 429 or status >= 500) and time.monotonic() < deadline:
                    failures += 1
                    time.sleep(min(5.0, 0.5 * 1.5**failures))
                    continue
                message = exc.response.get("Error", {}).get("Message", "")
                raise SyncError(f"{operation} failed: {code}: {message}") from None
            except BotoCoreError as exc:
                failures += 1
                if failures > 5 or time.monotonic() > deadline:
                    raise SyncError(f"{operation}: cannot reach SES: {exc}") from None
                time.sleep(min(5.0, 0.5 * 2**failures))

    def start(self, window: ExportWindow) -> str:
        """Create the export job for ``window``; its job id."""
        source: dict[str, Any] = {
            "StartDate": datetime.fromtimestamp(window.start, UTC),
            "EndDate": datetime.fromtimestamp(window.end, UTC),
            "MaxResults": self.max_results,
        }
        if window.destinations:
            source["Include"] = {"Destination": list(window.destinations)}
        with self._lock:
            wait = self._next_create - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                answer = self._call(
                    "create_export_job",
                    ExportDataSource={"MessageInsightsDataSource": source},
                    ExportDestination={"DataFormat": "JSON"},
                )
            finally:
                # SES allows one CreateExportJob per second: the next goes a second after this answer.
                self._next_create = time.monotonic() + 1.0
        return str(answer["JobId"])

    def finish(self, window: ExportWindow, job_id: str) -> ExportOutcome:
        """Wait for job ``job_id`` and read it."""
        started = time.monotonic()
        delay = 0.25
        while True:
            job = self._call("get_export_job", JobId=job_id)
            status = str(job.get("JobStatus"))
            if status == "COMPLETED":
                break
            if status in ("FAILED", "CANCELLED"):
                why = (job.get("FailureInfo") or {}).get("ErrorMessage") or status
                raise SyncError(f"the export job {job_id} for {window.describe()} ended {status}: {why}")
            if time.monotonic() - started > self._timeout:
                raise SyncError(f"the export job {job_id} for {window.describe()} did not finish in time")
            time.sleep(delay)
            delay = min(self._poll, delay * 1.6)
        count = int((job.get("Statistics") or {}).get("ExportedRecordsCount") or 0)
        if count >= self.max_results:
            return ExportOutcome(window, job_id, False, ())
        url = (job.get("ExportDestination") or {}).get("S3Url")
        if not url:
            if count:
                raise SyncError(f"the export job {job_id} has {count} records but no download URL")
            return ExportOutcome(window, job_id, True, ())
        # A plain GET: the URL is pre-signed.
        answer = self._http.get(str(url))
        if answer.status_code != 200:
            raise SyncError(f"downloading the export of job {job_id} answered HTTP {answer.status_code}")
        messages = tuple(parse_records(answer.content))
        if len(messages) < count:
            raise SyncError(
                f"the export of job {job_id} holds {len(messages)} records, the job reported {count}"
            )
        return ExportOutcome(window, job_id, True, messages)

    def export(self, windows: Sequence[ExportWindow], parallel: int = 3) -> Iterator[ExportOutcome]:
        """Export every window, ``parallel`` jobs at a time; a full export is split in halves and redone."""
        queue = list(windows)
        running: list[tuple[ExportWindow, str]] = []
        while queue or running:
            while queue and len(running) < parallel:
                window = queue.pop(0)
                running.append((window, self.start(window)))
            window, job_id = running.pop(0)
            outcome = self.finish(window, job_id)
            if not outcome.complete and window.end - window.start >= 2:
                queue[:0] = list(window.halves())
                continue
            yield outcome


__all__ = ["MAX_RESULTS", "ExportOutcome", "ExportRunner", "ExportWindow", "ExportedMessage", "parse_records"]
