"""Configuration sets, SES v1: the same records as v2 (``configsets``) in v1's shapes — lower-camel event
types, ``SNSDestination``/``IAMRoleARN`` spellings, ``Require``/``Optional`` TLS, tracking options with
their own create/update/delete, and DescribeConfigurationSet's attribute selection.
"""

from __future__ import annotations

from typing import Any

from sesflow.emulator.call import Call, Handler, model_error, paged
from sesflow.emulator.configsets import (
    CONFIGURATION_SETS,
    EVENT_DESTINATIONS,
    check_destination,
    check_name,
    sending_enabled,
    set_sending,
)
from sesflow.emulator.region import Record

_EVENTS = {"renderingFailure": "RENDERING_FAILURE"}
_EVENTS_BACK = {
    "SEND": "send", "REJECT": "reject", "BOUNCE": "bounce", "COMPLAINT": "complaint", "DELIVERY": "delivery",
    "OPEN": "open", "CLICK": "click", "RENDERING_FAILURE": "renderingFailure",
}  # fmt: skip
_SOURCES = {"messageTag": "MESSAGE_TAG", "emailHeader": "EMAIL_HEADER", "linkTag": "LINK_TAG"}
_SOURCES_BACK = {v: k for k, v in _SOURCES.items()}


def to_v2(destination: dict[str, Any]) -> Record:
    """A v1 EventDestination as the stored (v2) definition."""
    out: Record = {
        "Enabled": bool(destination.get("Enabled", False)),
        "MatchingEventTypes": [_EVENTS.get(t, t.upper()) for t in destination.get("MatchingEventTypes", [])],
    }
    firehose = destination.get("KinesisFirehoseDestination")
    if firehose:
        out["KinesisFirehoseDestination"] = {
            "IamRoleArn": firehose["IAMRoleARN"],
            "DeliveryStreamArn": firehose["DeliveryStreamARN"],
        }
    sns = destination.get("SNSDestination")
    if sns:
        out["SnsDestination"] = {"TopicArn": sns["TopicARN"]}
    cloudwatch = destination.get("CloudWatchDestination")
    if cloudwatch:
        out["CloudWatchDestination"] = {
            "DimensionConfigurations": [
                {**d, "DimensionValueSource": _SOURCES[d["DimensionValueSource"]]}
                for d in cloudwatch["DimensionConfigurations"]
            ]
        }
    return out


def to_v1(record: Record) -> Record:
    """A stored destination in v1's shape (v2-only event types and destinations left out)."""
    out: Record = {
        "Name": record["Name"],
        "Enabled": record.get("Enabled", False),
        "MatchingEventTypes": [_EVENTS_BACK[t] for t in record["MatchingEventTypes"] if t in _EVENTS_BACK],
    }
    if record.get("KinesisFirehoseDestination"):
        firehose = record["KinesisFirehoseDestination"]
        out["KinesisFirehoseDestination"] = {
            "IAMRoleARN": firehose["IamRoleArn"],
            "DeliveryStreamARN": firehose["DeliveryStreamArn"],
        }
    if record.get("SnsDestination"):
        out["SNSDestination"] = {"TopicARN": record["SnsDestination"]["TopicArn"]}
    if record.get("CloudWatchDestination"):
        out["CloudWatchDestination"] = {
            "DimensionConfigurations": [
                {**d, "DimensionValueSource": _SOURCES_BACK[d["DimensionValueSource"]]}
                for d in record["CloudWatchDestination"]["DimensionConfigurations"]
            ]
        }
    return out


def _key(call: Call) -> tuple[str]:
    return (call.params["ConfigurationSetName"],)


def create_set(call: Call) -> Record:
    """CreateConfigurationSet."""
    name = call.params["ConfigurationSet"]["Name"]
    check_name(call, name)
    CONFIGURATION_SETS.insert(call, (name,), {"ConfigurationSetName": name})
    return {}


def delete_set(call: Call) -> Record:
    """DeleteConfigurationSet."""
    CONFIGURATION_SETS.drop(call, _key(call))
    return {}


def describe_set(call: Call) -> Record:
    """DescribeConfigurationSet with the attributes asked for."""
    key = _key(call)
    record = CONFIGURATION_SETS.require(call, key)
    wanted = set(call.params.get("ConfigurationSetAttributeNames") or [])
    answer: Record = {"ConfigurationSet": {"Name": key[0]}}
    if "eventDestinations" in wanted:
        answer["EventDestinations"] = [to_v1(r) for _, r in EVENT_DESTINATIONS.records(call, key)]
    if "trackingOptions" in wanted and record.get("TrackingOptions"):
        answer["TrackingOptions"] = {
            "CustomRedirectDomain": record["TrackingOptions"]["CustomRedirectDomain"]
        }
    if "deliveryOptions" in wanted:
        policy = record.get("DeliveryOptions", {}).get("TlsPolicy", "OPTIONAL")
        answer["DeliveryOptions"] = {"TlsPolicy": policy.capitalize()}
    if "reputationOptions" in wanted:
        reputation = record.get("ReputationOptions", {})
        answer["ReputationOptions"] = {
            "SendingEnabled": sending_enabled(record),
            "ReputationMetricsEnabled": reputation.get("ReputationMetricsEnabled", False),
            **({"LastFreshStart": reputation["LastFreshStart"]} if reputation.get("LastFreshStart") else {}),
        }
    return answer


def list_sets(call: Call) -> Record:
    """ListConfigurationSets (MaxItems/NextToken)."""
    return paged(
        call, "ConfigurationSets", [{"Name": k[0]} for k, _ in CONFIGURATION_SETS.records(call)], 1000
    )


def create_destination(call: Call) -> Record:
    """CreateConfigurationSetEventDestination."""
    destination = call.params["EventDestination"]
    definition = to_v2(destination)
    check_destination(call, definition)
    key = (call.params["ConfigurationSetName"], destination["Name"])
    EVENT_DESTINATIONS.insert(call, key, {"Name": destination["Name"], **definition})
    return {}


def update_destination(call: Call) -> Record:
    """UpdateConfigurationSetEventDestination."""
    destination = call.params["EventDestination"]
    key = (call.params["ConfigurationSetName"], destination["Name"])
    EVENT_DESTINATIONS.require(call, key)
    definition = to_v2(destination)
    check_destination(call, definition)
    EVENT_DESTINATIONS.replace(call, key, {"Name": destination["Name"], **definition})
    return {}


def delete_destination(call: Call) -> Record:
    """DeleteConfigurationSetEventDestination."""
    EVENT_DESTINATIONS.drop(call, (call.params["ConfigurationSetName"], call.params["EventDestinationName"]))
    return {}


def _tracking(call: Call, *, exists: bool | None) -> Record:
    key = _key(call)
    record = dict(CONFIGURATION_SETS.require(call, key))
    present = bool(record.get("TrackingOptions"))
    if exists is False and present:
        raise model_error(
            "ses", "TrackingOptionsAlreadyExistsException", f"Tracking options already exist for <{key[0]}>."
        )
    if exists is True and not present:
        raise model_error(
            "ses", "TrackingOptionsDoesNotExistException", f"Tracking options do not exist for <{key[0]}>."
        )
    return record


def create_tracking(call: Call) -> Record:
    """CreateConfigurationSetTrackingOptions."""
    record = _tracking(call, exists=False)
    domain = call.params["TrackingOptions"].get("CustomRedirectDomain")
    if not domain:
        raise model_error("ses", "InvalidTrackingOptionsException", "CustomRedirectDomain is required.")
    record["TrackingOptions"] = {"CustomRedirectDomain": domain}
    CONFIGURATION_SETS.replace(call, _key(call), record)
    return {}


def update_tracking(call: Call) -> Record:
    """UpdateConfigurationSetTrackingOptions."""
    record = _tracking(call, exists=True)
    domain = call.params["TrackingOptions"].get("CustomRedirectDomain")
    if not domain:
        raise model_error("ses", "InvalidTrackingOptionsException", "CustomRedirectDomain is required.")
    record["TrackingOptions"] = {**record["TrackingOptions"], "CustomRedirectDomain": domain}
    CONFIGURATION_SETS.replace(call, _key(call), record)
    return {}


def delete_tracking(call: Call) -> Record:
    """DeleteConfigurationSetTrackingOptions."""
    record = _tracking(call, exists=True)
    record.pop("TrackingOptions")
    CONFIGURATION_SETS.replace(call, _key(call), record)
    return {}


def put_delivery(call: Call) -> Record:
    """PutConfigurationSetDeliveryOptions (TlsPolicy Require|Optional)."""
    key = _key(call)
    record = dict(CONFIGURATION_SETS.require(call, key))
    policy = (call.params.get("DeliveryOptions") or {}).get("TlsPolicy", "Optional")
    record["DeliveryOptions"] = {**record.get("DeliveryOptions", {}), "TlsPolicy": policy.upper()}
    CONFIGURATION_SETS.replace(call, key, record)
    return {}


def update_reputation(call: Call) -> None:
    """UpdateConfigurationSetReputationMetricsEnabled."""
    key = _key(call)
    record = dict(CONFIGURATION_SETS.require(call, key))
    record["ReputationOptions"] = {
        **record.get("ReputationOptions", {}),
        "ReputationMetricsEnabled": call.params["Enabled"],
    }
    CONFIGURATION_SETS.replace(call, key, record)


def update_sending(call: Call) -> None:
    """UpdateConfigurationSetSendingEnabled."""
    set_sending(call, _key(call), call.params["Enabled"])


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("ses", "CreateConfigurationSet"): create_set,
    ("ses", "DeleteConfigurationSet"): delete_set,
    ("ses", "DescribeConfigurationSet"): describe_set,
    ("ses", "ListConfigurationSets"): list_sets,
    ("ses", "CreateConfigurationSetEventDestination"): create_destination,
    ("ses", "UpdateConfigurationSetEventDestination"): update_destination,
    ("ses", "DeleteConfigurationSetEventDestination"): delete_destination,
    ("ses", "CreateConfigurationSetTrackingOptions"): create_tracking,
    ("ses", "UpdateConfigurationSetTrackingOptions"): update_tracking,
    ("ses", "DeleteConfigurationSetTrackingOptions"): delete_tracking,
    ("ses", "PutConfigurationSetDeliveryOptions"): put_delivery,
    ("ses", "UpdateConfigurationSetReputationMetricsEnabled"): update_reputation,
    ("ses", "UpdateConfigurationSetSendingEnabled"): update_sending,
}
