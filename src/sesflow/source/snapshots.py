"""The snapshot streams: ``ses_email_identities``, ``ses_configuration_sets`` and ``ses_account``.

Each is read whole on every run and replaces its table. Column names are the API's keys in snake_case
(``DkimAttributes`` -> ``dkim_attributes``); nested values land as JSON columns (the source sets dlt's
``max_table_nesting`` to 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sesflow.source.api import Api, OnDenied, denial_guard

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(key: str) -> str:
    """``DkimAttributes`` -> ``dkim_attributes``: an API key as a column name."""
    return _BOUNDARY.sub("_", key).lower()


def _columns(answer: dict[str, Any]) -> dict[str, Any]:
    return {snake(key): value for key, value in answer.items() if key != "ResponseMetadata"}


@dataclass(frozen=True)
class SnapshotReads:
    """Where the snapshot streams read from: the client, and its region (the key of ``ses_account``)."""

    client: Any
    region: str
    on_denied: OnDenied = "skip"


def email_identities(reads: SnapshotReads) -> Iterator[list[dict[str, Any]]]:
    """One row per identity: ListEmailIdentities, completed by GetEmailIdentity (DKIM, MAIL FROM, ...)."""
    api = Api(reads.client)
    with denial_guard("ses_email_identities", reads.on_denied):
        for page in api.pages("ListEmailIdentities", "EmailIdentities", PageSize=1000):
            rows = []
            for item in page:
                row = _columns(item)
                found = api.call("GetEmailIdentity", missing_ok=True, EmailIdentity=item["IdentityName"])
                if found is None:
                    continue  # deleted since it was listed
                row.update(_columns(found))
                rows.append(row)
            if rows:
                yield rows


def configuration_sets(reads: SnapshotReads) -> Iterator[list[dict[str, Any]]]:
    """One row per configuration set: its options (GetConfigurationSet) and ``event_destinations``."""
    api = Api(reads.client)
    with denial_guard("ses_configuration_sets", reads.on_denied):
        for page in api.pages("ListConfigurationSets", "ConfigurationSets", PageSize=1000):
            rows = []
            for name in page:
                found = api.call("GetConfigurationSet", missing_ok=True, ConfigurationSetName=name)
                destinations = api.call(
                    "GetConfigurationSetEventDestinations", missing_ok=True, ConfigurationSetName=name
                )
                if found is None or destinations is None:
                    continue  # deleted since it was listed
                row = {"configuration_set_name": name, **_columns(found)}
                row["event_destinations"] = destinations.get("EventDestinations") or []
                rows.append(row)
            if rows:
                yield rows


def account(reads: SnapshotReads) -> Iterator[dict[str, Any]]:
    """One row: the account in this region (GetAccount), quotas and VDM settings as their own columns."""
    api = Api(reads.client)
    with denial_guard("ses_account", reads.on_denied):
        answer = api.call("GetAccount") or {}
        quota = answer.get("SendQuota") or {}
        vdm = answer.get("VdmAttributes") or {}
        yield {
            "region": reads.region,
            "sending_enabled": answer.get("SendingEnabled"),
            "production_access_enabled": answer.get("ProductionAccessEnabled"),
            "enforcement_status": answer.get("EnforcementStatus"),
            "dedicated_ip_auto_warmup_enabled": answer.get("DedicatedIpAutoWarmupEnabled"),
            "max_24_hour_send": quota.get("Max24HourSend"),
            "max_send_rate": quota.get("MaxSendRate"),
            "sent_last_24_hours": quota.get("SentLast24Hours"),
            "suppressed_reasons": (answer.get("SuppressionAttributes") or {}).get("SuppressedReasons"),
            "vdm_enabled": vdm.get("VdmEnabled"),
            "vdm_engagement_metrics": (vdm.get("DashboardAttributes") or {}).get("EngagementMetrics"),
            "vdm_optimized_shared_delivery": (vdm.get("GuardianAttributes") or {}).get(
                "OptimizedSharedDelivery"
            ),
            "details": answer.get("Details"),
        }


__all__ = ["SnapshotReads", "account", "configuration_sets", "email_identities", "snake"]
