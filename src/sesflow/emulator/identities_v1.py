"""Identities, SES v1: Verify* (email, domain, DKIM, the legacy VerifyEmailAddress), list and delete, the
Get*Attributes batch reads, the Set* switches and identity policies — over the same records as the v2
calls (``identities``), with v1's capitalised status names.
"""

from __future__ import annotations

from sesflow.emulator.call import Call, Handler, invalid, paged
from sesflow.emulator.identities import (
    IDENTITIES,
    POLICIES,
    check_mail_from,
    check_policy,
    ensure_identity,
    tokens,
)
from sesflow.emulator.region import Record
from sesflow.emulator.verification import dkim_status, mail_from_status, verification_status

_STATUS = {
    "PENDING": "Pending",
    "SUCCESS": "Success",
    "FAILED": "Failed",
    "TEMPORARY_FAILURE": "TemporaryFailure",
    "NOT_STARTED": "NotStarted",
}
_BEHAVIOR = {"USE_DEFAULT_VALUE": "UseDefaultValue", "REJECT_MESSAGE": "RejectMessage"}
_BEHAVIOR_BACK = {v: k for k, v in _BEHAVIOR.items()}


def _identity(call: Call, name: str) -> Record:
    record = IDENTITIES.find(call, (name,))
    if record is None:
        raise invalid(call, f"Identity <{name}> does not exist.")
    return record


def _change(call: Call, name: str, **changes: object) -> None:
    IDENTITIES.replace(call, (name,), {**_identity(call, name), **changes})


def verify_email(call: Call) -> Record:
    """VerifyEmailIdentity: the address becomes an identity (verified after ``--verification-delay``)."""
    address = call.params["EmailAddress"]
    if "@" not in address:
        raise invalid(call, f"Invalid email address <{address}>.")
    ensure_identity(call, address)
    return {}


def verify_address(call: Call) -> None:
    """VerifyEmailAddress (the legacy call; answers nothing)."""
    verify_email(call)


def verify_domain(call: Call) -> Record:
    """VerifyDomainIdentity: the domain becomes an identity; answers its TXT verification token."""
    domain = call.params["Domain"]
    if "@" in domain:
        raise invalid(call, f"Invalid domain name <{domain}>.")
    _, record = ensure_identity(call, domain)
    return {"VerificationToken": record.get("VerificationToken") or tokens(call.region, domain, "verify")[0]}


def verify_domain_dkim(call: Call) -> Record:
    """VerifyDomainDkim: Easy DKIM for the domain; answers the three CNAME tokens."""
    domain = call.params["Domain"]
    if "@" in domain:
        raise invalid(call, f"Invalid domain name <{domain}>.")
    key, record = ensure_identity(call, domain)
    if not record.get("DkimStartedAt"):
        record = {**record, "DkimStartedAt": call.now}
    record = {**record, "SigningEnabled": True, "Tokens": record.get("Tokens") or tokens(call.region, domain)}
    IDENTITIES.replace(call, key, record)
    return {"DkimTokens": record["Tokens"]}


def list_identities(call: Call) -> Record:
    """ListIdentities (IdentityType EmailAddress|Domain, MaxItems/NextToken)."""
    wanted = {"EmailAddress": "EMAIL_ADDRESS", "Domain": "DOMAIN"}.get(call.params.get("IdentityType", ""))
    names = [k[0] for k, r in IDENTITIES.records(call) if wanted in (None, r["IdentityType"])]
    return paged(call, "Identities", names, 1000)


def list_verified_addresses(call: Call) -> Record:
    """ListVerifiedEmailAddresses: verified email address identities."""
    return {
        "VerifiedEmailAddresses": [
            k[0]
            for k, r in IDENTITIES.records(call)
            if r["IdentityType"] == "EMAIL_ADDRESS" and verification_status(r, call.now) == "SUCCESS"
        ]
    }


def delete_identity(call: Call) -> Record | None:
    """DeleteIdentity / DeleteVerifiedEmailAddress: succeeds also for an unknown identity, as SES does."""
    name = call.params["Identity" if call.operation == "DeleteIdentity" else "EmailAddress"]
    if IDENTITIES.find(call, (name,)) is not None:
        IDENTITIES.drop(call, (name,))
    return None if call.operation == "DeleteVerifiedEmailAddress" else {}


def _known(call: Call) -> list[tuple[str, Record]]:
    found = []
    for name in call.params["Identities"]:
        record = IDENTITIES.find(call, (name,))
        if record is not None:
            found.append((name, record))
    return found


def verification_attributes(call: Call) -> Record:
    """GetIdentityVerificationAttributes."""
    out: Record = {}
    for name, record in _known(call):
        entry: Record = {"VerificationStatus": _STATUS[verification_status(record, call.now)]}
        if record.get("VerificationToken"):
            entry["VerificationToken"] = record["VerificationToken"]
        out[name] = entry
    return {"VerificationAttributes": out}


def dkim_attributes(call: Call) -> Record:
    """GetIdentityDkimAttributes."""
    out: Record = {}
    for name, record in _known(call):
        entry: Record = {
            "DkimEnabled": bool(record.get("SigningEnabled")),
            "DkimVerificationStatus": _STATUS[dkim_status(record, call.now)],
        }
        if record.get("Tokens"):
            entry["DkimTokens"] = record["Tokens"]
        out[name] = entry
    return {"DkimAttributes": out}


def mail_from_attributes(call: Call) -> Record:
    """GetIdentityMailFromDomainAttributes (only identities with a custom MAIL FROM domain)."""
    out: Record = {}
    for name, record in _known(call):
        if record.get("MailFromDomain"):
            out[name] = {
                "MailFromDomain": record["MailFromDomain"],
                "MailFromDomainStatus": _STATUS[mail_from_status(record, call.now)],
                "BehaviorOnMXFailure": _BEHAVIOR[record.get("BehaviorOnMxFailure", "USE_DEFAULT_VALUE")],
            }
    return {"MailFromDomainAttributes": out}


def notification_attributes(call: Call) -> Record:
    """GetIdentityNotificationAttributes."""
    out: Record = {}
    for name, record in _known(call):
        topics = record.get("NotificationTopics", {})
        headers = record.get("HeadersInNotifications", {})
        out[name] = {
            "BounceTopic": topics.get("Bounce", ""),
            "ComplaintTopic": topics.get("Complaint", ""),
            "DeliveryTopic": topics.get("Delivery", ""),
            "ForwardingEnabled": record.get("FeedbackForwardingStatus", True),
            "HeadersInBounceNotificationsEnabled": headers.get("Bounce", False),
            "HeadersInComplaintNotificationsEnabled": headers.get("Complaint", False),
            "HeadersInDeliveryNotificationsEnabled": headers.get("Delivery", False),
        }
    return {"NotificationAttributes": out}


def set_dkim(call: Call) -> Record:
    """SetIdentityDkimEnabled."""
    name = call.params["Identity"]
    record = _identity(call, name)
    enabled = call.params["DkimEnabled"]
    if enabled and record["IdentityType"] == "DOMAIN" and not record.get("Tokens"):
        raise invalid(call, f"Domain <{name}> has no DKIM tokens yet: call VerifyDomainDkim first.")
    _change(call, name, SigningEnabled=enabled, DkimStartedAt=record.get("DkimStartedAt") or call.now)
    return {}


def set_forwarding(call: Call) -> Record:
    """SetIdentityFeedbackForwardingEnabled: forwarding goes off only with bounce and complaint topics set."""
    name = call.params["Identity"]
    record = _identity(call, name)
    enabled = call.params["ForwardingEnabled"]
    topics = record.get("NotificationTopics", {})
    if not enabled and not (topics.get("Bounce") and topics.get("Complaint")):
        raise invalid(
            call,
            "Feedback forwarding can be disabled only when Amazon SNS topics are set for bounce and "
            "complaint notifications (SetIdentityNotificationTopic).",
        )
    _change(call, name, FeedbackForwardingStatus=enabled)
    return {}


def set_headers(call: Call) -> Record:
    """SetIdentityHeadersInNotificationsEnabled."""
    name = call.params["Identity"]
    headers = dict(_identity(call, name).get("HeadersInNotifications", {}))
    headers[call.params["NotificationType"]] = call.params["Enabled"]
    _change(call, name, HeadersInNotifications=headers)
    return {}


def set_topic(call: Call) -> Record:
    """SetIdentityNotificationTopic (no SnsTopic: remove it; then forwarding comes back on)."""
    name = call.params["Identity"]
    record = _identity(call, name)
    topics = dict(record.get("NotificationTopics", {}))
    topic = call.params.get("SnsTopic")
    if topic:
        if not topic.startswith("arn:"):
            raise invalid(call, f"Invalid SNS topic ARN <{topic}>.")
        topics[call.params["NotificationType"]] = topic
    else:
        topics.pop(call.params["NotificationType"], None)
    forwarding = record.get("FeedbackForwardingStatus", True)
    if not (topics.get("Bounce") and topics.get("Complaint")):
        forwarding = True
    _change(call, name, NotificationTopics=topics, FeedbackForwardingStatus=forwarding)
    return {}


def set_mail_from(call: Call) -> Record:
    """SetIdentityMailFromDomain (no domain: remove it)."""
    name = call.params["Identity"]
    _identity(call, name)
    mail_from = call.params.get("MailFromDomain")
    if not mail_from:
        _change(call, name, MailFromDomain=None, MailFromSetAt=None)
        return {}
    check_mail_from(call, name, mail_from)
    behavior = _BEHAVIOR_BACK.get(call.params.get("BehaviorOnMXFailure", ""), "USE_DEFAULT_VALUE")
    _change(call, name, MailFromDomain=mail_from, BehaviorOnMxFailure=behavior, MailFromSetAt=call.now)
    return {}


def put_policy(call: Call) -> Record:
    """PutIdentityPolicy: create or replace."""
    name = call.params["Identity"]
    _identity(call, name)
    check_policy(call, call.params["Policy"])
    key = (name, call.params["PolicyName"])
    record = POLICIES.find(call, key)
    if record is None:
        POLICIES.insert(call, key, {"Policy": call.params["Policy"]})
    else:
        POLICIES.replace(call, key, {**record, "Policy": call.params["Policy"]})
    return {}


def delete_policy(call: Call) -> Record:
    """DeleteIdentityPolicy (an unknown policy is no error)."""
    key = (call.params["Identity"], call.params["PolicyName"])
    _identity(call, key[0])
    if POLICIES.find(call, key) is not None:
        POLICIES.drop(call, key)
    return {}


def get_policies(call: Call) -> Record:
    """GetIdentityPolicies: the named policies that exist."""
    name = call.params["Identity"]
    _identity(call, name)
    wanted = call.params["PolicyNames"]
    return {"Policies": {k[1]: r["Policy"] for k, r in POLICIES.records(call, (name,)) if k[1] in wanted}}


def list_policies(call: Call) -> Record:
    """ListIdentityPolicies."""
    name = call.params["Identity"]
    _identity(call, name)
    return {"PolicyNames": [k[1] for k, _ in POLICIES.records(call, (name,))]}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("ses", "VerifyEmailIdentity"): verify_email,
    ("ses", "VerifyEmailAddress"): verify_address,
    ("ses", "VerifyDomainIdentity"): verify_domain,
    ("ses", "VerifyDomainDkim"): verify_domain_dkim,
    ("ses", "ListIdentities"): list_identities,
    ("ses", "ListVerifiedEmailAddresses"): list_verified_addresses,
    ("ses", "DeleteIdentity"): delete_identity,
    ("ses", "DeleteVerifiedEmailAddress"): delete_identity,
    ("ses", "GetIdentityVerificationAttributes"): verification_attributes,
    ("ses", "GetIdentityDkimAttributes"): dkim_attributes,
    ("ses", "GetIdentityMailFromDomainAttributes"): mail_from_attributes,
    ("ses", "GetIdentityNotificationAttributes"): notification_attributes,
    ("ses", "SetIdentityDkimEnabled"): set_dkim,
    ("ses", "SetIdentityFeedbackForwardingEnabled"): set_forwarding,
    ("ses", "SetIdentityHeadersInNotificationsEnabled"): set_headers,
    ("ses", "SetIdentityNotificationTopic"): set_topic,
    ("ses", "SetIdentityMailFromDomain"): set_mail_from,
    ("ses", "PutIdentityPolicy"): put_policy,
    ("ses", "DeleteIdentityPolicy"): delete_policy,
    ("ses", "GetIdentityPolicies"): get_policies,
    ("ses", "ListIdentityPolicies"): list_policies,
}
