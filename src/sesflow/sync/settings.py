"""An ``aws_ses`` connection as the arguments of the SES dlt source: what the runner hands ``ses_source``.

The connection's inputs carry the source's settings under the same names; its secrets become dlt's
``AwsCredentials``. Nothing else reaches the source: the runner's batching and checks stay in the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sesflow.connections import AwsSesConnection
from sesflow.errors import ConfigError


@dataclass(frozen=True)
class SourceSettings:
    """How to build the SES source of one connection (``name`` is the connection's name, for errors)."""

    name: str
    connection: AwsSesConnection

    def arguments(self) -> dict[str, Any]:
        """``ses_source`` keyword arguments. A stream the credentials may not read raises (the runner
        fails that stream alone, naming the IAM action)."""
        from dlt.common.configuration.specs import AwsCredentials

        inputs, secrets = self.connection.inputs, self.connection.secrets
        credentials: Any = AwsCredentials()
        credentials.region_name = inputs.region
        credentials.endpoint_url = inputs.endpoint_url
        credentials.aws_access_key_id = secrets.access_key_id
        credentials.aws_secret_access_key = secrets.secret_access_key
        credentials.aws_session_token = secrets.session_token
        credentials.profile_name = secrets.profile
        credentials.resolve()
        return {
            "region": inputs.region,
            "credentials": credentials,
            "endpoint_url": inputs.endpoint_url,
            "anchor_date": inputs.anchor_date,
            "range_interval": inputs.range_interval,
            "lookback_interval": inputs.lookback_interval,
            "metrics_dimensions": inputs.metrics_dimensions,
            "metrics_lookback_days": inputs.metrics_lookback_days,
            "suppression_details": inputs.suppression_details,
            "max_concurrent_jobs": inputs.max_concurrent_jobs,
            "poll_interval": inputs.poll_interval,
            "job_timeout": inputs.job_timeout,
            "data_format": inputs.data_format,
            "on_limit": inputs.on_limit,
            "on_denied": "raise",
        }

    def source(self) -> Any:
        """A fresh ``ses_source`` (a ``DltSource``) for this connection; a ``ConfigError`` names the
        connection and the setting when the source refuses one."""
        from sesflow.source.ses import ses_source

        try:
            return ses_source(**self.arguments())
        except ConfigError as exc:
            raise ConfigError(f"connection {self.name}: inputs: {exc.message}", hint=exc.hint) from None


__all__ = ["SourceSettings"]
