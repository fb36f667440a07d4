"""The SES source connection: ``type: api, spec: aws_ses`` with Sling's inputs and secrets, and sesflow's own.

``inputs`` and ``secrets`` may be YAML text, as ``sling conns set`` stores them; ``parsing`` turns such text
into mappings before these models see it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sesflow.aws import check_endpoint_url, check_region
from sesflow.errors import ConfigError
from sesflow.source.intervals import Interval

if TYPE_CHECKING:
    import boto3

_STRICT = ConfigDict(extra="forbid", frozen=True)


class AwsSesInputs(BaseModel):
    """The inputs of an ``aws_ses`` connection: Sling's four, then sesflow's own (the settings of
    ``sesflow.source.ses_source`` of the same names)."""

    model_config = _STRICT

    region: str
    anchor_date: date | None = None
    range_interval: str = "1d"
    lookback_interval: str = "0d"
    endpoint_url: str | None = None
    on_limit: Literal["split", "fail"] = "split"
    max_concurrent_jobs: int = Field(3, ge=1, le=50)
    poll_interval: float = Field(5.0, gt=0)
    job_timeout: float = Field(3600.0, gt=0)
    data_format: Literal["JSON", "CSV"] = "JSON"
    metrics_dimensions: list[str] | str | None = None  # checked by the source: ISP, EMAIL_IDENTITY, ...
    metrics_lookback_days: int = Field(2, ge=0)
    suppression_details: bool = True

    @field_validator("range_interval", "lookback_interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        try:
            Interval.parse(value)
        except ConfigError as exc:
            raise ValueError(f"{value!r} is not an interval (integer + s, m, h, d or mo, e.g. 1d)") from exc
        return str(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_region(value)

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return check_endpoint_url(value) if value else value

    @field_validator("range_interval")
    @classmethod
    def _positive(cls, value: str) -> str:
        if Interval.parse(value).is_zero:
            raise ValueError("must be longer than zero")
        return value

    @field_validator("anchor_date", mode="before")
    @classmethod
    def _anchor(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD") from exc
        if isinstance(value, date) and value > datetime.now(UTC).date():
            raise ValueError(f"{value.isoformat()} is in the future; give a past date to start syncing from")
        return value

    def anchor(self) -> datetime:
        """The first moment to sync on a first run: anchor_date at 00:00 UTC, default 30 days ago."""
        if self.anchor_date is None:
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            return today - timedelta(days=30)
        return datetime(self.anchor_date.year, self.anchor_date.month, self.anchor_date.day, tzinfo=UTC)


class AwsSecrets(BaseModel):
    """AWS credentials as Sling names them; all optional (then the default AWS chain is used)."""

    model_config = _STRICT

    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    profile: str | None = None


class AwsSesConnection(BaseModel):
    """``type: api, spec: aws_ses``: the SES v2 Message Insights export API."""

    model_config = _STRICT

    type: Literal["api"]
    spec: Literal["aws_ses"]
    inputs: AwsSesInputs
    secrets: AwsSecrets = AwsSecrets()

    def session(self) -> boto3.Session:
        """A boto3 session with these credentials (explicit keys, a profile, or the default chain)."""
        import boto3

        return boto3.Session(
            aws_access_key_id=self.secrets.access_key_id,
            aws_secret_access_key=self.secrets.secret_access_key,
            aws_session_token=self.secrets.session_token,
            profile_name=self.secrets.profile,
            region_name=self.inputs.region,
        )

    def client(self) -> Any:
        """A boto3 ``sesv2`` client (``endpoint_url`` input, else ``AWS_ENDPOINT_URL_SESV2``, else AWS)."""
        from botocore.config import Config

        config = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=64)
        return self.session().client("sesv2", endpoint_url=self.inputs.endpoint_url or None, config=config)


__all__ = ["AwsSecrets", "AwsSesConnection", "AwsSesInputs"]
