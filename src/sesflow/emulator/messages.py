"""The stored message and its events, as the export, insights and inspection code read them.

Two kinds of message share one read interface (``MessageView``): messages sent through the API (kept whole,
with their raw bytes) and seeded history (derived on demand from a few numbers, see ``seeding``).
"""

from __future__ import annotations

import email.header
import email.parser
import email.policy
from dataclasses import dataclass, field
from typing import Any

from sesflow.emulator.scope import DEFAULT_ACCOUNT

_HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.compat32)

# (timestamp, EventType, destination, details or None) — tuples keep a million of them cheap.
Event = tuple[float, str, str, dict[str, Any] | None]

_ISPS = {
    "gmail.com": "Gmail",
    "googlemail.com": "Gmail",
    "yahoo.com": "Yahoo",
    "ymail.com": "Yahoo",
    "outlook.com": "Hotmail",
    "hotmail.com": "Hotmail",
    "live.com": "Hotmail",
    "msn.com": "Hotmail",
    "icloud.com": "iCloud",
    "me.com": "iCloud",
    "mac.com": "iCloud",
    "aol.com": "AOL",
    "comcast.net": "Comcast",
    "simulator.amazonses.com": "Amazon SES Mailbox Simulator",
}

# EventType -> the DeliveryEventType a message's LastDeliveryEvent reports.
_DELIVERY_TYPES = {"SEND": "SEND", "DELIVERY": "DELIVERY", "COMPLAINT": "COMPLAINT"}
_BOUNCE_TYPES = {
    "PERMANENT": "PERMANENT_BOUNCE",
    "TRANSIENT": "TRANSIENT_BOUNCE",
    "UNDETERMINED": "UNDETERMINED_BOUNCE",
}


def isp_for(address: str) -> str:
    """The mailbox provider of an address, as Message Insights names it (``Other`` when unknown)."""
    domain = address.rpartition("@")[2].lower()
    return _ISPS.get(domain, "Other")


def delivery_kind(event: Event) -> str | None:
    """The DeliveryEventType an event counts as, or None for engagement/other events."""
    kind = event[1]
    if kind == "BOUNCE":
        details = event[3] or {}
        return _BOUNCE_TYPES.get(details.get("Bounce", {}).get("BounceType", ""), "UNDETERMINED_BOUNCE")
    return _DELIVERY_TYPES.get(kind)


def last_events(events: list[Event]) -> tuple[str | None, str | None]:
    """(LastDeliveryEvent, LastEngagementEvent) of time-ordered events."""
    delivery: str | None = None
    engagement: str | None = None
    for event in events:
        kind = delivery_kind(event)
        if kind is not None:
            delivery = kind
        elif event[1] in ("OPEN", "CLICK"):
            engagement = event[1]
    return delivery, engagement


@dataclass(slots=True)
class MessageView:
    """One message as exports and GetMessageInsights see it (events in time order)."""

    message_id: str
    sent_at: float
    from_address: str
    destinations: tuple[str, ...]
    subject: str
    tags: list[tuple[str, str]]
    events: list[Event]
    seeded: bool = False
    configuration_set: str | None = None
    auto_reply_to: str | None = None  # set on a simulator auto-reply: the MessageId it answers
    account: str = DEFAULT_ACCOUNT
    region: str = ""


@dataclass(slots=True)
class LiveMessage:
    """A message sent through the API (or a simulator auto-reply): kept whole so the page can show it."""

    message_id: str
    sent_at: float
    from_address: str
    destinations: tuple[str, ...]
    raw: bytes
    operation: str
    tags: list[tuple[str, str]] = field(default_factory=list)
    configuration_set: str | None = None
    events: list[Event] = field(default_factory=list)
    subject_text: str | None = None
    auto_reply_to: str | None = None  # an inbound auto-reply (not a send): the MessageId it answers
    account: str = DEFAULT_ACCOUNT
    region: str = ""

    @property
    def subject(self) -> str:
        """The Subject header, parsed from the raw bytes the first time it is asked for."""
        if self.subject_text is None:
            self.subject_text = decoded(parse_headers(self.raw).get("Subject"))
        return self.subject_text

    def view(self) -> MessageView:
        """This message through the common read interface."""
        self.events.sort(key=lambda e: e[0])
        return MessageView(
            self.message_id,
            self.sent_at,
            self.from_address,
            self.destinations,
            self.subject,
            self.tags,
            self.events,
            False,
            self.configuration_set,
            self.auto_reply_to,
            self.account,
            self.region,
        )


def parse_headers(raw: bytes) -> email.message.Message:
    """Parse only the header block of a raw message (cheap: compat32 policy, the body is not read)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw if end < 0 else raw[: end + 2]
    return _HEADER_PARSER.parsebytes(head)


def header_fields(raw: bytes, wanted: frozenset[str]) -> dict[str, list[str]]:
    """Values of the ``wanted`` (lower-case) headers, unfolded; a fast scan for the send hot path."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = (raw if end < 0 else raw[:end]).decode("utf-8", "replace")
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in head.splitlines():
        if line[:1] in (" ", "\t"):
            if current is not None:
                current[-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        current = None
        if sep:
            key = name.strip().lower()
            if key in wanted:
                current = found.setdefault(key, [])
                current.append(value.strip())
    return found


def decoded(value: object) -> str:
    """A header value with RFC 2047 encoded words decoded ("" when absent)."""
    if value is None:
        return ""
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except (ValueError, LookupError):
        return str(value)


def parse_message(raw: bytes) -> email.message.EmailMessage:
    """Parse a whole raw message (for the inspection page: bodies and attachments)."""
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed
