"""The mailbox simulator: which events a recipient produces, and when.

Addresses at ``simulator.amazonses.com`` (``success``, ``bounce``, ``ooto``, ``complaint``,
``suppressionlist``, each also with ``+label``) give the outcomes AWS documents; any other address is
delivered unless it is on the account suppression list. Delivered mail is opened and clicked with the
configured probabilities. Delays are realistic and scaled by ``event_delay_scale``. ``ooto`` also answers
with an automatic reply (see ``autoreply``).
"""

from __future__ import annotations

import random
from typing import Any

from sesflow.emulator.messages import Event

SIMULATOR_DOMAIN = "simulator.amazonses.com"

HARD_BOUNCE: dict[str, Any] = {
    "Bounce": {
        "BounceType": "PERMANENT",
        "BounceSubType": "General",
        "DiagnosticCode": "smtp; 550 5.1.1 user unknown",
    }
}
SOFT_BOUNCE: dict[str, Any] = {
    "Bounce": {
        "BounceType": "TRANSIENT",
        "BounceSubType": "MailboxFull",
        "DiagnosticCode": "smtp; 452 4.2.2 mailbox full",
    }
}
SUPPRESSED: dict[str, Any] = {
    "Bounce": {
        "BounceType": "PERMANENT",
        "BounceSubType": "Suppressed",
        "DiagnosticCode": "Amazon SES has suppressed sending to this address because it has a recent history "
        "of bouncing as an invalid address.",
    }
}
ACCOUNT_SUPPRESSED: dict[str, Any] = {
    "Bounce": {
        "BounceType": "PERMANENT",
        "BounceSubType": "OnAccountSuppressionList",
        "DiagnosticCode": "Amazon SES did not send the message to this address because it is on the "
        "suppression list for your account.",
    }
}
COMPLAINT: dict[str, Any] = {"Complaint": {"ComplaintSubType": "", "ComplaintFeedbackType": "abuse"}}


def simulator_box(address: str) -> str | None:
    """The simulator mailbox an address targets (``bounce`` for ``bounce+x@simulator...``), else None."""
    local, _, domain = address.lower().rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return None
    return local.partition("+")[0]


class MailboxSimulator:
    """Plans the events of each recipient of a send from one random generator (deterministic with a seed)."""

    def __init__(
        self, rng: random.Random, open_probability: float, click_probability: float, delay_scale: float
    ) -> None:
        self.rng = rng
        self.open_probability = open_probability
        self.click_probability = click_probability
        self.scale = delay_scale

    def _after(self, t: float, low: float, high: float) -> float:
        # Milliseconds, like every timestamp SES reports.
        return round(t + self.rng.uniform(low, high) * self.scale, 3)

    def reply_time(self, delivered_at: float) -> float:
        """When an automatic (out-of-the-office) reply to a delivery arrives."""
        return self._after(delivered_at, 1.0, 30.0)

    def plan(self, destination: str, sent_at: float, suppressed: bool) -> list[Event]:
        """The events of one recipient, SEND first, in time order."""
        events: list[Event] = [(sent_at, "SEND", destination, None)]
        box = simulator_box(destination)
        if box == "bounce":
            events.append((self._after(sent_at, 0.5, 3.0), "BOUNCE", destination, HARD_BOUNCE))
            return events
        if box == "suppressionlist":
            events.append((self._after(sent_at, 0.2, 1.0), "BOUNCE", destination, SUPPRESSED))
            return events
        if box is None and suppressed:
            events.append((self._after(sent_at, 0.2, 1.0), "BOUNCE", destination, ACCOUNT_SUPPRESSED))
            return events
        delivered_at = self._after(sent_at, 0.5, 4.0)
        events.append((delivered_at, "DELIVERY", destination, None))
        if box == "complaint":
            events.append((self._after(delivered_at, 60.0, 1800.0), "COMPLAINT", destination, COMPLAINT))
            return events
        opened = self.rng.random() < self.open_probability
        clicked = self.rng.random() < self.click_probability
        if opened or clicked:
            opened_at = self._after(delivered_at, 30.0, 7200.0)
            events.append((opened_at, "OPEN", destination, None))
            if clicked:
                events.append((self._after(opened_at, 2.0, 600.0), "CLICK", destination, None))
        return events
