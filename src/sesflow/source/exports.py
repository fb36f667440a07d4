"""The export-job client: one window in, its parsed tables out (and one metrics export in, its file out).

CreateExportJob (MessageInsightsDataSource or MetricsDataSource) -> poll GetExportJob with backoff -> download
the pre-signed URL with a plain HTTP GET (never SigV4-signed) -> check it is complete -> parse. Throttling and
LimitExceeded make it wait and retry; a FAILED job is re-created a bounded number of times; an expired or
cut-short download is fetched again with a fresh URL; AccessDenied names the IAM action to grant.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from sesflow.errors import ConfigError, DownloadError, ExportJobFailedError, ExportTimeoutError, SyncError
from sesflow.source.api import DENIED_CODES, NO_CREDENTIALS_HINT, THROTTLE_CODES, denied
from sesflow.source.records import DataFormat, ExportTables, parse_export
from sesflow.source.windows import Window

MAX_RESULTS = 10_000
_PARSE_LOCK = threading.Lock()


@dataclass(frozen=True)
class ExportSettings:
    """How export jobs are run."""

    data_format: DataFormat = "JSON"
    max_results: int = MAX_RESULTS
    poll_interval: float = 5.0
    job_timeout: float = 3600.0
    job_retries: int = 3
    download_retries: int = 3
    transient_retries: int = 8


@dataclass(frozen=True)
class ExportResult:
    """The outcome of one window's export: ``truncated`` means it hit ``max_results`` and must be split."""

    window: Window
    job_id: str
    exported: int
    truncated: bool
    tables: ExportTables | None
    download_bytes: int


@dataclass(frozen=True)
class JobEvent:
    """Progress of one export job: ``state`` is CREATED/PROCESSING/COMPLETED/... or DOWNLOADING/PARSED."""

    window: Window
    job_id: str
    state: str


class CreateGate:
    """Lets at most one CreateExportJob through per ``interval`` seconds, across threads.

    SES counts the second between two creates as it receives them. A create sent exactly one second after
    the previous one was *sent* can still arrive sooner (the earlier request was late on the wire, or its
    thread was late for the GIL) and be throttled, and a throttled thread that backs off on its own loses its
    turn to the others again and again. So the creates take turns: the next one goes at least ``interval``
    after the previous one was *answered*, and a throttled create retries within its turn.
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._next = 0.0

    @contextlib.contextmanager
    def turn(self, stop: threading.Event) -> Iterator[None]:
        """Hold the create turn: wait until one may create, and start the clock once the body returns."""
        with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0:
                stop.wait(delay)
            try:
                yield
            finally:
                self._next = time.monotonic() + self.interval


_GATES: weakref.WeakValueDictionary[tuple[str | None, ...], CreateGate] = weakref.WeakValueDictionary()
_GATES_LOCK = threading.Lock()


def account_gate(*account: str | None) -> CreateGate:
    """The gate of one account and region (``account``: the values that tell it, e.g. endpoint, region,
    access key, profile), shared by every source of this process that exports from it while one is in use:
    SES counts the creates of all of them against one limit, and two gates would throttle each other's
    creates (the metrics jobs of a stream running beside the message streams waited for all of theirs)."""
    with _GATES_LOCK:
        gate = _GATES.get(account)
        if gate is None:
            gate = _GATES[account] = CreateGate()
        return gate


class Stopped(Exception):
    """The sync is being abandoned (another window failed or the consumer went away)."""


class ExportClient:
    """Runs export jobs for windows; thread-safe, one instance shared by the worker threads."""

    def __init__(
        self,
        client: Any,
        settings: ExportSettings,
        *,
        gate: CreateGate | None = None,
        http: httpx.Client | None = None,
        on_event: Callable[[JobEvent], None] | None = None,
        stop: threading.Event | None = None,
        max_jobs: int = 1_000,
    ) -> None:
        self._client = client
        self.settings = settings
        self._gate = gate or CreateGate()
        self._http = http or httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=True)
        self._on_event = on_event or (lambda event: None)
        self.stop = stop or threading.Event()
        self._slots = threading.BoundedSemaphore(max_jobs)
        self._lock = threading.Lock()
        self._typical_duration: float | None = None

    def _learn(self, seconds: float) -> None:
        with self._lock:
            previous = self._typical_duration
            self._typical_duration = seconds if previous is None else 0.7 * previous + 0.3 * seconds

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def export(self, window: Window) -> ExportResult:
        """Export one window: create, wait, download, verify, parse. Raises a ``SyncError`` on failure."""
        last_message = ""
        for _attempt in range(self.settings.job_retries + 1):
            # A slot is held while the job is at SES; the download and parse happen outside it, so the
            # next job can already be created.
            with self._slots:
                job_id = self._create(window)
                job = self._wait(window, job_id)
            status = job.get("JobStatus")
            if status == "COMPLETED":
                return self._fetch(window, job_id, job)
            last_message = (job.get("FailureInfo") or {}).get("ErrorMessage") or f"job ended {status}"
            self._on_event(JobEvent(window, job_id, str(status)))
        raise ExportJobFailedError(
            f"the export job for {window} failed {self.settings.job_retries + 1} times: {last_message}",
            hint="Rerun later; the saved state has not moved past this window.",
        )

    def _call(
        self, window: Window | str, operation: str, *, throttle_delay: float | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        from botocore.exceptions import ClientError, ConnectionError, NoCredentialsError, ReadTimeoutError

        transient = 0
        throttled = 0
        deadline = time.monotonic() + self.settings.job_timeout
        while True:
            if self.stop.is_set():
                raise Stopped()
            try:
                response: dict[str, Any] = getattr(self._client, operation)(**kwargs)
                return response
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", ""))
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
                if code in DENIED_CODES:
                    name = "".join(part.title() for part in operation.split("_"))  # the API's spelling
                    raise denied(name, code, str(error.get("Message", ""))) from None
                if code in THROTTLE_CODES or status == 429:
                    throttled += 1
                    if time.monotonic() > deadline:
                        raise ExportTimeoutError(
                            f"SES kept throttling {operation} for {window} ({code})"
                        ) from None
                    if throttle_delay is not None and (code == "TooManyRequestsException" or status == 429):
                        self.stop.wait(throttle_delay)  # a rate throttle: the next second is free again
                    else:
                        self.stop.wait(min(8.0, 0.5 * 1.5**throttled) * (0.5 + random.random()))
                    continue
                if status >= 500 and transient < self.settings.transient_retries:
                    transient += 1
                    self.stop.wait(min(8.0, 0.2 * 2**transient) * (0.5 + random.random()))
                    continue
                raise SyncError(
                    f"{operation} for {window} failed: {code}: {error.get('Message', '')}".rstrip(": ")
                ) from None
            except NoCredentialsError:
                raise ConfigError("no AWS credentials found", hint=NO_CREDENTIALS_HINT) from None
            except (ConnectionError, ReadTimeoutError) as exc:
                if transient < self.settings.transient_retries:
                    transient += 1
                    self.stop.wait(min(8.0, 0.2 * 2**transient))
                    continue
                raise SyncError(f"{operation} for {window}: cannot reach SES: {exc}") from None

    def _create(self, window: Window) -> str:
        source = {
            "MessageInsightsDataSource": {
                "StartDate": window.start,
                "EndDate": window.end,
                "MaxResults": self.settings.max_results,
            }
        }
        job_id = self._create_job(window, source)
        self._on_event(JobEvent(window, job_id, "CREATED"))
        return job_id

    def _create_job(self, what: Window | str, data_source: dict[str, Any]) -> str:
        with self._gate.turn(self.stop):
            response = self._call(
                what,
                "create_export_job",
                throttle_delay=self._gate.interval,
                ExportDataSource=data_source,
                ExportDestination={"DataFormat": self.settings.data_format},
            )
        return str(response["JobId"])

    def export_metrics(self, what: str, data_source: dict[str, Any]) -> bytes:
        """Run one ``MetricsDataSource`` export (``what`` names it in errors) and return the file's bytes."""
        last_message = ""
        for _attempt in range(self.settings.job_retries + 1):
            with self._slots:
                job_id = self._create_job(what, {"MetricsDataSource": data_source})
                job = self._wait(what, job_id)
            if job.get("JobStatus") == "COMPLETED":
                return self._fetch_file(what, job_id, job)
            last_message = (job.get("FailureInfo") or {}).get(
                "ErrorMessage"
            ) or f"job ended {job.get('JobStatus')}"
        raise ExportJobFailedError(
            f"the export job for {what} failed {self.settings.job_retries + 1} times: {last_message}",
            hint="Rerun later; the saved state has not moved past it.",
        )

    def _fetch_file(self, what: str, job_id: str, job: dict[str, Any]) -> bytes:
        problem = ""
        for attempt in range(self.settings.download_retries + 1):
            if attempt:
                self.stop.wait(0.2 * attempt)
                job = self._call(what, "get_export_job", JobId=job_id)
            url = (job.get("ExportDestination") or {}).get("S3Url")
            if not url:
                if not int((job.get("Statistics") or {}).get("ExportedRecordsCount") or 0):
                    return b""
                problem = "the job has no download URL"
                continue
            try:
                return self._download(str(url))
            except DownloadError as exc:
                problem = exc.message
        raise DownloadError(
            f"the export of {what} (job {job_id}) could not be downloaded whole: {problem}",
            hint="Rerun; the saved state has not moved past it.",
        )

    def _wait(self, window: Window | str, job_id: str) -> dict[str, Any]:
        started = time.monotonic()
        # Jobs of one sync take about as long as each other: polls (at most poll_interval apart) lead up to
        # just before the time the last jobs took, then come quickly (a twentieth of it, at least 0.1 s)
        # until half as long again; without that history, or past it, they back off from 0.25 s.
        expected = self._typical_duration
        interval = self.settings.poll_interval
        backoff = 0.25
        last_state = "CREATED"
        while True:
            elapsed = time.monotonic() - started
            if expected and elapsed < 0.9 * expected:
                delay = min(0.9 * expected - elapsed, interval)
            elif expected and elapsed < 1.5 * expected:
                delay = min(max(0.1, expected / 20), interval)
            else:
                delay, backoff = backoff, min(backoff * 1.6, interval)
            if self.stop.wait(delay):
                raise Stopped()
            job = self._call(window, "get_export_job", JobId=job_id)
            state = str(job.get("JobStatus"))
            if state in ("COMPLETED", "FAILED", "CANCELLED"):
                self._learn(time.monotonic() - started)
                return job
            if state != last_state:
                last_state = state
                if isinstance(window, Window):
                    self._on_event(JobEvent(window, job_id, state))
            if time.monotonic() - started > self.settings.job_timeout:
                with contextlib.suppress(Exception):
                    self._client.cancel_export_job(JobId=job_id)
                raise ExportTimeoutError(
                    f"the export job {job_id} for {window} did not finish within "
                    f"{self.settings.job_timeout:g} s",
                    hint="Raise job_timeout in the connection inputs, or use a smaller range_interval.",
                )

    def _fetch(self, window: Window, job_id: str, job: dict[str, Any]) -> ExportResult:
        expected = int((job.get("Statistics") or {}).get("ExportedRecordsCount") or 0)
        truncated = expected >= self.settings.max_results
        if truncated:
            return ExportResult(window, job_id, expected, True, None, 0)
        problem = ""
        for attempt in range(self.settings.download_retries + 1):
            if attempt:
                self.stop.wait(0.2 * attempt)
                job = self._call(window, "get_export_job", JobId=job_id)
            url = (job.get("ExportDestination") or {}).get("S3Url")
            if not url:
                if expected == 0:
                    return ExportResult(window, job_id, 0, False, None, 0)
                problem = "the job has no download URL"
                continue
            self._on_event(JobEvent(window, job_id, "DOWNLOADING"))
            try:
                data = self._download(str(url))
                size = len(data)
                # Parsing is CPU-bound under the GIL: one at a time costs no speed and bounds the memory.
                with _PARSE_LOCK:
                    tables = parse_export(data, self.settings.data_format)
                del data
            except DownloadError as exc:
                problem = exc.message
                continue
            if tables.rows != expected:
                problem = f"the file holds {tables.rows} records, the job reported {expected}"
                continue
            self._on_event(JobEvent(window, job_id, "PARSED"))
            return ExportResult(window, job_id, expected, False, tables, size)
        raise DownloadError(
            f"the export of {window} (job {job_id}) could not be downloaded whole: {problem}",
            hint="Rerun; the saved state has not moved past this window.",
        )

    def _download(self, url: str) -> bytes:
        # A plain GET: the URL is pre-signed, and SigV4 headers on top would make S3 refuse it.
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise DownloadError(f"the download answered HTTP {response.status_code}")
                declared = response.headers.get("content-length")
                buffer = bytearray()
                for chunk in response.iter_raw():
                    buffer += chunk
        except httpx.HTTPError as exc:
            raise DownloadError(f"the download was cut short: {exc}") from None
        data = bytes(buffer)
        del buffer
        encoding = response.headers.get("content-encoding", "")
        if declared is not None and not encoding and len(data) != int(declared):
            raise DownloadError(f"the download ended after {len(data)} of {declared} bytes")
        if encoding:
            data = httpx.Response(200, headers={"content-encoding": encoding}, content=data).content
        return data
