"""Accepting a send like SES: size, headers, tags, addresses, identities, account and configuration-set
switches, the sending limits, message ids, the mailbox simulator, suppression and unsubscribes, and the log.

Every send operation (v1 SendEmail/SendRawEmail/SendTemplatedEmail/SendBulkTemplatedEmail, v2 SendEmail/
SendBulkEmail, custom verification mail) decodes its request into an ``Outgoing`` and calls
``Sender.send``; ``protocol`` picks the error codes each API uses for the same failure.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Any

from sesflow.emulator.addresses import address_problem, bare_address, header_addresses
from sesflow.emulator.autoreply import ooto_reply, reply_address
from sesflow.emulator.config import EmulatorConfig
from sesflow.emulator.limits import SendsLog
from sesflow.emulator.messages import Event, LiveMessage, header_fields
from sesflow.emulator.region import Region
from sesflow.emulator.simulator import MailboxSimulator, simulator_box
from sesflow.emulator.store import Store
from sesflow.emulator.tags import bad_request, check_tags, header_tags
from sesflow.emulator.verification import IDENTITIES, is_verified, sending_identity
from sesflow.emulator.wire import ApiError, uuid_text

MAX_RECIPIENTS = 50
_SCANNED_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "return-path", "x-ses-configuration-set", "x-ses-message-tags"}
)
MAX_SIZE = {"v1": 10 * 1024 * 1024, "v2": 40 * 1024 * 1024}
CONFIGURATION_SETS = "configuration_sets"
SUPPRESSED = "suppressed"


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
    rendering_failure: dict[str, Any] | None = None  # the template did not render: no delivery
    unsubscribed: dict[str, dict[str, Any]] = field(default_factory=dict)  # destination -> bounce details
    tenant: str | None = None


def _paused(protocol: str, what: str, name: str | None = None) -> ApiError:
    if what == "account":
        if protocol == "v1":
            return ApiError(
                "AccountSendingPausedException",
                "Email sending is disabled for your entire Amazon SES account.",
            )
        return ApiError("SendingPausedException", "Sending is paused for this account.")
    if protocol == "v1":
        return ApiError(
            "ConfigurationSetSendingPausedException",
            f"Email sending is disabled for the configuration set <{name}>.",
        )
    return ApiError("SendingPausedException", f"Sending is paused for configuration set {name}.")


def suppressed_reasons(region: Region, configuration_set: dict[str, Any] | None) -> list[str]:
    """The reasons the suppression list applies for: the configuration set's override, else the account's."""
    if configuration_set is not None:
        options = configuration_set.get("SuppressionOptions")
        if options is not None and "SuppressedReasons" in options:
            return list(options["SuppressedReasons"])
    return list(region.settings.get("SuppressionAttributes", {}).get("SuppressedReasons", []))


class Sender:
    """Checks and records sends against an account's limits, identities and switches."""

    def __init__(self, config: EmulatorConfig, store: Store, log: SendsLog, rng: random.Random) -> None:
        self.config = config
        self.store = store
        self.log = log
        self.rng = rng
        self.simulator = MailboxSimulator(
            rng, config.open_probability, config.click_probability, config.event_delay_scale
        )

    def _unique(self) -> str:
        if self.config.seed is not None:
            return uuid_text(self.rng.getrandbits(128))
        return uuid_text(int.from_bytes(os.urandom(16), "big"))

    def message_id(self, now: float) -> str:
        """A new id in SES's form: ``0100`` + 12 hex digits of epoch ms, a UUID, ``-000000``."""
        return f"0100{int(now * 1000):012x}-{self._unique()}-000000"

    def send(self, region: Region, out: Outgoing, now: float) -> str:
        """Accept a message or raise the SES error; every attempt lands in the sends log."""
        recipients = len(out.destinations or [])
        try:
            message_id = self._accept(region, out, now)
        except ApiError as error:
            recipients = len(out.destinations or []) or recipients
            self.log.record(now, recipients, error.status, out.operation)
            error.logged = True
            raise
        self.log.record(now, len(out.destinations or []), 200, out.operation)
        return message_id

    def check_switches(self, region: Region, protocol: str, configuration_set: str | None) -> None:
        """Refuse when sending is paused for the account, or the configuration set is missing or paused."""
        if not region.settings.get("SendingEnabled", True):
            raise _paused(protocol, "account")
        if configuration_set is None:
            return
        record = region.get(CONFIGURATION_SETS, (configuration_set,))
        if record is None:
            if protocol == "v1":
                raise ApiError(
                    "ConfigurationSetDoesNotExist", f"Configuration set <{configuration_set}> does not exist."
                )
            raise ApiError(
                "NotFoundException", f"Configuration set <{configuration_set}> does not exist.", 404
            )
        if not record.get("SendingOptions", {}).get("SendingEnabled", True):
            raise _paused(protocol, "configuration set", configuration_set)

    def _accept(self, region: Region, out: Outgoing, now: float) -> str:
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
            problem = address_problem(address)
            if problem is not None:
                raise bad_request(protocol, problem)
            seen[bare_address(address)] = None
        out.destinations = list(seen)
        if len(out.destinations) > MAX_RECIPIENTS:
            raise ApiError("MessageRejected", f"Recipient count exceeds {MAX_RECIPIENTS}.")
        if "@" not in out.from_address:
            raise bad_request(protocol, f"Missing final '@domain' in address: {out.from_address}")
        identities = region.table(IDENTITIES)
        if out.configuration_set is None and identities:
            identity = sending_identity(identities, out.from_address)
            if identity is not None:
                out.configuration_set = identity.get("ConfigurationSetName")
        self._check_identities(region, out, now)
        self.check_switches(region, protocol, out.configuration_set)
        verdict = region.limiter.check(now, len(out.destinations))
        if verdict == "daily":
            if protocol == "v1":
                raise ApiError("Throttling", "Daily message quota exceeded.")
            raise ApiError("LimitExceededException", "Daily message quota exceeded.")
        if verdict == "rate":
            if protocol == "v1":
                raise ApiError("Throttling", "Maximum sending rate exceeded.")
            raise ApiError("TooManyRequestsException", "Maximum sending rate exceeded.", 429)
        return self._store(region, out, now, fields.get("return-path", []))

    def _check_identities(self, region: Region, out: Outgoing, now: float) -> None:
        """Unverified senders (``--verify-identities``) and, in the sandbox, unverified recipients."""
        assert out.from_address is not None and out.destinations is not None
        identities = region.table(IDENTITIES)
        if self.config.verify_identities and not is_verified(identities, out.from_address, now):
            raise ApiError(
                "MessageRejected",
                "Email address is not verified. The following identities failed the check in region "
                f"{region.name.upper()}: {out.from_address}",
            )
        if not region.settings.get("ProductionAccessEnabled", True):
            failed = [
                d
                for d in out.destinations
                if simulator_box(d) is None and not is_verified(identities, d, now)
            ]
            if failed:
                raise ApiError(
                    "MessageRejected",
                    "Email address is not verified. The following identities failed the check in region "
                    f"{region.name.upper()}: {', '.join(failed)}",
                )

    def _store(self, region: Region, out: Outgoing, now: float, return_path: list[str]) -> str:
        assert out.from_address is not None and out.destinations is not None
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
            account=region.account,
            region=region.name,
        )
        auto_replies = self._plan(region, out, message, now)
        self.store.add_message(message)
        for mailbox, arrives in auto_replies:
            to = reply_address(return_path, out.from_address)
            reply_id = f"autoreply-{self._unique()}"
            self.store.add_reply(ooto_reply(message, mailbox, to, reply_id, arrives, region.name))
        return message_id

    def _plan(
        self, region: Region, out: Outgoing, message: LiveMessage, now: float
    ) -> list[tuple[str, float]]:
        """Plan every recipient's events; returns the simulator auto-replies to deliver."""
        if out.rendering_failure is not None:
            for destination in out.destinations or []:
                message.events.append((now, "RENDERING_FAILURE", destination, out.rendering_failure))
            return []
        suppressed = region.table(SUPPRESSED)
        reasons: list[str] = []
        if suppressed:
            cset = region.get(CONFIGURATION_SETS, (out.configuration_set,)) if out.configuration_set else None
            reasons = suppressed_reasons(region, cset)
        auto_replies: list[tuple[str, float]] = []
        for destination in out.destinations or []:
            blocked = out.unsubscribed.get(destination)
            if blocked is not None:
                planned: list[Event] = [
                    (now, "SEND", destination, None),
                    (now, "BOUNCE", destination, blocked),
                ]
            else:
                entry = suppressed.get(("", destination.lower())) if reasons else None
                on_list = entry is not None and entry.get("Reason") in reasons
                planned = self.simulator.plan(destination, now, on_list)
            message.events.extend(planned)
            if blocked is None and simulator_box(destination) == "ooto":
                delivered_at = next(e[0] for e in planned if e[1] == "DELIVERY")
                auto_replies.append((destination, self.simulator.reply_time(delivered_at)))
        message.events.sort(key=lambda e: e[0])
        return auto_replies
