"""``ses_source``: everything SES knows about an account, as a dlt source.

Configured by name as every dlt source is: arguments, or ``[sources.ses]`` in ``.dlt/config.toml`` and
``[sources.ses.credentials]`` in ``.dlt/secrets.toml``, or ``SOURCES__SES__REGION`` /
``SOURCES__SES__CREDENTIALS__AWS_ACCESS_KEY_ID`` environment variables. Without credentials anywhere,
boto3's default chain is used (``AWS_PROFILE``, ``AWS_ACCESS_KEY_ID``, an instance role, ...), and without an
endpoint, boto3's (``AWS_ENDPOINT_URL_SESV2``, ``AWS_ENDPOINT_URL``, else AWS).

Resources (``catalog.STREAMS`` describes each): ``ses_emails`` and ``ses_email_events`` (Message Insights
exports), ``ses_metrics`` (VDM metrics exports), ``ses_suppressed_destinations``, and the snapshots
``ses_email_identities``, ``ses_configuration_sets`` and ``ses_account``. Pick some with
``ses_source().with_resources("ses_emails", "ses_metrics")``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import dlt
from dlt.common.configuration.specs import AwsCredentials
from dlt.sources import DltResource

from sesflow.errors import ConfigError
from sesflow.source.api import AwsSettings, OnDenied, make_client
from sesflow.source.exports import ExportSettings, account_gate
from sesflow.source.intervals import Interval
from sesflow.source.jobs import OnLimit
from sesflow.source.messages import MessageExports, message_exports, ses_email_events, ses_emails
from sesflow.source.metrics import METRICS_SCHEMA, MetricsExports, check_dimensions, metric_exports
from sesflow.source.metrics import PRIMARY_KEY as METRICS_KEY
from sesflow.source.records import DataFormat
from sesflow.source.snapshots import SnapshotReads, account, configuration_sets, email_identities
from sesflow.source.suppression import SUPPRESSION_SCHEMA, SuppressionReads, suppressed_destinations

DEFAULT_ANCHOR_DAYS = 30


@dlt.source(name="ses", section="ses", max_table_nesting=0)
def ses_source(
    region: str | None = dlt.config.value,
    credentials: AwsCredentials = dlt.secrets.value,
    endpoint_url: str | None = None,
    anchor_date: str | date | None = None,
    range_interval: str = "1d",
    lookback_interval: str = "0d",
    metrics_dimensions: list[str] | None = None,
    metrics_lookback_days: int = 2,
    suppression_details: bool = True,
    max_concurrent_jobs: int = 3,
    poll_interval: float = 5.0,
    job_timeout: float = 3600.0,
    data_format: str = "JSON",
    on_limit: str = "split",
    on_denied: str = "skip",
) -> tuple[DltResource, ...]:
    """Every SES stream of one account and region; each argument a setting a dlt user configures by name.

    ``anchor_date`` (``YYYY-MM-DD``, default 30 days ago): where a first run starts, and the origin of the
    export windows, cut at ``anchor_date + k * range_interval`` (``30s``, ``6h``, ``1d``, ``1mo``, ...).
    ``lookback_interval``: how far before the newest loaded send time the next run starts, to catch late
    events. ``metrics_dimensions``: any of ISP, EMAIL_IDENTITY, CONFIGURATION_SET, TENANT_NAME (default the
    first three); ``metrics_lookback_days``: the days VDM may still revise, re-read on every run.
    ``suppression_details``: one GetSuppressedDestination per listed address (message and feedback ids).
    ``on_denied``: ``skip`` logs a stream the credentials may not read as an error naming the IAM action and
    lets the others finish; ``raise`` fails the run with that error.
    Bad values raise ``ConfigError`` naming the setting.
    """
    anchor = _anchor(anchor_date)
    interval = Interval.parse(range_interval, key="range_interval")
    if interval.is_zero:
        raise ConfigError("range_interval: must be longer than zero", hint="Write e.g. 1d, 6h or 1mo.")
    lookback = Interval.parse(lookback_interval, key="lookback_interval")
    settings = ExportSettings(
        data_format=cast(DataFormat, _choice("data_format", data_format.upper(), ("JSON", "CSV"))),
        poll_interval=_positive("poll_interval", poll_interval),
        job_timeout=_positive("job_timeout", job_timeout),
    )
    limit = cast(OnLimit, _choice("on_limit", on_limit, ("split", "fail")))
    denial = cast(OnDenied, _choice("on_denied", on_denied, ("skip", "raise")))
    jobs = int(_positive("max_concurrent_jobs", max_concurrent_jobs))
    if jobs > 50:
        raise ConfigError(f"max_concurrent_jobs: {jobs} is more than 50", hint="Give 1 to 50.")
    if metrics_lookback_days < 0:
        raise ConfigError(
            f"metrics_lookback_days: {metrics_lookback_days} is negative", hint="Give 0 or more."
        )
    dimensions = check_dimensions(metrics_dimensions)
    aws = AwsSettings(
        region=region or credentials.region_name,
        endpoint_url=endpoint_url or credentials.endpoint_url,
        access_key_id=credentials.aws_access_key_id,
        secret_access_key=credentials.aws_secret_access_key,
        session_token=credentials.aws_session_token,
        profile=credentials.profile_name,
    )
    client = make_client(aws)
    # Every export job of the account (of this source, and of any other in the process) takes its turn at
    # the one-per-second create limit.
    gate = account_gate(aws.endpoint_url, aws.region, aws.access_key_id, aws.profile)
    lookback_seconds = (anchor - lookback.subtract_from(anchor)).total_seconds()

    messages = dlt.resource(message_exports, name="ses_messages", selected=False)(
        MessageExports(client, settings, anchor, interval, jobs, limit, gate, denial),
        sendtimestamp=dlt.sources.incremental(
            "sendtimestamp",
            initial_value=anchor,
            lag=lookback_seconds or None,
            on_cursor_value_missing="include",
            primary_key=(),
        ),
    )
    metrics = dlt.resource(
        metric_exports,
        name="ses_metrics",
        write_disposition="merge",
        primary_key=METRICS_KEY,
        columns=METRICS_SCHEMA,
    )(
        MetricsExports(client, settings, anchor.date(), dimensions, gate, denial),
        day=dlt.sources.incremental(
            "day", initial_value=anchor.date(), lag=metrics_lookback_days or None, primary_key=()
        ),
    )
    suppression = dlt.resource(
        suppressed_destinations,
        name="ses_suppressed_destinations",
        write_disposition="merge",
        primary_key="email_address",
        columns=SUPPRESSION_SCHEMA,
    )(SuppressionReads(client, suppression_details, denial))
    snapshots = SnapshotReads(client, str(client.meta.region_name), denial)
    return (
        messages,
        messages | ses_emails,
        messages | ses_email_events,
        metrics,
        suppression,
        dlt.resource(
            email_identities,
            name="ses_email_identities",
            write_disposition="replace",
            primary_key="identity_name",
        )(snapshots),
        dlt.resource(
            configuration_sets,
            name="ses_configuration_sets",
            write_disposition="replace",
            primary_key="configuration_set_name",
            columns={"event_destinations": {"data_type": "json"}},
        )(snapshots),
        dlt.resource(
            account,
            name="ses_account",
            write_disposition="replace",
            primary_key="region",
            columns=ACCOUNT_COLUMNS,
        )(snapshots),
    )


# Every column of ses_account typed up front: a setting SES leaves out (VDM never configured, say) is still a
# column, and dlt has no all-null column to warn about.
ACCOUNT_COLUMNS: dict[str, Any] = {
    "region": {"data_type": "text"},
    "sending_enabled": {"data_type": "bool"},
    "production_access_enabled": {"data_type": "bool"},
    "enforcement_status": {"data_type": "text"},
    "dedicated_ip_auto_warmup_enabled": {"data_type": "bool"},
    "max_24_hour_send": {"data_type": "double"},
    "max_send_rate": {"data_type": "double"},
    "sent_last_24_hours": {"data_type": "double"},
    "suppressed_reasons": {"data_type": "json"},
    "vdm_enabled": {"data_type": "text"},
    "vdm_engagement_metrics": {"data_type": "text"},
    "vdm_optimized_shared_delivery": {"data_type": "text"},
    "details": {"data_type": "json"},
}


def _anchor(value: str | date | None) -> datetime:
    """The anchor as midnight UTC: ``value`` (a date or ``YYYY-MM-DD``), default 30 days ago."""
    if value is None or value == "":
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return today - timedelta(days=DEFAULT_ANCHOR_DAYS)
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ConfigError(
                f"anchor_date: {value!r} is not a date", hint="Write YYYY-MM-DD, e.g. 2026-10-01."
            ) from None
    if value > datetime.now(UTC).date():
        raise ConfigError(
            f"anchor_date: {value.isoformat()} is in the future",
            hint="Give a past date to start syncing from.",
        )
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _choice(key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(
            f"{key}: {value!r} is not one of {', '.join(allowed)}", hint=f"Write one of {', '.join(allowed)}."
        )
    return value


def _positive(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if not number > 0:
        raise ConfigError(f"{key}: {value!r} is not a positive number", hint=f"Give {key} greater than 0.")
    return number


__all__ = ["ses_source"]
