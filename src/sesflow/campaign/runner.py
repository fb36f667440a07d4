"""One worker sending a campaign: reserve rows, render, send through the Mailer, record outcomes.

The main thread reserves batches of free ``pending`` rows and renders and builds each message, lazily, for
``Mailer.send_many``, whose transport is a ``LedgerTransport`` (each request is preceded by a durable
claim); the results come back to the main thread, which hands their outcomes to the ``LedgerWriter``. At
most ``2 x connections`` messages are in hand at once; the ledger, not memory, holds the rest.

When the worker runs out of free rows while other workers still hold some, it waits: a worker that dies
leaves reserved rows that become free again (and claimed rows that become ``unknown``), and a survivor
sends the freed ones. Errors that concern the whole account (refused credentials, sending paused, the daily
quota, a missing configuration set or MAIL FROM domain) stop the run instead of failing every recipient;
such failures are recorded as retryable (``retry-failed``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sesflow.campaign.content import CampaignContent
from sesflow.campaign.ledger import (
    CampaignRecord,
    LedgerCounts,
    LedgerLocation,
    LedgerSession,
    LedgerUnavailable,
    Outcome,
)
from sesflow.campaign.render import MessageFactory, Renderer, RowProblem
from sesflow.campaign.transport import ledger_transport, row_of
from sesflow.campaign.workers import Worker, bury_dead
from sesflow.campaign.writer import LedgerWriter
from sesflow.errors import (
    AccountSendingPausedError,
    AuthError,
    CampaignError,
    ClaimRefusedError,
    ConfigurationSetDoesNotExistError,
    DailyQuotaExceededError,
    LedgerLostError,
    MailFromDomainNotVerifiedError,
    MessageError,
    NotFoundError,
    SendError,
)
from sesflow.mime import Message
from sesflow.send import Mailer, RateLimiter, RetryPolicy, SendResult, Transport

# SES refusing these refuses every message of the campaign: stop, and keep the rows for retry-failed.
ACCOUNT_ERRORS: tuple[type[SendError], ...] = (
    AuthError,
    AccountSendingPausedError,
    DailyQuotaExceededError,
    ConfigurationSetDoesNotExistError,
    MailFromDomainNotVerifiedError,
    NotFoundError,  # v2's answer for a configuration set (or identity ARN) that does not exist
)
PROGRESS_EVERY = 0.5
COUNTS_EVERY = 2.0


@dataclass(frozen=True)
class Progress:
    """Where a run stands: rows per state (from the ledger, plus this worker's outcomes since it last
    looked), this run's rate and the time left. ``pending`` counts every row not yet answered."""

    total: int
    sent: int
    failed: int
    unknown: int
    skipped: int
    pending: int
    sending: int
    rate: float
    eta: float | None
    elapsed: float

    @property
    def done(self) -> int:
        """Rows with a final state (sent, failed, unknown or skipped)."""
        return self.sent + self.failed + self.unknown + self.skipped


@dataclass(frozen=True)
class RunSummary:
    """What one run did (``sent``/``failed``/``unknown`` by this worker) and the campaign's counts after."""

    campaign: str
    campaign_id: str
    sent: int
    failed: int
    unknown: int
    counts: LedgerCounts
    elapsed: float
    ended: Literal["finished", "stopped", "cancelled"]
    orphaned: int = 0
    published: str | None = None
    publish_error: str | None = None

    @property
    def complete(self) -> bool:
        """True when every row has its final answer: nothing pending, sending, failed or unknown."""
        return not any(self.counts[state] for state in ("pending", "sending", "failed", "unknown"))


def ledger_retryable(error: SendError | MessageError) -> bool:
    """Whether ``retry-failed`` may send this row again: SES did not take it and a later try can work."""
    return isinstance(error, SendError) and (error.retryable or isinstance(error, ACCOUNT_ERRORS))


Ended = Literal["finished", "stopped", "cancelled"]


def outcome_of(seq: int, result: SendResult) -> Outcome:
    """The ledger outcome of one Mailer result."""
    now = time.time()
    if result.status == "sent":
        at = result.accepted_at.timestamp() if result.accepted_at else now
        return Outcome(seq, "sent", at, ses_message_id=result.response)
    error = result.error
    reason = None if error is None else error.message
    if result.status == "unknown":
        return Outcome(seq, "unknown", now, error_code=getattr(error, "code", None), reason=reason)
    code = getattr(error, "code", None) or (type(error).__name__ if error is not None else None)
    return Outcome(
        seq,
        "failed",
        now,
        error_code=code,
        reason=reason,
        retryable=error is not None and ledger_retryable(error),
    )


class Runner:
    """Runs one worker of a campaign until no row is left to send, a stop is asked, or it is cancelled."""

    def __init__(
        self,
        location: LedgerLocation,
        record: CampaignRecord,
        content: CampaignContent,
        transport: Transport,
        *,
        connections: int = 10,
        rate: float | Literal["auto"] | None = "auto",
        limiter: RateLimiter | None = None,
        redis_url: str | None = None,
        redis_key: str | None = None,
        retry: RetryPolicy | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._location = location
        self._record = record
        self._content = content
        self._transport = transport
        self._connections = connections
        self._rate = rate
        self._limiter = limiter
        self._redis_url = redis_url
        self._redis_key = redis_key
        self._retry = retry
        self._on_progress = on_progress
        self._stop = stop or threading.Event()
        self._ended: Ended | None = None
        self._fatal: BaseException | None = None
        self._done = {"sent": 0, "failed": 0, "unknown": 0}
        self._writer: LedgerWriter | None = None
        self._counts = LedgerCounts()
        self._done_at_snapshot: dict[str, int] = {}
        self._last_emit = 0.0
        self._recent: deque[tuple[float, int]] = deque()

    def run(self) -> RunSummary:
        """Send until done; RunSummary, or CampaignError when the run could not go on."""
        try:
            return self._run()
        except LedgerUnavailable as exc:
            # The main session lost the ledger (reserving, counting): what was claimed stays claimed and
            # the next run declares it unknown; nothing more was sent.
            raise self._error(LedgerLostError(str(exc))) from None

    def _run(self) -> RunSummary:
        started = time.monotonic()
        worker = Worker.current()
        campaign_id = self._record.id
        main = self._location.open()
        writer_session: LedgerSession | None = None
        finished = threading.Event()
        try:
            orphaned = bury_dead(main, campaign_id)
            main.register_worker(
                worker.id, campaign_id, worker.host, worker.pid, worker.proc_start, time.time()
            )
            writer_session = self._location.open()
            writer = self._writer = LedgerWriter(writer_session, campaign_id, worker.id)
            limits: dict[str, Any] = (
                {"limiter": self._limiter}
                if self._limiter is not None
                else {"rate": self._rate, "redis_url": self._redis_url, "redis_key": self._redis_key}
            )
            mailer = Mailer(
                ledger_transport(self._transport, writer),
                max_connections=self._connections,
                retry=self._retry,
                **limits,
            )
            # A stop asked from outside (a signal handler sets the event) must not wait for the next result:
            # from then on no claim is made, so messages queued for the limiter go nowhere.
            watcher = threading.Thread(
                target=self._watch_stop, args=(finished,), name="sesflow-campaign-stop", daemon=True
            )
            watcher.start()
            try:
                ended = self._loop(main, worker, mailer, started)
            finally:
                finished.set()
                if self._ended != "finished":
                    writer.refuse_claims()
                mailer.close()
                writer.close()
            if writer.broken is not None:
                raise self._error(LedgerLostError(str(writer.broken)))
            main.stop_worker(campaign_id, worker.id)
            counts = main.counts(campaign_id, time.time())
            self._snapshot(counts)
            self._emit(started, force=True)
        finally:
            finished.set()
            main.close()
            if writer_session is not None:
                writer_session.close()
        if self._fatal is not None:
            raise self._error(self._fatal)
        if writer.declared_dead:
            raise CampaignError(
                "another worker declared this one dead (no heartbeat for too long) and took over its rows",
                hint="The machine may have been overloaded or paused; run resume again.",
            )
        return RunSummary(
            campaign=self._record.name,
            campaign_id=campaign_id,
            sent=self._done["sent"],
            failed=self._done["failed"],
            unknown=self._done["unknown"],
            counts=counts,
            elapsed=time.monotonic() - started,
            ended=ended,
            orphaned=orphaned,
        )

    def _watch_stop(self, finished: threading.Event) -> None:
        while not finished.wait(0.1):
            if self._stop.is_set():
                self._halt("stopped")
                return

    def _halt(self, why: Ended) -> None:
        if self._ended is None:
            self._ended = why
        if self._writer is not None:
            self._writer.refuse_claims()

    def _error(self, fatal: BaseException) -> CampaignError:
        name = self._record.name
        if isinstance(fatal, LedgerLostError):
            return CampaignError(
                f"campaign {name}: the ledger {self._location.label} cannot be written: {fatal}",
                hint="Nothing more was sent. Once it answers again, run `sesflow campaign resume "
                f"{name}`: requests whose answer was not recorded show as unknown (see reconcile).",
            )
        code = getattr(fatal, "code", None) or type(fatal).__name__
        return CampaignError(
            f"campaign {name}: SES refused the account's sends ({code}): {getattr(fatal, 'message', fatal)}",
            hint=f"Fix it, then `sesflow campaign retry-failed {name}` sends the rows that failed this way.",
        )

    def _loop(self, main: LedgerSession, worker: Worker, mailer: Mailer, started: float) -> Ended:
        campaign_id = self._record.id
        renderer = Renderer(self._content)
        factory = MessageFactory(self._content, campaign_id)
        self._snapshot(main.counts(campaign_id, time.time()))
        while True:
            # With no rate limit a message goes to a connection as soon as one is free: its row is claimed
            # as it is handed to the Mailer (a batch per commit), not by each connection on its own.
            ahead = mailer.limiter is None
            messages = self._messages(main, worker, renderer, factory, started, ahead)
            for result in mailer.send_many(messages, window=2 * self._connections):
                self._finished(result)
                self._emit(started)
            if self._ended is not None:
                return self._ended
            # No free row was left: free what dead workers held, and see whether anything is left at all.
            bury_dead(main, campaign_id, spare=worker.id)
            if main.has_free(campaign_id):
                continue
            if main.others_busy(campaign_id, worker.id):
                if self._stop.wait(0.5):  # their rows come back free if they die
                    self._halt("stopped")
                continue
            self._ended = "finished"
            return "finished"

    def _messages(
        self,
        main: LedgerSession,
        worker: Worker,
        renderer: Renderer,
        factory: MessageFactory,
        started: float,
        ahead: bool = False,
    ) -> Iterator[Message]:
        """The messages of this worker's rows, reserved a batch at a time; ends when no row is free, or
        the run is stopped or cancelled. ``ahead``: built a few at a time and claimed before they are
        handed over (``LedgerWriter.claim_ahead``)."""
        campaign_id = self._record.id
        batch = min(1000, max(50, 4 * self._connections))
        step = max(8, self._connections // 2) if ahead else 1
        assert self._writer is not None
        writer = self._writer
        built: list[Message] = []
        held: list[Message] = []
        seqs: list[int] = []
        next_counts = time.monotonic() + COUNTS_EVERY
        next_state = time.monotonic() + 1.0
        while self._ended is None:
            now = time.monotonic()
            if now >= next_state:
                next_state = now + 1.0
                if main.campaign_state(campaign_id) != "active":
                    self._halt("cancelled")
                    return
            if now >= next_counts and self._on_progress is not None:
                # Only progress needs them: on a long campaign the query reads every finished row.
                next_counts = now + COUNTS_EVERY
                self._snapshot(main.counts(campaign_id, time.time()))
            self._emit(started)
            rows = main.reserve(campaign_id, worker.id, batch)
            if not rows:
                break
            for index, row in enumerate(rows):
                if self._ended is not None:
                    return
                try:
                    built.append(factory.build(row.seq, renderer.render(json.loads(row.vars))))
                    seqs.append(row.seq)
                except RowProblem as exc:
                    # Validated rows render; this one no longer does: fail it alone.
                    self._write(
                        Outcome(row.seq, "failed", time.time(), error_code="RenderError", reason=exc.message)
                    )
                if len(built) >= step or (built and index == len(rows) - 1):
                    if ahead:
                        # One step is claimed while the one before goes out, so its commit is usually
                        # made by the time a connection takes it.
                        writer.claim_ahead(seqs)
                        built, held = held, built
                    for message in built:
                        if self._ended is not None:
                            return  # rows claimed ahead go back when the writer closes
                        yield message
                    built, seqs = [], []
        for message in held:
            if self._ended is not None:
                return
            yield message

    def _finished(self, result: SendResult) -> None:
        message = result.message
        seq = row_of(getattr(message, "ses", None) or {})
        if seq is None:
            return
        error = result.error
        if isinstance(error, LedgerLostError):
            self._fatal = self._fatal or error
            self._halt("stopped")
            return
        if isinstance(error, ClaimRefusedError):
            return  # nothing was sent; the row stays pending
        outcome = outcome_of(seq, result)
        if isinstance(error, MessageError):
            outcome = Outcome(seq, "failed", outcome.at, error_code="MessageError", reason=error.message)
        self._write(outcome)
        if outcome.state == "failed" and isinstance(error, ACCOUNT_ERRORS):
            self._fatal = self._fatal or error
            self._halt("stopped")

    def _write(self, outcome: Outcome) -> None:
        assert self._writer is not None
        self._writer.record(outcome)
        self._done[outcome.state] += 1

    def _snapshot(self, counts: LedgerCounts) -> None:
        """Fresh counts from the ledger; progress adds this worker's outcomes since."""
        self._counts = counts
        self._done_at_snapshot = dict(self._done)

    def _emit(self, started: float, *, force: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_emit < PROGRESS_EVERY:
            return
        self._last_emit = now
        counts = self._counts
        since = {state: self._done[state] - self._done_at_snapshot.get(state, 0) for state in self._done}
        mine = sum(self._done.values())
        self._recent.append((now, mine))
        while len(self._recent) > 2 and now - self._recent[0][0] > 5.0:
            self._recent.popleft()
        first_time, first_count = self._recent[0]
        rate = (mine - first_count) / (now - first_time) if now - first_time > 0.2 else 0.0
        rate = max(rate, counts.recent_rate)
        left = max(0, counts["pending"] + counts["sending"] - sum(since.values()))
        self._on_progress(
            Progress(
                total=counts.total,
                sent=counts["sent"] + since["sent"],
                failed=counts["failed"] + since["failed"],
                unknown=counts["unknown"] + since["unknown"],
                skipped=counts["skipped"],
                pending=left,
                sending=0,
                rate=rate,
                eta=left / rate if rate > 0 else None,
                elapsed=now - started,
            )
        )


__all__ = ["ACCOUNT_ERRORS", "Progress", "RunSummary", "Runner", "ledger_retryable", "outcome_of"]
