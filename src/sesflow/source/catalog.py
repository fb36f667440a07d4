"""The streams of the SES source, as plain data: what ``sesflow conns discover`` lists and a runner selects.

Each stream is one dlt resource of ``ses_source`` and one table. Incremental streams keep a cursor in dlt's
state and merge on their primary key; snapshot streams are read whole and replace their table on every run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sesflow.errors import ConfigError


@dataclass(frozen=True)
class StreamInfo:
    """One stream: its table's primary key, how it is loaded, and the IAM actions its reads need."""

    name: str
    primary_key: tuple[str, ...]
    incremental: bool
    description: str
    cursor: str | None = None
    iam_actions: tuple[str, ...] = ()

    @property
    def kind(self) -> Literal["incremental", "snapshot"]:
        """``incremental`` (cursor + merge) or ``snapshot`` (read whole, table replaced)."""
        return "incremental" if self.incremental else "snapshot"


_EXPORTS = ("ses:CreateExportJob", "ses:GetExportJob")

STREAMS: tuple[StreamInfo, ...] = (
    StreamInfo(
        "ses_emails",
        ("messageid",),
        True,
        "one row per message from the Message Insights export (its events are in ses_email_events)",
        cursor="sendtimestamp",
        iam_actions=_EXPORTS,
    ),
    StreamInfo(
        "ses_email_events",
        ("messageid", "position"),
        True,
        "one row per event of a message (send, delivery, bounce, complaint, open, click, ...)",
        cursor="sendtimestamp",
        iam_actions=_EXPORTS,
    ),
    StreamInfo(
        "ses_metrics",
        ("day", "dimension", "dimension_value", "metric"),
        True,
        "daily VDM metric volumes by ISP, email identity and configuration set (one row per metric)",
        cursor="day",
        iam_actions=(*_EXPORTS, "ses:GetAccount"),
    ),
    StreamInfo(
        "ses_suppressed_destinations",
        ("email_address",),
        True,
        "the account-level suppression list: reason, last update, message and feedback ids",
        cursor="last_update_time",
        iam_actions=("ses:ListSuppressedDestinations", "ses:GetSuppressedDestination"),
    ),
    StreamInfo(
        "ses_email_identities",
        ("identity_name",),
        False,
        "verified domains and addresses: status, DKIM, MAIL FROM, policies, configuration set",
        iam_actions=("ses:ListEmailIdentities", "ses:GetEmailIdentity"),
    ),
    StreamInfo(
        "ses_configuration_sets",
        ("configuration_set_name",),
        False,
        "configuration sets with their options and event destinations",
        iam_actions=(
            "ses:ListConfigurationSets",
            "ses:GetConfigurationSet",
            "ses:GetConfigurationSetEventDestinations",
        ),
    ),
    StreamInfo(
        "ses_account",
        ("region",),
        False,
        "the account in this region: quotas, sending enabled, enforcement status, VDM settings",
        iam_actions=("ses:GetAccount",),
    ),
)

STREAM_NAMES: tuple[str, ...] = tuple(stream.name for stream in STREAMS)


def stream_info(name: str) -> StreamInfo:
    """The stream called ``name``; a ``ConfigError`` naming it (and the known ones) when there is none."""
    for stream in STREAMS:
        if stream.name == name:
            return stream
    raise ConfigError(
        f"stream {name!r}: the SES source has no stream of that name",
        hint=f"Choose from {', '.join(STREAM_NAMES)}.",
    )


def check_streams(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` as a tuple, each checked with ``stream_info`` (the first unknown one is the error)."""
    return tuple(stream_info(name).name for name in names)


__all__ = ["STREAMS", "STREAM_NAMES", "StreamInfo", "check_streams", "stream_info"]
