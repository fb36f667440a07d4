"""Reaching SES for a campaign: the sending transport and the ``sesv2`` client (suppression list, exports).

From the campaign's ``ses:`` settings: an ``aws_ses`` connection (its region, endpoint_url and credentials),
or a region and endpoint_url (credentials from the usual AWS chain); ``api`` picks SES v2 or v1 sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sesflow.errors import ConfigError
from sesflow.send import SESTransport


@dataclass(frozen=True)
class SesAccess:
    """Resolved SES settings: region, endpoint_url (None for AWS itself), api and the boto3 session."""

    region: str | None
    endpoint_url: str | None
    api: str
    session: Any = None

    def transport(self) -> SESTransport:
        """A new sending transport (the caller closes it)."""
        return SESTransport(
            region=self.region, endpoint_url=self.endpoint_url, session=self.session, api=self.api
        )

    def client(self) -> Any:
        """A ``sesv2`` client with botocore's own retries off (callers retry what is safe)."""
        import boto3
        from botocore.config import Config

        session = self.session or boto3.Session()
        region = self.region or session.region_name or ("us-east-1" if self.endpoint_url else None)
        if not region:
            raise ConfigError(
                "No AWS region for SES.", hint="Set ses.region in the campaign file, or AWS_REGION."
            )
        config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30
        )
        return session.client("sesv2", region_name=region, endpoint_url=self.endpoint_url, config=config)


def ses_access(
    connection: str | None,
    region: str | None,
    endpoint_url: str | None,
    api: str = "v2",
) -> SesAccess:
    """SES settings from a connection name, or from a region and endpoint URL."""
    if connection:
        from sesflow.connections import get_connection

        conn: Any = get_connection(connection)
        if getattr(conn, "type", None) != "api":
            raise ConfigError(
                f"ses.connection: {connection} is a {getattr(conn, 'type', '?')} connection",
                hint="Name an aws_ses connection (type: api, spec: aws_ses).",
            )
        return SesAccess(
            region=region or conn.inputs.region,
            endpoint_url=endpoint_url or conn.inputs.endpoint_url,
            api=api,
            session=conn.session(),
        )
    return SesAccess(region=region, endpoint_url=endpoint_url, api=api)


__all__ = ["SesAccess", "ses_access"]
