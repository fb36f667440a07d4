"""Accepting a send: validation like SES, the limits, message ids, the mailbox simulator and the log.

Shared by the v1 (SendRawEmail, SendEmail) and v2 (SendEmail) front ends; ``protocol`` picks the error
codes each API uses for the same failure.
"""

from __future__ import annotations

import email.message
import email.utils
import random
import re
import time
import uuid
from dataclasses import dataclass

from sesflow.emulator.autoreply import ooto_reply, reply_address
from sesflow.emulator.config import EmulatorConfig
from sesflow.emulator.limits import SendLimiter, SendsLog
from sesflow.emulator.messages import LiveMessage, header_fields
from sesflow.emulator.simulator import MailboxSimulator, simulator_box
from sesflow.emulator.store import Store
from sesflow.emulator.wire import ApiError

MAX_RECIPIENTS = 50
_SCANNED_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "return-path", "x-ses-configuration-set", "x-ses-message-tags"}
)
MAX_SIZE = {"v1": 10 * 1024 * 1024, "v2": 40 * 1024 * 1024}


@dataclass(slots=True)
class Outgoing:
    """A send request after its protocol was decoded."""

    operation: str
    protocol: str  # "v1" | "v2"
    from_address: str | None
    destinations: list[str] | None
    raw: bytes
    tags: list[tuple[str, str]]
    configuration_set: str | None = None


def bad_request(protocol: str, message: str) -> ApiError:
    """The invalid-parameter error of each API."""
    if protocol == "v1":
        return ApiError("InvalidParameterValue", message)
    return ApiError("BadRequestException", message)


_TAG_TEXT = re.compile(r"^[A-Za-z0-9_-]{0,256}$")
MAX_TAG_LENGTH = 256


def check_tags(protocol: str, tags: list[tuple[str, str]]) -> None:
    """Refuse message tags SES refuses: names and values of ASCII letters, digits, ``_`` and ``-``, at most
    256 characters, and a name that is not empty."""
    for name, value in tags:
        if not name or not _TAG_TEXT.match(name):
            raise bad_request(
                protocol,
                f"Invalid tag name <{name}>: only alphanumeric ASCII characters, '_', and '-' are allowed"
                f" (1 to {MAX_TAG_LENGTH} characters).",
            )
        if not _TAG_TEXT.match(value):
            raise bad_request(
                protocol,
                f"Invalid tag value <{value}>: only alphanumeric ASCII characters, '_', and '-' are allowed"
                f" (at most {MAX_TAG_LENGTH} characters).",
            )


def header_tags(protocol: str, values: list[str]) -> list[tuple[str, str]]:
    """The tags of ``X-SES-MESSAGE-TAGS`` headers (``name=value`` pairs separated by commas)."""
    tags: list[tuple[str, str]] = []
    for value in values:
        for pair in value.split(","):
            if not pair.strip():
                continue
            name, sep, tag = pair.partition("=")
            if not sep:
                raise bad_request(
                    protocol, f"Invalid X-SES-MESSAGE-TAGS entry <{pair.strip()}>: expected name=value."
                )
            tags.append((name.strip(), tag.strip()))
    return tags


_PLAIN = re.compile(r"^\s*(?:[^<>\",;:()\[\]\\]*<)?([^\s<>\",;:()\[\]\\]+@[^\s<>\",;:()\[\]\\]+)>?\s*$")


def bare_address(value: str) -> str:
    """The addr-spec of a mailbox (``"Ann" <ann@x.org>`` -> ``ann@x.org``)."""
    plain = _PLAIN.match(value)
    if plain is not None:  # the common case, without the cost of the full RFC 5322 parser
        return plain.group(1)
    return email.utils.parseaddr(value)[1] or value.strip()


def header_addresses(values: list[str]) -> list[str]:
    """Every addr-spec in address header values (``To``, ``Cc``, ``Bcc``)."""
    found: list[str] = []
    for value in values:
        if '"' in value or "(" in value or ":" in value:
            found.extend(addr for _, addr in email.utils.getaddresses([value]) if addr)
        else:
            found.extend(bare_address(part) for part in value.split(",") if part.strip())
    return found


def simple_raw(
    from_address: str,
    to: list[str],
    cc: list[str],
    subject: str,
    text: str | None,
    html: str | None,
    reply_to: list[str] | None = None,
) -> bytes:
    """A raw message for a Simple (non-raw) send, so the inspection page can show it like any other."""
    message = email.message.EmailMessage()
    message["From"] = from_address
    if to:
        message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if reply_to:
        message["Reply-To"] = ", ".join(reply_to)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["MIME-Version"] = "1.0"
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message.as_bytes(policy=email.policy.SMTP)


class Sender:
    """Checks and records sends against the account's limits and identities."""

    def __init__(self, config: EmulatorConfig, store: Store, log: SendsLog, rng: random.Random) -> None:
        self.config = config
        self.store = store
        self.log = log
        self.rng = rng
        self.limiter = SendLimiter(config.max_send_rate, config.max_24h_send)
        day_ago = time.time() - 86_400
        for message in store.live:  # sends kept in --data-dir still count against the 24-hour quota
            if message.sent_at > day_ago:
                self.limiter.restore(message.sent_at, len(message.destinations))
        self.simulator = MailboxSimulator(
            rng, config.open_probability, config.click_probability, config.event_delay_scale
        )

    def _unique(self) -> uuid.UUID:
        if self.config.seed is not None:
            return uuid.UUID(int=self.rng.getrandbits(128), version=4)
        return uuid.uuid4()

    def message_id(self, now: float) -> str:
        """A new id in SES's form: ``0100`` + 12 hex digits of epoch ms, a UUID, ``-000000``."""
        return f"0100{int(now * 1000):012x}-{self._unique()}-000000"

    def send(self, out: Outgoing, now: float) -> str:
        """Accept a message or raise the SES error; every attempt lands in the sends log."""
        recipients = len(out.destinations or [])
        try:
            message_id = self._accept(out, now)
        except ApiError as error:
            recipients = len(out.destinations or []) or recipients
            self.log.record(now, recipients, error.status, out.operation)
            error.logged = True
            raise
        self.log.record(now, len(out.destinations or []), 200, out.operation)
        return message_id

    def _accept(self, out: Outgoing, now: float) -> str:
        protocol = out.protocol
        if len(out.raw) > MAX_SIZE[protocol]:
            raise ApiError(
                "MessageRejected",
                f"Message length is more than {MAX_SIZE[protocol]} bytes long: '{len(out.raw)}'.",
            )
        fields = header_fields(out.raw, _SCANNED_HEADERS)
        # SES honours these two headers of a raw message (and removes them before delivery).
        if out.configuration_set is None and fields.get("x-ses-configuration-set"):
            out.configuration_set = fields["x-ses-configuration-set"][0]
        # Tags given as API parameters win: SES does not join them with the header's.
        if not out.tags:
            out.tags = header_tags(protocol, fields.get("x-ses-message-tags", []))
        check_tags(protocol, out.tags)
        if out.from_address is None or not out.destinations:
            if out.from_address is None:
                out.from_address = bare_address(fields.get("from", [""])[0])
            if not out.destinations:
                out.destinations = header_addresses(
                    [v for key in ("to", "cc", "bcc") for v in fields.get(key, [])]
                )
        if not out.from_address:
            raise bad_request(protocol, "Missing required header 'From'.")
        if not out.destinations:
            raise bad_request(
                protocol,
                "Missing required header 'To'."
                if protocol == "v1"
                else "Destination is required: no recipients were given.",
            )
        seen: dict[str, None] = {}
        for address in out.destinations:
            bare = bare_address(address)
            local, at, domain = bare.rpartition("@")
            if not at or not local or "." not in domain:
                raise bad_request(
                    protocol,
                    f"Missing final '@domain' in address: {address}"
                    if not at
                    else f"Illegal address: {address}",
                )
            seen[bare] = None
        out.destinations = list(seen)
        if len(out.destinations) > MAX_RECIPIENTS:
            raise ApiError("MessageRejected", f"Recipient count exceeds {MAX_RECIPIENTS}.")
        if "@" not in out.from_address:
            raise bad_request(protocol, f"Missing final '@domain' in address: {out.from_address}")
        if self.config.verify_identities and not self._verified(out.from_address):
            raise ApiError(
                "MessageRejected",
                "Email address is not verified. The following identities failed the check in region "
                f"{self.config.region.upper()}: {out.from_address}",
            )
        if out.configuration_set is not None and out.configuration_set not in self.store.config_sets:
            if protocol == "v1":
                raise ApiError(
                    "ConfigurationSetDoesNotExist",
                    f"Configuration set <{out.configuration_set}> does not exist.",
                )
            raise ApiError(
                "NotFoundException", f"Configuration set <{out.configuration_set}> does not exist.", 404
            )
        verdict = self.limiter.check(now, len(out.destinations))
        if verdict == "daily":
            if protocol == "v1":
                raise ApiError("Throttling", "Daily message quota exceeded.")
            raise ApiError("LimitExceededException", "Daily message quota exceeded.")
        if verdict == "rate":
            if protocol == "v1":
                raise ApiError("Throttling", "Maximum sending rate exceeded.")
            raise ApiError("TooManyRequestsException", "Maximum sending rate exceeded.", 429)
        message_id = self.message_id(now)
        message = LiveMessage(
            message_id,
            now,
            out.from_address,
            tuple(out.destinations),
            out.raw,
            out.operation,
            out.tags,
            out.configuration_set,
        )
        suppressed = self.store.suppressed
        auto_replies: list[tuple[str, float]] = []
        for destination in out.destinations:
            planned = self.simulator.plan(destination, now, destination.lower() in suppressed)
            message.events.extend(planned)
            if simulator_box(destination) == "ooto":
                delivered_at = next(e[0] for e in planned if e[1] == "DELIVERY")
                auto_replies.append((destination, self.simulator.reply_time(delivered_at)))
        message.events.sort(key=lambda e: e[0])
        self.store.add_message(message)
        for mailbox, arrives in auto_replies:
            to = reply_address(fields.get("return-path", []), out.from_address)
            reply_id = f"autoreply-{self._unique()}"
            self.store.add_reply(ooto_reply(message, mailbox, to, reply_id, arrives, self.config.region))
        return message_id

    def _verified(self, address: str) -> bool:
        identities = self.store.identities
        return address in identities or address.rpartition("@")[2] in identities
