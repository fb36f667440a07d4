"""``MemoryTransport``: a transport that keeps every message in memory instead of sending it, for your own
tests (as Nodemailer's jsonTransport and httpx's MockTransport).

The Mailer in front of it runs exactly as it runs in front of SES (composition, the checks, retries, the
result's ids), so a test of your code sees what production would send, and can make a send fail on purpose:

>>> transport = MemoryTransport()
>>> with Mailer(transport) as mailer:
...     mailer.send(Message(from_="shop@example.com", to="ann@example.org", subject="Hi", text="Hello."))
>>> transport.messages[0].message["Subject"]
'Hi'

Messages SES would render from a template (``TemplatedMessage``, ``Mailer.send_bulk``) are kept in
``templated``, unrendered: the template, the data and the recipients each one would have gone out with. A bulk
send's destinations are kept one by one, with the call's defaults merged in as SES merges them.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from sesflow.errors import ConfigError, SendError
from sesflow.send.error_codes import bulk_status
from sesflow.send.transport import API_CHOICES, RawEmail


@dataclass(frozen=True)
class StoredMessage:
    """One message a MemoryTransport took: the id it answered with and the email as the Mailer sent it."""

    message_id: str
    email: RawEmail

    @property
    def message(self) -> EmailMessage:
        """The raw bytes parsed (``email.policy.default``): headers and parts to assert on."""
        parsed = message_from_bytes(self.email.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every envelope recipient (to, cc and bcc)."""
        return self.email.to


@dataclass(frozen=True)
class TemplatedEmail:
    """One message SES would render from a template: ``params`` are its v2 SendEmail parameters (for a bulk
    destination, the call's defaults merged with the destination's replacements)."""

    params: Mapping[str, Any]

    @property
    def template(self) -> str:
        """The stored template's name (or ARN), or ``"inline"`` for content sent along."""
        spec = self.params["Content"]["Template"]
        return str(spec.get("TemplateName") or spec.get("TemplateArn") or "inline")

    @property
    def content(self) -> dict[str, str] | None:
        """The inline ``TemplateContent`` (``Subject``, ``Html``, ``Text``), or None for a stored template."""
        found = self.params["Content"]["Template"].get("TemplateContent")
        return None if found is None else dict(found)

    @property
    def data(self) -> dict[str, Any]:
        """The data the template would be rendered with."""
        return dict(json.loads(self.params["Content"]["Template"].get("TemplateData") or "{}"))

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every recipient (to, cc and bcc), bare."""
        destination = self.params.get("Destination") or {}
        keys = ("ToAddresses", "CcAddresses", "BccAddresses")
        return tuple(parseaddr(shown)[1] for key in keys for shown in destination.get(key, ()))

    @property
    def tags(self) -> dict[str, str]:
        """The message tags, name -> value."""
        return {tag["Name"]: tag["Value"] for tag in self.params.get("EmailTags", ())}


@dataclass(frozen=True)
class StoredTemplated:
    """One templated message a MemoryTransport took: the id it answered with, and the message."""

    message_id: str
    email: TemplatedEmail


def destination_params(call: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """The SendEmail parameters of one SendBulkEmail entry: the call's template, data, tags and headers with
    the entry's replacements over them (data by key, tags and headers by name)."""
    params = {key: value for key, value in call.items() if key not in ("DefaultContent", "DefaultEmailTags")}
    spec = dict(call["DefaultContent"]["Template"])
    replacement = (entry.get("ReplacementEmailContent") or {}).get("ReplacementTemplate") or {}
    data = json.loads(spec.get("TemplateData") or "{}")
    data.update(json.loads(replacement.get("ReplacementTemplateData") or "{}"))
    spec["TemplateData"] = json.dumps(data, separators=(",", ":"))
    headers = _by_name(spec.get("Headers"), entry.get("ReplacementHeaders"))
    if headers:
        spec["Headers"] = headers
    params.update(Destination=entry["Destination"], Content={"Template": spec})
    tags = _by_name(call.get("DefaultEmailTags"), entry.get("ReplacementTags"))
    if tags:
        params["EmailTags"] = tags
    return params


def _by_name(default: Any, replacement: Any) -> list[dict[str, str]]:
    merged = {pair["Name"].lower(): pair for pair in default or ()}
    merged.update({pair["Name"].lower(): pair for pair in replacement or ()})
    return list(merged.values())


class MemoryTransport:
    """Keeps messages instead of sending them. Thread-safe.

    ``handler``, when given, is called with each RawEmail before it is kept: return None to keep it as
    usual, or raise a ``sesflow.errors.SendError`` (``ThrottlingError``, ``MessageRejectedError``, ...) to
    answer as SES would; a refused message is not kept. ``template_handler`` does the same for each
    ``TemplatedEmail``; for a bulk destination, its error becomes that destination's status (a
    ``ThrottlingError`` is ``ACCOUNT_THROTTLED``) and the others are kept. ``region`` and ``api`` play the
    part of SES's (the Mailer's size and option checks follow ``api``). Message ids are ``memory-000001``,
    ``memory-000002``, ...
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        api: str = "v2",
        handler: Callable[[RawEmail], None] | None = None,
        template_handler: Callable[[TemplatedEmail], None] | None = None,
    ) -> None:
        if api not in API_CHOICES:
            raise ConfigError(f"api must be 'v2' or 'v1', not {api!r}")
        self._region = region
        self._api = api
        self._handler = handler
        self._template_handler = template_handler
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._messages: list[StoredMessage] = []
        self._templated: list[StoredTemplated] = []

    @property
    def region(self) -> str:
        """The region given (it appears in the Nodemailer-style message ids)."""
        return self._region

    @property
    def api(self) -> str:
        """The SES API played: ``"v2"`` or ``"v1"``."""
        return self._api

    @property
    def request_timeout(self) -> float:
        """Nothing travels: 0 seconds."""
        return 0.0

    @property
    def messages(self) -> list[StoredMessage]:
        """The messages kept so far, in the order they were sent (a copy)."""
        with self._lock:
            return list(self._messages)

    @property
    def templated(self) -> list[StoredTemplated]:
        """The templated messages kept so far (bulk destinations one by one), in the order sent (a copy)."""
        with self._lock:
            return list(self._templated)

    def clear(self) -> None:
        """Forget every message kept so far, raw and templated."""
        with self._lock:
            self._messages.clear()
            self._templated.clear()

    def send_raw(self, email: RawEmail) -> str:
        """Keep ``email`` (unless the handler raises) and return its message id."""
        if self._handler is not None:
            self._handler(email)
        with self._lock:
            message_id = f"memory-{next(self._numbers):06d}"
            self._messages.append(StoredMessage(message_id, email))
        return message_id

    def send_templated(self, params: Mapping[str, Any]) -> str:
        """Keep the templated message of these SendEmail ``params`` (unless ``template_handler`` raises)."""
        email = TemplatedEmail(params)
        if self._template_handler is not None:
            self._template_handler(email)
        with self._lock:
            message_id = f"memory-{next(self._numbers):06d}"
            self._templated.append(StoredTemplated(message_id, email))
        return message_id

    def send_bulk(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Keep each destination of these SendBulkEmail ``params`` as a templated message; its entry result,
        as SES answers (a ``template_handler`` error becomes the destination's status)."""
        results: list[dict[str, Any]] = []
        for entry in params["BulkEmailEntries"]:
            try:
                message_id = self.send_templated(destination_params(params, entry))
            except SendError as error:
                results.append({"Status": bulk_status(error), "Error": error.message})
            else:
                results.append({"Status": "SUCCESS", "MessageId": message_id})
        return results

    async def asend_raw(self, email: RawEmail) -> str:
        """Async twin of ``send_raw``."""
        return self.send_raw(email)

    def close(self) -> None:
        """Nothing to release; the messages stay readable."""

    async def aclose(self) -> None:
        """Async twin of ``close``."""


__all__ = ["MemoryTransport", "StoredMessage", "StoredTemplated", "TemplatedEmail", "destination_params"]
