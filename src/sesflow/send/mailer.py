"""The ``Mailer``: composes messages, paces them through a rate limiter, sends them on parallel connections
and retries what SES certainly did not take. Messages SES renders from a template go the same way, one by
one (``TemplatedMessage``) or up to 50 destinations a call (``send_bulk``, in ``send/bulk.py``).

The core is a pool of ``max_connections`` threads (the transports are synchronous); ``asend``/``asend_many``
are thin async faces over the same futures. ``send_many`` keeps at most ``2 * max_connections`` messages in
hand, so an iterable of a million messages never holds more than a few dozen of them, composed or not. The
Mailer owns (and closes) the transport and limiter it built, and leaves alone the ones it was handed.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import queue
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from sesflow.errors import (
    ConfigError,
    MessageError,
)
from sesflow.mime.model import Addresses, AddressInput
from sesflow.send.bulk import bulk_call, run_bulk
from sesflow.send.delivery import deliver_message, template_transport
from sesflow.send.limiter import RateLimiter
from sesflow.send.limits import choose_limiter
from sesflow.send.result import Sendable, SendResult
from sesflow.send.retry import RetryPolicy
from sesflow.send.ses import choose_transport
from sesflow.send.templated import BulkDestination, TemplateContent
from sesflow.send.transport import SESEndpoint, Transport

if TYPE_CHECKING:
    import boto3


class _Default(enum.Enum):
    RATE = "the account's rate when the transport can ask SES, else no limit"


DEFAULT_RATE = _Default.RATE
"""``rate`` not given: ``"auto"`` for a transport that can ask SES for the account's rate, else no limit."""

RateSetting: TypeAlias = float | Literal["auto"] | _Default | None
"""What ``rate=`` takes: recipients per second, ``"auto"``, None (no limit), or nothing (``DEFAULT_RATE``)."""


class Mailer:
    """Sends messages at a rate SES accepts, on ``max_connections`` parallel requests.

    Give it a ``transport``, or let it build one and close it with itself: ``SESTransport`` from ``region``,
    ``endpoint_url``, ``session`` and ``api`` (``"v2"`` SendEmail, ``"v1"`` SendRawEmail), as boto3 takes
    them, bounded by ``connect_timeout``/``read_timeout``; ``BotocoreTransport`` when a proxy applies.

    ``rate`` counts recipients per second (to + cc + bcc), as SES does. Not given, it is ``"auto"`` (the
    account's maximum, one GetAccount call on first use) for a transport that can ask SES, and no limit for
    one that cannot (``MemoryTransport``); ``None`` means no limit. Throttling answers step the rate down, and
    it climbs back, so a rate too high slows sending instead of failing messages. ``redis_url`` (default: the
    ``SESFLOW_REDIS_URL`` environment variable) shares one rate, and ``daily_quota`` (recipients per rolling
    24 hours, or ``"auto"``), between every process using that Redis and ``redis_key`` (default
    ``sesflow:REGION:default``); ``limiter`` takes any RateLimiter instead. ``retry`` says how throttled, 5xx
    and unreachable sends are retried (each retry waits for the limiter again). Per-message SES options come
    from ``Message.ses``, updated by the ``ses`` argument of a send.

    Wherever a ``Message`` goes, a ``TemplatedMessage`` may go too (SES v2 SendEmail with a template, same
    limiter and retries); ``send_bulk`` sends one template to many destinations through SendBulkEmail.

    >>> with Mailer(region="eu-west-1", max_connections=8) as mailer:
    ...     mailer.send(message).raise_for_error()
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
        api: str | None = None,
        rate: RateSetting = DEFAULT_RATE,
        limiter: RateLimiter | None = None,
        redis_url: str | None = None,
        redis_key: str | None = None,
        daily_quota: int | Literal["auto"] | None = None,
        max_connections: int = 10,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise ConfigError(
                f"max_connections must be a whole number of at least 1, not {max_connections!r}",
                hint="Use --connections 1 or more.",
            )
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
        self._owns_transport = transport is None
        transport = choose_transport(
            transport,
            region=region,
            endpoint_url=endpoint_url,
            session=session,
            api=api,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_connections=max_connections,
        )
        self._transport = transport
        endpoint = transport if isinstance(transport, SESEndpoint) else None
        self._region = endpoint.region if endpoint is not None else "us-east-1"
        self._api = endpoint.api if endpoint is not None else "v2"
        try:
            self._limiter, self._owns_limiter = choose_limiter(
                transport,
                region=self._region,
                rate=None if rate is DEFAULT_RATE else rate,
                rate_given=rate is not DEFAULT_RATE,
                limiter=limiter,
                redis_url=redis_url,
                redis_key=redis_key,
                daily_quota=daily_quota,
            )
        except BaseException:
            if self._owns_transport:
                transport.close()
            raise
        self._max_connections = max_connections
        self._retry = retry or RetryPolicy()
        self._executor = ThreadPoolExecutor(max_workers=max_connections, thread_name_prefix="sesflow-send")
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()
        self._closed = False

    @property
    def transport(self) -> Transport:
        """The transport the messages go through (built by this Mailer, or the one it was given)."""
        return self._transport

    @property
    def limiter(self) -> RateLimiter | None:
        """The rate limiter every send waits for, or None when sends are not limited."""
        return self._limiter

    @property
    def rate(self) -> float | None:
        """The limit now in recipients per second, or None when sends are not limited."""
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

    def send_bulk(
        self,
        destinations: Iterable[BulkDestination],
        *,
        from_: AddressInput,
        template: str | TemplateContent,
        default_data: Mapping[str, Any] | None = None,
        default_tags: Mapping[str, str] | None = None,
        default_headers: Mapping[str, str] | None = None,
        reply_to: Addresses = None,
        configuration_set: str | None = None,
        ses: Mapping[str, Any] | None = None,
        window: int | None = None,
    ) -> list[SendResult]:
        """Send the stored ``template`` (a name or ARN; or a ``TemplateContent``) to every destination through
        SES v2 SendBulkEmail, and return one result per destination, in the order given.

        Destinations go in calls of at most 50, and of at most one second's worth of recipients under a rate
        limit (SES counts each destination's recipients against the rate); each call waits for the limiter
        (cost: its recipients) and runs on a connection, ``window`` calls (default ``2 * max_connections``)
        in hand at once, so an iterable of any length is read as it goes. A call SES did not take is retried
        whole; of a call it answered, only destinations with a retryable status (``ACCOUNT_THROTTLED``,
        ``TRANSIENT_FAILURE``) go again; a call with no answer leaves its destinations "unknown".

        ``default_data``, ``default_tags`` and ``default_headers`` apply to every destination, which may
        replace them (``BulkDestination.data`` is merged over ``default_data`` by SES). ``ses`` takes the
        other SendBulkEmail options (``FeedbackForwardingEmailAddress``, ``TenantName``, ...). Raises
        MessageError (nothing sent) when the shared part would be refused; a destination that would be
        refused comes back "failed" with its MessageError, and the others are sent.
        """
        transport = template_transport(self._transport, self._api)
        call = bulk_call(
            from_=from_,
            template=template,
            default_data=default_data,
            default_tags=default_tags,
            default_headers=default_headers,
            reply_to=reply_to,
            configuration_set=configuration_set,
            ses=ses,
        )
        if self._closed:
            raise RuntimeError("this Mailer is closed")
        return run_bulk(
            call,
            destinations,
            submit=self._track,
            window=self._window(window),
            send=transport.send_bulk,
            limiter=self._limiter,
            retry=self._retry,
            region=self._region,
        )

    def flush(self) -> None:
        """Wait until every message submitted so far has its result."""
        while True:
            with self._pending_lock:
                pending = set(self._pending)
            if not pending:
                return
            wait(pending)

    def close(self) -> None:
        """Finish the queued sends, then stop the connection threads and close what this Mailer built (the
        transport and limiter); a transport or limiter it was handed stays open."""
        if self._closed:
            return
        self._closed = True
        self.flush()
        self._executor.shutdown(wait=True)
        if self._owns_limiter and self._limiter is not None:
            close = getattr(self._limiter, "close", None)
            if close is not None:
                close()
        if self._owns_transport:
            self._transport.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- async face ---------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Async twin of ``close``: the event loop keeps running while the queued sends finish."""
        await asyncio.to_thread(self.close)

    async def __aenter__(self) -> Mailer:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def asend(self, message: Sendable, *, ses: Mapping[str, Any] | None = None) -> SendResult:
        """Async twin of ``send``: the event loop keeps running while the message goes out."""
        return await asyncio.wrap_future(self.submit(message, ses=ses))

    async def asend_bulk(
        self,
        destinations: Iterable[BulkDestination],
        *,
        from_: AddressInput,
        template: str | TemplateContent,
        default_data: Mapping[str, Any] | None = None,
        default_tags: Mapping[str, str] | None = None,
        default_headers: Mapping[str, str] | None = None,
        reply_to: Addresses = None,
        configuration_set: str | None = None,
        ses: Mapping[str, Any] | None = None,
        window: int | None = None,
    ) -> list[SendResult]:
        """Async twin of ``send_bulk``: the event loop keeps running while the calls go out."""
        bulk = functools.partial(
            self.send_bulk,
            destinations,
            from_=from_,
            template=template,
            default_data=default_data,
            default_tags=default_tags,
            default_headers=default_headers,
            reply_to=reply_to,
            configuration_set=configuration_set,
            ses=ses,
            window=window,
        )
        return await asyncio.to_thread(bulk)

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

    def _forget(self, future: Future[Any]) -> None:
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
        return deliver_message(
            message,
            ses,
            transport=self._transport,
            api=self._api,
            limiter=self._limiter,
            retry=self._retry,
            region=self._region,
        )

    def _track(self, work: Callable[[], list[SendResult]]) -> Future[list[SendResult]]:
        """Run ``work`` on a connection thread, counted among the sends ``flush`` and ``close`` wait for."""
        future = self._executor.submit(work)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future


async def _aiter(messages: Iterable[Sendable] | AsyncIterable[Sendable]) -> AsyncIterator[Sendable]:
    if isinstance(messages, AsyncIterable):
        async for message in messages:
            yield message
    else:
        for message in messages:
            yield message


__all__ = ["DEFAULT_RATE", "Mailer", "RateSetting", "Sendable"]
