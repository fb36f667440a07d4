"""The ``Mailer``: composes messages, paces them through a rate limiter, sends them on parallel connections
and retries what SES certainly did not take.

The core is a pool of ``max_connections`` threads (boto3 is synchronous); ``asend``/``asend_many`` are thin
async faces over the same futures. ``send_many`` keeps at most ``2 * max_connections`` messages in hand, so
an iterable of a million messages never holds more than a few dozen of them, composed or not.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal, TypeAlias

from sesflow.errors import ConfigError, MessageError, OutcomeUnknownError, SendError
from sesflow.mime import Composed, Message, compose
from sesflow.send.limiter import GCRALimiter, RateLimiter
from sesflow.send.result import SendResult, nodemailer_message_id
from sesflow.send.retry import RetryPolicy
from sesflow.send.transport import RawEmail, Transport

Sendable: TypeAlias = Message | Composed


class Mailer:
    """Sends messages through a transport at a rate SES accepts, on ``max_connections`` parallel requests.

    ``rate`` counts recipients per second (to + cc + bcc), as SES does: ``None`` for no limit, a number, or
    ``"auto"`` to read the account's maximum sending rate from SES once, now. ``limiter`` replaces the
    in-process limiter (for example with one shared by several processes); then leave ``rate`` unset.
    ``retry`` says how throttled, 5xx and unreachable sends are retried (each retry waits for the limiter
    again). Per-message SES options come from ``Message.ses``, updated by the ``ses`` argument of a send.

    >>> with Mailer(SESTransport(region="eu-west-1"), rate="auto", max_connections=8) as mailer:
    ...     result = mailer.send(message)
    """

    def __init__(
        self,
        transport: Transport,
        rate: float | Literal["auto"] | None = None,
        max_connections: int = 10,
        retry: RetryPolicy | None = None,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise ConfigError(
                f"max_connections must be a whole number of at least 1, not {max_connections!r}",
                hint="Use --connections 1 or more.",
            )
        if limiter is not None and rate is not None:
            raise ConfigError("Pass either rate or limiter, not both.")
        self._transport = transport
        self._max_connections = max_connections
        self._retry = retry or RetryPolicy()
        if limiter is None and rate is not None:
            limiter = GCRALimiter(_resolve_rate(rate, transport))
        self._limiter = limiter
        transport.prepare(max_connections)
        self._executor = ThreadPoolExecutor(max_workers=max_connections, thread_name_prefix="sesflow-send")
        self._pending: set[Future[SendResult]] = set()
        self._pending_lock = threading.Lock()
        self._closed = False

    @property
    def rate(self) -> float | None:
        """The limit in recipients per second, or None when sends are not limited."""
        return None if self._limiter is None else self._limiter.rate

    @property
    def max_connections(self) -> int:
        """How many requests may be in flight at once."""
        return self._max_connections

    # -- sync face ----------------------------------------------------------------------------------------

    def send(self, message: Sendable, *, ses: Mapping[str, Any] | None = None) -> SendResult:
        """Send one message and wait for its result.

        Raises MessageError (nothing sent) when the message cannot be composed or fails the checks; SES
        errors come back as a result with ``status`` "failed" or "unknown".
        """
        return self.submit(message, ses=ses).result()

    def submit(self, message: Sendable, *, ses: Mapping[str, Any] | None = None) -> Future[SendResult]:
        """Queue one message; the future gives its SendResult (or raises its MessageError)."""
        if self._closed:
            raise RuntimeError("this Mailer is closed")
        future = self._executor.submit(self._deliver, message, ses)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def send_many(self, messages: Iterable[Sendable], *, window: int | None = None) -> Iterator[SendResult]:
        """Send every message and yield results in completion order, holding at most ``window`` messages.

        ``window`` defaults to ``2 * max_connections``. A message that cannot be sent as given does not stop
        the others: its result has status "failed" and a MessageError.
        """
        limit = self._window(window)
        source = iter(messages)
        # Finished futures arrive on a queue (a done callback each), so taking the next result costs the
        # same with 2 or 200 messages in flight; concurrent.futures.wait would visit every pending future.
        finished: queue.SimpleQueue[Future[SendResult]] = queue.SimpleQueue()
        pending: set[Future[SendResult]] = set()
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < limit:
                    try:
                        message = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    future = self._submit_tolerant(message)
                    pending.add(future)
                    future.add_done_callback(finished.put)
                if not pending:
                    return
                future = finished.get()
                pending.discard(future)
                yield future.result()
        finally:
            for future in pending:
                future.cancel()

    def flush(self) -> None:
        """Wait until every message submitted so far has its result."""
        while True:
            with self._pending_lock:
                pending = set(self._pending)
            if not pending:
                return
            wait(pending)

    def close(self) -> None:
        """Finish the queued sends, then stop the connection threads. The transport stays open."""
        if self._closed:
            return
        self._closed = True
        self.flush()
        self._executor.shutdown(wait=True)

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- async face ---------------------------------------------------------------------------------------

    async def asend(self, message: Sendable, *, ses: Mapping[str, Any] | None = None) -> SendResult:
        """Async twin of ``send``: the event loop keeps running while the message goes out."""
        return await asyncio.wrap_future(self.submit(message, ses=ses))

    async def asend_many(
        self, messages: Iterable[Sendable] | AsyncIterable[Sendable], *, window: int | None = None
    ) -> AsyncIterator[SendResult]:
        """Async twin of ``send_many``; ``messages`` may be a sync or an async iterable."""
        limit = self._window(window)
        source = _aiter(messages)
        finished: asyncio.Queue[asyncio.Future[SendResult]] = asyncio.Queue()
        pending: set[asyncio.Future[SendResult]] = set()
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < limit:
                    try:
                        message = await anext(source)
                    except StopAsyncIteration:
                        exhausted = True
                        break
                    future = asyncio.wrap_future(self._submit_tolerant(message))
                    pending.add(future)
                    future.add_done_callback(finished.put_nowait)
                if not pending:
                    return
                future = await finished.get()
                pending.discard(future)
                yield future.result()
        finally:
            for future in pending:
                future.cancel()

    # -- the work, on a connection thread -------------------------------------------------------------------

    def _window(self, window: int | None) -> int:
        if window is None:
            return 2 * self._max_connections
        if window < 1:
            raise ConfigError(f"window must be at least 1, not {window}")
        return window

    def _forget(self, future: Future[SendResult]) -> None:
        with self._pending_lock:
            self._pending.discard(future)

    def _submit_tolerant(self, message: Sendable) -> Future[SendResult]:
        if self._closed:
            raise RuntimeError("this Mailer is closed")
        return self._executor.submit(self._deliver_tolerant, message)

    def _deliver_tolerant(self, message: Sendable) -> SendResult:
        try:
            return self._deliver(message, None)
        except MessageError as error:
            return SendResult(status="failed", envelope=None, error=error, message=message)

    def _deliver(self, message: Sendable, ses: Mapping[str, Any] | None) -> SendResult:
        composed = message if isinstance(message, Composed) else compose(message)
        options = dict(getattr(message, "ses", None) or {})
        options.update(ses or {})
        email = RawEmail(
            raw=composed.raw, from_=composed.envelope.from_, to=tuple(composed.envelope.to), options=options
        )
        self._transport.check(email)
        return self._send_with_retries(email, composed, message)

    def _send_with_retries(self, email: RawEmail, composed: Composed, message: Sendable) -> SendResult:
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            permit = None if self._limiter is None else self._limiter.acquire(len(email.to))
            try:
                ses_id = self._transport.send_raw(email)
            except SendError as exc:
                error = exc
            else:
                return SendResult(
                    status="sent",
                    envelope=composed.envelope,
                    message_id=nodemailer_message_id(ses_id, self._transport.region),
                    response=ses_id,
                    accepted_at=datetime.now(UTC),
                    attempts=attempts,
                    message=message,
                )
            finally:
                if permit is not None:
                    permit.release()
            delay = None
            if not isinstance(error, OutcomeUnknownError):
                delay = self._retry.next_delay(error, attempts, time.monotonic() - started)
            if delay is None:
                return SendResult(
                    status="unknown" if isinstance(error, OutcomeUnknownError) else "failed",
                    envelope=composed.envelope,
                    attempts=attempts,
                    error=error,
                    message=message,
                )
            time.sleep(delay)


def _resolve_rate(rate: float | str, transport: Transport) -> float:
    if rate == "auto":
        value = transport.max_send_rate()
        if value <= 0:
            raise ConfigError(f"SES reports a maximum send rate of {value}; cannot send.")
        return value
    if isinstance(rate, str | bool) or not isinstance(rate, int | float):
        raise ConfigError(
            f"rate must be a positive number or 'auto', not {rate!r}", hint="Use --rate N or auto."
        )
    if not rate > 0:
        raise ConfigError(f"rate must be positive, not {rate!r}", hint="Use --rate N (N > 0) or --rate auto.")
    return float(rate)


async def _aiter(messages: Iterable[Sendable] | AsyncIterable[Sendable]) -> AsyncIterator[Sendable]:
    if isinstance(messages, AsyncIterable):
        async for message in messages:
            yield message
    else:
        for message in messages:
            yield message


__all__ = ["Mailer"]
