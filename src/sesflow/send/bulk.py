"""Bulk sends through SES v2 ``SendBulkEmail``: one templated call for up to 50 destinations, one result per
destination.

``bulk_call`` checks what every call of a bulk send shares (sender, template, default data, tags and
headers, options); ``bulk_entry`` checks one destination. ``chunked`` groups the checked destinations into
calls of at most 50 destinations and, under a rate limit, at most the rate's worth of recipients: SES counts
every destination's recipients against the rate at the moment the call arrives, so a call bigger than one
second's worth would come back partly throttled however well the calls are paced.

``deliver_chunk`` sends one call the way ``delivery.deliver`` sends one message: each attempt waits for the
limiter (cost: the recipients of the destinations in it); a call SES certainly did not take (throttled, 5xx,
unreachable) is retried whole; a call with no answer leaves every destination in it "unknown" (never
resent); and of a call SES answered, only the destinations whose status is retryable (``ACCOUNT_THROTTLED``,
``TRANSIENT_FAILURE``) go again, in a smaller call.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sesflow.errors import (
    DailyQuotaExceededError,
    MessageError,
    OutcomeUnknownError,
    SendError,
    ThrottlingError,
)
from sesflow.mime import Envelope
from sesflow.mime.model import Addresses, AddressInput
from sesflow.send.error_codes import from_bulk_status, outcome_unknown
from sesflow.send.limiter import Permit, RateLimiter
from sesflow.send.result import SendResult, SendStatus, nodemailer_message_id
from sesflow.send.retry import RetryPolicy
from sesflow.send.templated import (
    MAX_DESTINATIONS,
    MAX_HEADERS,
    BulkDestination,
    TemplateContent,
    data_json,
    destination,
    mailboxes,
    name_values,
    sender,
    template_spec,
    validate,
)

SendBulk = Callable[[dict[str, Any]], list[dict[str, Any]]]
"""One SendBulkEmail call: its parameters in, its ``BulkEmailEntryResults`` out (or a SendError)."""

# The per-message SES options SendBulkEmail takes (tags are default_tags=, the configuration set its own).
BULK_OPTIONS = (
    "FromEmailAddressIdentityArn",
    "FeedbackForwardingEmailAddress",
    "FeedbackForwardingEmailAddressIdentityArn",
    "EndpointId",
    "TenantName",
)


@dataclass(frozen=True)
class BulkCall:
    """What every SendBulkEmail call of one bulk send carries: ``params`` without ``BulkEmailEntries``, and
    the sender's bare address (the envelopes')."""

    params: dict[str, Any]
    from_: str


@dataclass(frozen=True)
class BulkEntry:
    """One checked destination: its place in the send, what was given, its ``BulkEmailEntry`` and envelope."""

    index: int
    destination: BulkDestination
    params: dict[str, Any]
    envelope: Envelope

    @property
    def cost(self) -> int:
        """Its recipients: what it counts against the rate."""
        return len(self.envelope.to)


def bulk_call(
    *,
    from_: AddressInput,
    template: str | TemplateContent,
    default_data: Mapping[str, Any] | None = None,
    default_tags: Mapping[str, str] | None = None,
    default_headers: Mapping[str, str] | None = None,
    reply_to: Addresses = None,
    configuration_set: str | None = None,
    ses: Mapping[str, Any] | None = None,
) -> BulkCall:
    """The checked shared part of a bulk send; MessageError naming the field when SES would refuse it."""
    bare_from, shown_from = sender("from_", from_)
    spec = template_spec(template)
    spec["TemplateData"] = data_json("default_data", default_data)
    headers = name_values("default_headers", default_headers, MAX_HEADERS)
    if headers:
        spec["Headers"] = headers
    params: dict[str, Any] = {"FromEmailAddress": shown_from, "DefaultContent": {"Template": spec}}
    replies = [shown for _, shown in mailboxes("reply_to", reply_to)]
    if replies:
        params["ReplyToAddresses"] = replies
    tags = name_values("default_tags", default_tags)
    if tags:
        params["DefaultEmailTags"] = tags
    if configuration_set:
        params["ConfigurationSetName"] = configuration_set
    for key, value in (ses or {}).items():
        if key not in BULK_OPTIONS:
            raise MessageError(
                f"{key!r} is not an SES option of SendBulkEmail.",
                hint="Tags go in default_tags= (and each destination's tags=), the configuration set in "
                "configuration_set=; other options: " + ", ".join(BULK_OPTIONS) + ".",
            )
        params[key] = value
    validate("SendBulkEmail", {**params, "BulkEmailEntries": [{"Destination": {"ToAddresses": [bare_from]}}]})
    return BulkCall(params, bare_from)


def bulk_entry(call: BulkCall, index: int, given: BulkDestination) -> BulkEntry:
    """Destination number ``index`` checked as its ``BulkEmailEntry``; MessageError naming the field."""
    where = f"destinations[{index}]."
    if not isinstance(given, BulkDestination):
        raise MessageError(f"destinations[{index}] is not a BulkDestination: {type(given).__name__}")
    dest, recipients = destination(given.to, given.cc, given.bcc, where)
    params: dict[str, Any] = {"Destination": dest}
    if given.data is not None:
        replacement = {"ReplacementTemplateData": data_json(f"{where}data", given.data)}
        params["ReplacementEmailContent"] = {"ReplacementTemplate": replacement}
    tags = name_values(f"{where}tags", given.tags)
    if tags:
        params["ReplacementTags"] = tags
    headers = name_values(f"{where}headers", given.headers, MAX_HEADERS)
    if headers:
        params["ReplacementHeaders"] = headers
    return BulkEntry(index, given, params, Envelope(from_=call.from_, to=recipients))


def chunked(entries: Iterable[BulkEntry], max_cost: Callable[[], float]) -> Iterator[list[BulkEntry]]:
    """``entries`` in calls of at most 50 destinations and at most ``max_cost()`` recipients, asked as each
    call starts (a destination bigger than that goes alone)."""
    chunk: list[BulkEntry] = []
    cost, limit = 0, max_cost()
    for entry in entries:
        if chunk and (len(chunk) >= MAX_DESTINATIONS or cost + entry.cost > limit):
            yield chunk
            chunk, cost, limit = [], 0, max_cost()
        chunk.append(entry)
        cost += entry.cost
    if chunk:
        yield chunk


def rate_of(limiter: RateLimiter | None) -> Callable[[], float]:
    """The most recipients one call may hold under ``limiter``: its rate now (no limit without one)."""

    def limit() -> float:
        if limiter is None:
            return math.inf
        try:
            return limiter.rate
        except SendError:  # the limiter cannot be asked now; acquiring will say so for the call
            return math.inf

    return limit


def run_bulk(
    call: BulkCall,
    destinations: Iterable[BulkDestination],
    *,
    submit: Callable[[Callable[[], list[SendResult]]], Future[list[SendResult]]],
    window: int,
    send: SendBulk,
    limiter: RateLimiter | None,
    retry: RetryPolicy,
    region: str,
) -> list[SendResult]:
    """Every destination's result, in the order given: destinations that fail their checks come back
    "failed" with the MessageError (nothing sent for them), the others are sent in calls (``chunked``),
    ``submit`` runs each call's delivery on a connection thread, at most ``window`` calls in hand at once."""
    results: dict[int, SendResult] = {}
    count = 0

    def checked() -> Iterator[BulkEntry]:
        nonlocal count
        for index, given in enumerate(destinations):
            count = index + 1
            try:
                yield bulk_entry(call, index, given)
            except MessageError as error:
                results[index] = SendResult("failed", None, error=error, message=given)

    def deliver(chunk: list[BulkEntry]) -> list[SendResult]:
        return deliver_chunk(call, chunk, send=send, limiter=limiter, retry=retry, region=region)

    in_flight: dict[Future[list[SendResult]], list[BulkEntry]] = {}

    def collect(done: Iterable[Future[list[SendResult]]]) -> None:
        for future in done:
            chunk = in_flight.pop(future)
            for entry, result in zip(chunk, future.result(), strict=True):
                results[entry.index] = result

    try:
        for chunk in chunked(checked(), rate_of(limiter)):
            if len(in_flight) >= window:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                collect(done)
            in_flight[submit(functools.partial(deliver, chunk))] = chunk
        collect(wait(in_flight).done)
    finally:
        for future in in_flight:
            future.cancel()
    return [results[index] for index in range(count)]


def deliver_chunk(
    call: BulkCall,
    entries: list[BulkEntry],
    *,
    send: SendBulk,
    limiter: RateLimiter | None,
    retry: RetryPolicy,
    region: str,
) -> list[SendResult]:
    """Send ``entries`` as SendBulkEmail calls until each has its final result (same order as ``entries``)."""
    results: dict[int, SendResult] = {}
    attempts = dict.fromkeys((e.index for e in entries), 0)

    def finish(
        entry: BulkEntry, status: SendStatus, error: SendError | None, ses_id: str | None = None
    ) -> None:
        results[entry.index] = SendResult(
            status=status,
            envelope=entry.envelope,
            message_id=None if ses_id is None else nodemailer_message_id(ses_id, region),
            response=ses_id,
            accepted_at=None if ses_id is None else datetime.now(UTC),
            attempts=attempts[entry.index],
            error=error,
            message=entry.destination,
        )

    started = time.monotonic()
    tries = 0  # what the retry policy counts: calls, and waits for the limiter that failed
    pending = list(entries)
    while pending:
        tries += 1
        try:
            permit = None if limiter is None else limiter.acquire(sum(entry.cost for entry in pending))
        except DailyQuotaExceededError as refused:
            for entry in pending:
                finish(entry, "failed", refused)
            break
        except SendError as unavailable:  # the limiter could not decide (Redis, SES's quota): not sent
            failed = [(entry, unavailable) for entry in pending]
        else:
            for entry in pending:
                attempts[entry.index] += 1
            try:
                failed = _call(call, pending, send, permit, finish)
            except OutcomeUnknownError as lost:
                # SES may have sent any of them, and has no idempotency key: none is resent.
                for entry in pending:
                    finish(entry, "unknown", lost)
                break
            if failed and all(isinstance(problem, ThrottlingError) for _, problem in failed):
                tries -= 1  # as in deliver(): a throttled send waits its turn again, using no attempt
        for entry, error in failed:
            if not error.retryable:
                finish(entry, "failed", error)
        retryable = [(entry, error) for entry, error in failed if error.retryable]
        delay = None
        if retryable:
            delay = retry.next_delay(retryable[0][1], max(tries, 1), time.monotonic() - started)
        if delay is None:
            for entry, error in retryable:
                finish(entry, "failed", error)
            break
        time.sleep(delay)
        pending = [entry for entry, _ in retryable]
    return [results[entry.index] for entry in entries]


Finish = Callable[[BulkEntry, SendStatus, SendError | None, str | None], None]


def _call(
    call: BulkCall, pending: list[BulkEntry], send: SendBulk, permit: Permit | None, finish: Finish
) -> list[tuple[BulkEntry, SendError]]:
    """One SendBulkEmail call of ``pending``: the destinations SES took are finished, the others come back
    with their error. Raises OutcomeUnknownError when no usable answer came; tells the permit how it went."""
    sent, throttled = False, False
    try:
        try:
            answers = send({**call.params, "BulkEmailEntries": [entry.params for entry in pending]})
        except SendError as refused:
            sent, throttled = isinstance(refused, OutcomeUnknownError), isinstance(refused, ThrottlingError)
            if sent:
                raise
            return [(entry, refused) for entry in pending]
        if len(answers) != len(pending):
            sent = True
            raise outcome_unknown(f"{len(pending)} results expected from SendBulkEmail, {len(answers)} came")
        failed: list[tuple[BulkEntry, SendError]] = []
        for entry, answer in zip(pending, answers, strict=True):
            status = str(answer.get("Status") or "FAILED")
            if status.upper() == "SUCCESS" and answer.get("MessageId"):
                finish(entry, "sent", None, str(answer["MessageId"]))
                continue
            error = from_bulk_status(status, answer.get("Error"))
            throttled = throttled or isinstance(error, ThrottlingError)
            failed.append((entry, error))
        # Destinations SES took count for the day; when it took none, none does (the count is kept whole,
        # so it is never below the truth).
        sent = len(failed) < len(pending)
        return failed
    finally:
        if permit is not None:
            permit.release(sent=sent, throttled=throttled)


__all__ = [
    "BULK_OPTIONS",
    "BulkCall",
    "BulkEntry",
    "SendBulk",
    "bulk_call",
    "bulk_entry",
    "chunked",
    "deliver_chunk",
    "rate_of",
    "run_bulk",
]
