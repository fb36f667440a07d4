"""Configuration sets, SES v2: create/get/list/update/delete, the Put*Options calls (sending, reputation,
delivery, tracking, suppression, VDM, archiving) and event destinations (stored and returned; publishing
events to them is not emulated). ``configsets_v1`` serves the same records to the v1 API.

A set whose sending is disabled makes every send that uses it fail (``sending.Sender.check_switches``).
"""

from __future__ import annotations

import re

from sesflow.emulator.call import Call, Handler, invalid, not_found, paged
from sesflow.emulator.region import Key, Record
from sesflow.emulator.sending import CONFIGURATION_SETS as CONFIGURATION_SETS_TABLE
from sesflow.emulator.tables import Table, create_op, delete_op, get_op, put_op, update_op

CONFIGURATION_SETS = Table(
    CONFIGURATION_SETS_TABLE,
    ("ConfigurationSetName",),
    "Configuration set",
    arn="configuration-set/{ConfigurationSetName}",
    quota=10_000,
    v1_missing="ConfigurationSetDoesNotExistException",
    v1_exists="ConfigurationSetAlreadyExistsException",
)
EVENT_DESTINATIONS = Table(
    "event_destinations",
    ("ConfigurationSetName", "EventDestinationName"),
    "Event destination",
    parent=CONFIGURATION_SETS,
    quota=10,
    v1_missing="EventDestinationDoesNotExistException",
    v1_exists="EventDestinationAlreadyExistsException",
)
DEDICATED_POOLS_TABLE = "dedicated_ip_pools"
DESTINATION_TYPES = (
    "KinesisFirehoseDestination",
    "CloudWatchDestination",
    "SnsDestination",
    "EventBridgeDestination",
    "PinpointDestination",
)
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_name(call: Call, name: str) -> None:
    """Configuration set names: ASCII letters, digits, ``_`` and ``-``, at most 64 characters."""
    if not _NAME.match(name):
        message = (
            f"Configuration set name <{name}> is invalid: use only ASCII letters, digits, '_' and '-' "
            "(at most 64 characters)."
        )
        if call.v1:
            from sesflow.emulator.call import model_error

            raise model_error("ses", "InvalidConfigurationSetException", message)
        raise invalid(call, message)


def check_pool(call: Call, options: Record | None) -> None:
    """A DeliveryOptions.SendingPoolName names an existing dedicated IP pool."""
    pool = (options or {}).get("SendingPoolName")
    if pool and call.region.get(DEDICATED_POOLS_TABLE, (pool,)) is None:
        raise not_found(call, f"Dedicated IP pool {pool} does not exist.")


def _check_set(call: Call, record: Record) -> None:
    check_name(call, record["ConfigurationSetName"])
    check_pool(call, record.get("DeliveryOptions"))


def view(call: Call, key: Key, record: Record) -> Record:
    """A configuration set as GetConfigurationSet answers it (SES's defaults filled in)."""
    shown = dict(record)
    shown.setdefault("SendingOptions", {"SendingEnabled": True})
    shown.setdefault("ReputationOptions", {"ReputationMetricsEnabled": False})
    shown.setdefault("DeliveryOptions", {"TlsPolicy": "OPTIONAL"})
    return shown


def sending_enabled(record: Record) -> bool:
    """Whether sends through this set are allowed."""
    return bool(record.get("SendingOptions", {}).get("SendingEnabled", True))


def set_sending(call: Call, key: Key, enabled: bool) -> None:
    """Turn sending through a set on or off (back on: the reputation metrics get a fresh start)."""
    record = dict(CONFIGURATION_SETS.require(call, key))
    if enabled and not sending_enabled(record):
        record["ReputationOptions"] = {**record.get("ReputationOptions", {}), "LastFreshStart": call.now}
    record["SendingOptions"] = {"SendingEnabled": enabled}
    CONFIGURATION_SETS.replace(call, key, record)


def put_sending(call: Call) -> Record:
    """PutConfigurationSetSendingOptions."""
    set_sending(call, CONFIGURATION_SETS.key_of(call.params), bool(call.params.get("SendingEnabled", False)))
    return {}


def put_reputation(call: Call) -> Record:
    """PutConfigurationSetReputationOptions (keeps LastFreshStart)."""
    key = CONFIGURATION_SETS.key_of(call.params)
    record = dict(CONFIGURATION_SETS.require(call, key))
    options = dict(record.get("ReputationOptions", {}))
    options["ReputationMetricsEnabled"] = bool(call.params.get("ReputationMetricsEnabled", False))
    record["ReputationOptions"] = options
    CONFIGURATION_SETS.replace(call, key, record)
    return {}


def put_delivery(call: Call) -> Record:
    """PutConfigurationSetDeliveryOptions: the pool must exist."""
    check_pool(call, call.params)
    return put_op(CONFIGURATION_SETS, "DeliveryOptions")(call) or {}


def put_tracking(call: Call) -> Record:
    """PutConfigurationSetTrackingOptions (no CustomRedirectDomain: tracking options are removed)."""
    key = CONFIGURATION_SETS.key_of(call.params)
    record = dict(CONFIGURATION_SETS.require(call, key))
    if call.params.get("CustomRedirectDomain"):
        options = {"CustomRedirectDomain": call.params["CustomRedirectDomain"]}
        if call.params.get("HttpsPolicy"):
            options["HttpsPolicy"] = call.params["HttpsPolicy"]
        record["TrackingOptions"] = options
    else:
        record.pop("TrackingOptions", None)
    CONFIGURATION_SETS.replace(call, key, record)
    return {}


def put_vdm(call: Call) -> Record:
    """PutConfigurationSetVdmOptions."""
    key = CONFIGURATION_SETS.key_of(call.params)
    record = dict(CONFIGURATION_SETS.require(call, key))
    record["VdmOptions"] = call.params.get("VdmOptions") or {}
    CONFIGURATION_SETS.replace(call, key, record)
    return {}


def put_suppression(call: Call) -> Record:
    """PutConfigurationSetSuppressionOptions: the set's reasons replace the account's (none given: none)."""
    key = CONFIGURATION_SETS.key_of(call.params)
    record = dict(CONFIGURATION_SETS.require(call, key))
    options = {k: v for k, v in call.params.items() if k != "ConfigurationSetName"}
    options.setdefault("SuppressedReasons", [])
    record["SuppressionOptions"] = options
    CONFIGURATION_SETS.replace(call, key, record)
    return {}


def list_sets(call: Call) -> Record:
    """ListConfigurationSets (Filter CONFIGURATION_SET_NAME_CONTAINS)."""
    part = (call.params.get("Filter") or {}).get("CONFIGURATION_SET_NAME_CONTAINS", "")
    names = [k[0] for k, _ in CONFIGURATION_SETS.records(call) if part in k[0]]
    return paged(call, "ConfigurationSets", names, 1000)


# --- event destinations -----------------------------------------------------------------------------


def check_destination(call: Call, definition: Record) -> None:
    """An event destination has event types and exactly one destination."""
    present = [name for name in DESTINATION_TYPES if definition.get(name)]
    if len(present) != 1:
        raise invalid(call, f"Give exactly one of {', '.join(DESTINATION_TYPES)}.")
    if not definition.get("MatchingEventTypes"):
        raise invalid(call, "MatchingEventTypes needs at least one event type.")


def create_destination(call: Call) -> Record:
    """CreateConfigurationSetEventDestination."""
    definition = call.params["EventDestination"]
    check_destination(call, definition)
    key = EVENT_DESTINATIONS.key_of(call.params)
    EVENT_DESTINATIONS.insert(call, key, {"Name": key[1], "Enabled": False, **definition})
    return {}


def update_destination(call: Call) -> Record:
    """UpdateConfigurationSetEventDestination: the definition is replaced."""
    definition = call.params["EventDestination"]
    key = EVENT_DESTINATIONS.key_of(call.params)
    record = EVENT_DESTINATIONS.require(call, key)
    merged = {"Name": key[1], "Enabled": record.get("Enabled", False), **definition}
    check_destination(call, merged)
    EVENT_DESTINATIONS.replace(call, key, merged)
    return {}


def get_destinations(call: Call) -> Record:
    """GetConfigurationSetEventDestinations."""
    key = CONFIGURATION_SETS.key_of(call.params)
    CONFIGURATION_SETS.require(call, key)
    return {"EventDestinations": [r for _, r in EVENT_DESTINATIONS.records(call, key)]}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "CreateConfigurationSet"): create_op(CONFIGURATION_SETS, _check_set),
    ("sesv2", "GetConfigurationSet"): get_op(CONFIGURATION_SETS, view),
    ("sesv2", "ListConfigurationSets"): list_sets,
    ("sesv2", "UpdateConfigurationSet"): update_op(CONFIGURATION_SETS),
    ("sesv2", "DeleteConfigurationSet"): delete_op(CONFIGURATION_SETS),
    ("sesv2", "PutConfigurationSetSendingOptions"): put_sending,
    ("sesv2", "PutConfigurationSetReputationOptions"): put_reputation,
    ("sesv2", "PutConfigurationSetDeliveryOptions"): put_delivery,
    ("sesv2", "PutConfigurationSetTrackingOptions"): put_tracking,
    ("sesv2", "PutConfigurationSetSuppressionOptions"): put_suppression,
    ("sesv2", "PutConfigurationSetVdmOptions"): put_vdm,
    ("sesv2", "PutConfigurationSetArchivingOptions"): put_op(CONFIGURATION_SETS, "ArchivingOptions"),
    ("sesv2", "CreateConfigurationSetEventDestination"): create_destination,
    ("sesv2", "UpdateConfigurationSetEventDestination"): update_destination,
    ("sesv2", "GetConfigurationSetEventDestinations"): get_destinations,
    ("sesv2", "DeleteConfigurationSetEventDestination"): delete_op(EVENT_DESTINATIONS),
}
