"""What ``POST /_sesflow/seed`` makes: synthetic message history and the account state such a history
implies — the suppression list SES would have built from its hard bounces and complaints (reason, time,
MessageId and FeedbackId), the sending identities, configuration sets with event destinations (the
messages are spread over them), and VDM enabled, so every stream a warehouse sync reads has data.
"""

from __future__ import annotations

from typing import Any

from sesflow.emulator.identities import new_identity
from sesflow.emulator.region import Record, Region
from sesflow.emulator.seeding import SeedBatch, make_batch
from sesflow.emulator.sending import CONFIGURATION_SETS, SUPPRESSED
from sesflow.emulator.store import Store
from sesflow.emulator.verification import IDENTITIES

SEEDED_SETS: dict[str, Record] = {
    "seeded-transactional": {
        "Name": "transactional-events",
        "Enabled": True,
        "MatchingEventTypes": ["SEND", "DELIVERY", "BOUNCE", "COMPLAINT", "REJECT"],
        "SnsDestination": {"TopicArn": "arn:aws:sns:{region}:{account}:ses-transactional-events"},
    },
    "seeded-marketing": {
        "Name": "marketing-firehose",
        "Enabled": True,
        "MatchingEventTypes": ["SEND", "DELIVERY", "OPEN", "CLICK", "BOUNCE", "COMPLAINT"],
        "KinesisFirehoseDestination": {
            "IamRoleArn": "arn:aws:iam::{account}:role/ses-firehose",
            "DeliveryStreamArn": "arn:aws:firehose:{region}:{account}:deliverystream/ses-events",
        },
    },
}


def _fill(value: Any, region: Region) -> Any:
    if isinstance(value, str):
        return value.format(region=region.name, account=region.account)
    if isinstance(value, dict):
        return {k: _fill(v, region) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, region) for v in value]
    return value


def seed_history(
    store: Store,
    region: Region,
    body: dict[str, Any],
    start: float,
    end: float,
    seed: int,
    now: float,
) -> SeedBatch:
    """Add a seeded batch to ``region`` and the account state it implies; returns the batch."""
    batch = make_batch(
        store.next_batch_number(),
        body.get("count"),
        start,
        end,
        seed,
        body.get("per_day"),
        body.get("from"),
        body.get("tags"),
        region.account,
        region.name,
        tuple(SEEDED_SETS),
    )
    store.add_batch(batch)
    seed_account(region, batch, now)
    return batch


def seed_account(region: Region, batch: SeedBatch, now: float) -> None:
    """Identities, configuration sets with event destinations, VDM and the suppression list of a batch."""
    if not region.vdm_enabled:
        region.update_settings(
            VdmAttributes={
                "VdmEnabled": "ENABLED",
                "DashboardAttributes": {"EngagementMetrics": "ENABLED"},
                "GuardianAttributes": {"OptimizedSharedDelivery": "ENABLED"},
            }
        )
    sender = batch.from_address
    for name in (sender.rpartition("@")[2].lower(), sender):
        if region.get(IDENTITIES, (name,)) is None:
            region.save(IDENTITIES, (name,), new_identity(region, name, now, 0.0))
    for name, destination in SEEDED_SETS.items():
        if region.get(CONFIGURATION_SETS, (name,)) is None:
            stamps = {"CreatedTimestamp": now, "LastUpdatedTimestamp": now}
            region.save(CONFIGURATION_SETS, (name,), {"ConfigurationSetName": name, **stamps})
            filled = _fill(destination, region)
            region.save("event_destinations", (name, filled["Name"]), {**filled, **stamps})
    reasons = set(region.settings.get("SuppressionAttributes", {}).get("SuppressedReasons", []))
    suppressed = region.table(SUPPRESSED)
    for address, (reason, when, message_id, feedback_id) in batch.suppressions(now).items():
        if reason not in reasons:
            continue
        known = suppressed.get(("", address))
        if known is not None and known["LastUpdateTime"] >= when:
            continue
        attributes = {"MessageId": message_id, "FeedbackId": feedback_id}
        region.save(
            SUPPRESSED,
            ("", address),
            {"EmailAddress": address, "Reason": reason, "LastUpdateTime": when, "Attributes": attributes},
        )
