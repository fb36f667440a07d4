"""The account in a region: GetAccount and the PutAccount* settings (sending, suppression, VDM, details,
dedicated IP warm-up, delivery, pricing), and v1's GetSendQuota, GetSendStatistics and the account-wide
sending switch.
"""

from __future__ import annotations

from sesflow.emulator.call import Call, Handler, invalid
from sesflow.emulator.region import Record

_SETTINGS = (
    "DedicatedIpAutoWarmupEnabled",
    "EnforcementStatus",
    "ProductionAccessEnabled",
    "SendingEnabled",
    "SuppressionAttributes",
    "Details",
    "VdmAttributes",
    "PricingAttributes",
    "DeliveryAttributes",
)


def send_quota(call: Call) -> Record:
    """The quota and the recipients sent in the last 24 hours, in this account and region."""
    config = call.state.config
    return {
        "Max24HourSend": float(config.max_24h_send),
        "MaxSendRate": float(config.max_send_rate),
        "SentLast24Hours": float(call.region.limiter.sent_last_24h(call.now)),
    }


def get_account(call: Call) -> Record:
    """GetAccount."""
    settings = call.region.settings
    answer: Record = {name: settings[name] for name in _SETTINGS if settings.get(name) is not None}
    answer["SendQuota"] = send_quota(call)
    return answer


def _switch(setting: str, member: str) -> Handler:
    """A PutAccount* call that sets one boolean setting (an absent member means false, as on SES)."""

    def handler(call: Call) -> Record:
        call.region.update_settings(**{setting: bool(call.params.get(member, False))})
        return {}

    return handler


def put_suppression(call: Call) -> Record:
    """PutAccountSuppressionAttributes (no reasons given: the list suppresses nothing)."""
    attributes: Record = {"SuppressedReasons": call.params.get("SuppressedReasons", [])}
    if call.params.get("ValidationAttributes"):
        attributes["ValidationAttributes"] = call.params["ValidationAttributes"]
    call.region.update_settings(SuppressionAttributes=attributes)
    return {}


def put_vdm(call: Call) -> Record:
    """PutAccountVdmAttributes: merged into the current VDM attributes."""
    current = dict(call.region.settings.get("VdmAttributes", {}))
    current.update(call.params["VdmAttributes"])
    call.region.update_settings(VdmAttributes=current)
    return {}


def put_details(call: Call) -> Record:
    """PutAccountDetails: stored; asking for production access is granted at once (review GRANTED)."""
    details = {k: v for k, v in call.params.items() if k != "ProductionAccessEnabled"}
    if details.get("AdditionalContactEmailAddresses") and len(details["AdditionalContactEmailAddresses"]) > 4:
        raise invalid(call, "At most 4 AdditionalContactEmailAddresses.")
    changes: Record = {
        "Details": {**details, "ReviewDetails": {"Status": "GRANTED", "CaseId": call.state.new_id()}}
    }
    if call.params.get("ProductionAccessEnabled") is not None:
        changes["ProductionAccessEnabled"] = call.params["ProductionAccessEnabled"]
    call.region.update_settings(**changes)
    return {}


def put_pricing(call: Call) -> Record:
    """PutAccountPricingAttributes: the next plan applies at once in the emulator."""
    call.region.update_settings(
        PricingAttributes={"CurrentPlan": call.params["Plan"], "NextPlan": call.params["Plan"]}
    )
    return {}


def put_delivery(call: Call) -> Record:
    """PutAccountDeliveryAttributes."""
    call.region.update_settings(
        DeliveryAttributes={"SharedPoolDeliveryMode": call.params["SharedPoolDeliveryMode"]}
    )
    return {}


def get_send_quota(call: Call) -> Record:
    """GetSendQuota (v1)."""
    return send_quota(call)


def get_send_statistics(call: Call) -> Record:
    """GetSendStatistics: 15-minute data points of the last two weeks of this account's sends."""
    since = call.now - 14 * 86_400
    buckets: dict[int, dict[str, int]] = {}
    for message in call.state.store.window(since, call.now, call.region.scope):
        point = buckets.setdefault(
            int(message.sent_at // 900) * 900,
            {"DeliveryAttempts": 0, "Bounces": 0, "Complaints": 0, "Rejects": 0},
        )
        point["DeliveryAttempts"] += len(message.destinations)
        for event in message.events:
            if event[0] > call.now:
                continue
            if event[1] == "BOUNCE":
                point["Bounces"] += 1
            elif event[1] == "COMPLAINT":
                point["Complaints"] += 1
            elif event[1] == "REJECT":
                point["Rejects"] += 1
    return {"SendDataPoints": [{"Timestamp": float(t), **counts} for t, counts in sorted(buckets.items())]}


def get_sending_enabled(call: Call) -> Record:
    """GetAccountSendingEnabled (v1)."""
    return {"Enabled": bool(call.region.settings.get("SendingEnabled", True))}


def update_sending_enabled(call: Call) -> None:
    """UpdateAccountSendingEnabled (v1): pausing refuses every send of the account in this region."""
    call.region.update_settings(SendingEnabled=bool(call.params.get("Enabled", False)))


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "GetAccount"): get_account,
    ("sesv2", "PutAccountSendingAttributes"): _switch("SendingEnabled", "SendingEnabled"),
    ("sesv2", "PutAccountDedicatedIpWarmupAttributes"): _switch(
        "DedicatedIpAutoWarmupEnabled", "AutoWarmupEnabled"
    ),
    ("sesv2", "PutAccountSuppressionAttributes"): put_suppression,
    ("sesv2", "PutAccountVdmAttributes"): put_vdm,
    ("sesv2", "PutAccountDetails"): put_details,
    ("sesv2", "PutAccountPricingAttributes"): put_pricing,
    ("sesv2", "PutAccountDeliveryAttributes"): put_delivery,
    ("ses", "GetSendQuota"): get_send_quota,
    ("ses", "GetSendStatistics"): get_send_statistics,
    ("ses", "GetAccountSendingEnabled"): get_sending_enabled,
    ("ses", "UpdateAccountSendingEnabled"): update_sending_enabled,
}
