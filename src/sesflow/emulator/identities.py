"""Email identities, SES v2: create (with Easy DKIM or BYODKIM), get, list, delete, DKIM and MAIL FROM
attributes, feedback forwarding, the default configuration set, sending authorization policies and
certificates. The records are shared with the v1 identity calls (``identities_v1``): both APIs see the
same identities, per account and region.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from sesflow.emulator.call import Call, Handler, invalid, not_found
from sesflow.emulator.region import Key, Record, Region
from sesflow.emulator.tables import Table, delete_op, list_op
from sesflow.emulator.verification import (
    IDENTITIES as IDENTITIES_TABLE,
)
from sesflow.emulator.verification import (
    dkim_status,
    mail_from_status,
    verification_status,
)

IDENTITIES = Table(
    IDENTITIES_TABLE, ("EmailIdentity",), "Email identity", arn="identity/{EmailIdentity}", quota=10_000
)
POLICIES = Table("identity_policies", ("EmailIdentity", "PolicyName"), "Policy", parent=IDENTITIES, quota=20)
CERTIFICATES = Table(
    "identity_certificates", ("EmailIdentity", "FromAddress"), "Certificate", parent=IDENTITIES
)
CONFIGURATION_SETS_TABLE = "configuration_sets"
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)


def identity_type(name: str) -> str:
    """EMAIL_ADDRESS or DOMAIN."""
    return "EMAIL_ADDRESS" if "@" in name else "DOMAIN"


def check_identity_name(call: Call, name: str) -> None:
    """An identity is an email address or a domain name."""
    domain = name.rpartition("@")[2]
    local = name.rpartition("@")[0] if "@" in name else "x"
    if not local or not _DOMAIN.match(domain):
        raise invalid(call, f"Invalid identity <{name}>: give an email address or a domain name.")


def tokens(region: Region, name: str, salt: str = "") -> list[str]:
    """Three Easy DKIM tokens (32 hex characters each), stable for an identity of an account and region."""
    digest = hashlib.sha256(f"{region.account}/{region.name}/{name}/{salt}".encode()).hexdigest()
    return [digest[i * 16 : i * 16 + 32] for i in range(3)]


def new_identity(region: Region, name: str, now: float, delay: float) -> Record:
    """A fresh identity record: verified ``delay`` seconds after ``now``; a domain gets Easy DKIM."""
    kind = identity_type(name)
    record: Record = {
        "IdentityName": name,
        "IdentityType": kind,
        "VerifiedAt": now + delay,
        "Delay": delay,
        "FeedbackForwardingStatus": True,
        "CreatedTimestamp": now,
        "LastUpdatedTimestamp": now,
    }
    if kind == "DOMAIN":
        record.update(
            {
                "VerificationToken": tokens(region, name, "verify")[0],
                "SigningEnabled": True,
                "DkimStartedAt": now,
                "Tokens": tokens(region, name),
                "SigningAttributesOrigin": "AWS_SES",
                "CurrentSigningKeyLength": "RSA_2048_BIT",
                "NextSigningKeyLength": "RSA_2048_BIT",
                "LastKeyGenerationTimestamp": now,
            }
        )
    return record


def _delay(call: Call) -> float:
    return call.state.config.verification_delay


def ensure_identity(call: Call, name: str) -> tuple[Key, Record]:
    """The identity ``name``, created (pending verification) when it is new (the v1 Verify* calls)."""
    check_identity_name(call, name)
    key = (name,)
    record = IDENTITIES.find(call, key)
    if record is None:
        record = IDENTITIES.insert(call, key, new_identity(call.region, name, call.now, _delay(call)))
    return key, record


def dkim_attributes(call: Call, record: Record) -> Record:
    """The DkimAttributes of GetEmailIdentity / CreateEmailIdentity."""
    attributes: Record = {
        "SigningEnabled": bool(record.get("SigningEnabled", False)),
        "Status": dkim_status(record, call.now),
        "SigningAttributesOrigin": record.get("SigningAttributesOrigin", "AWS_SES"),
    }
    for name in ("Tokens", "CurrentSigningKeyLength", "NextSigningKeyLength", "LastKeyGenerationTimestamp"):
        if record.get(name) is not None:
            attributes[name] = record[name]
    if record.get("SigningAttributesOrigin") == "EXTERNAL":
        attributes.pop("Tokens", None)
        attributes["Tokens"] = [record.get("DomainSigningSelector", "")]
    return attributes


def _view(call: Call, key: Key, record: Record) -> Record:
    status = verification_status(record, call.now)
    answer: Record = {
        "IdentityType": record["IdentityType"],
        "FeedbackForwardingStatus": record.get("FeedbackForwardingStatus", True),
        "VerifiedForSendingStatus": status == "SUCCESS",
        "DkimAttributes": dkim_attributes(call, record),
        "Policies": {k[1]: r["Policy"] for k, r in POLICIES.records(call, key)},
        "VerificationStatus": status,
        "VerificationInfo": {"LastCheckedTimestamp": call.now}
        | ({"LastSuccessTimestamp": record["VerifiedAt"]} if status == "SUCCESS" else {}),
    }
    if record.get("MailFromDomain"):
        answer["MailFromAttributes"] = {
            "MailFromDomain": record["MailFromDomain"],
            "MailFromDomainStatus": mail_from_status(record, call.now),
            "BehaviorOnMxFailure": record.get("BehaviorOnMxFailure", "USE_DEFAULT_VALUE"),
        }
    if record.get("ConfigurationSetName"):
        answer["ConfigurationSetName"] = record["ConfigurationSetName"]
    return answer


def _require_set(call: Call, name: str | None) -> None:
    if name and call.region.get(CONFIGURATION_SETS_TABLE, (name,)) is None:
        raise not_found(
            call, f"Configuration set <{name}> does not exist.", "ConfigurationSetDoesNotExistException"
        )


def _signing(call: Call, record: Record, origin: str, attributes: Record | None) -> Record:
    """Apply DKIM signing attributes: EXTERNAL (BYODKIM: selector + private key) or AWS_SES (Easy DKIM)."""
    attributes = attributes or {}
    if record["IdentityType"] != "DOMAIN":
        raise invalid(call, "DKIM signing attributes can only be set on a domain identity.")
    if origin == "EXTERNAL":
        selector, key = attributes.get("DomainSigningSelector"), attributes.get("DomainSigningPrivateKey")
        if not selector or not key:
            raise invalid(call, "BYODKIM needs DomainSigningSelector and DomainSigningPrivateKey.")
        record.update(DomainSigningSelector=selector, Tokens=None, SigningAttributesOrigin="EXTERNAL")
    else:
        record.update(
            SigningAttributesOrigin=origin, Tokens=tokens(call.region, record["IdentityName"], origin)
        )
        if attributes.get("NextSigningKeyLength"):
            record["NextSigningKeyLength"] = attributes["NextSigningKeyLength"]
    record.update(SigningEnabled=True, DkimStartedAt=call.now, LastKeyGenerationTimestamp=call.now)
    return record


def create_email_identity(call: Call) -> Record:
    """CreateEmailIdentity: pending until ``--verification-delay`` has passed (at once by default)."""
    name = call.params["EmailIdentity"]
    check_identity_name(call, name)
    _require_set(call, call.params.get("ConfigurationSetName"))
    record = new_identity(call.region, name, call.now, _delay(call))
    if call.params.get("ConfigurationSetName"):
        record["ConfigurationSetName"] = call.params["ConfigurationSetName"]
    signing = call.params.get("DkimSigningAttributes")
    if signing:
        origin = "EXTERNAL" if signing.get("DomainSigningPrivateKey") else "AWS_SES"
        record = _signing(call, record, signing.get("DomainSigningAttributesOrigin", origin), signing)
    stored = IDENTITIES.insert(call, (name,), record, call.params.get("Tags"))
    answer: Record = {
        "IdentityType": stored["IdentityType"],
        "VerifiedForSendingStatus": verification_status(stored, call.now) == "SUCCESS",
    }
    if stored["IdentityType"] == "DOMAIN":
        answer["DkimAttributes"] = dkim_attributes(call, stored)
    return answer


def _update(call: Call, **changes: Any) -> Record:
    key = (call.params["EmailIdentity"],)
    record = {**IDENTITIES.require(call, key), **changes}
    return IDENTITIES.replace(call, key, record)


def put_dkim(call: Call) -> Record:
    """PutEmailIdentityDkimAttributes: switch DKIM signing on or off."""
    enabled = bool(call.params.get("SigningEnabled", False))
    record = IDENTITIES.require(call, (call.params["EmailIdentity"],))
    changes: Record = {"SigningEnabled": enabled}
    if enabled and not record.get("DkimStartedAt"):
        changes["DkimStartedAt"] = call.now
    _update(call, **changes)
    return {}


def put_dkim_signing(call: Call) -> Record:
    """PutEmailIdentityDkimSigningAttributes: BYODKIM or Easy DKIM (new tokens)."""
    key = (call.params["EmailIdentity"],)
    record = _signing(
        call, dict(IDENTITIES.require(call, key)), call.params["SigningAttributesOrigin"],
        call.params.get("SigningAttributes"),
    )  # fmt: skip
    stored = IDENTITIES.replace(call, key, record)
    answer: Record = {"DkimStatus": dkim_status(stored, call.now)}
    if stored.get("Tokens"):
        answer["DkimTokens"] = stored["Tokens"]
    return answer


def check_mail_from(call: Call, identity: str, mail_from: str) -> None:
    """A custom MAIL FROM domain is a subdomain of the identity's domain."""
    domain = identity.rpartition("@")[2].lower()
    if not mail_from.lower().endswith("." + domain) or not _DOMAIN.match(mail_from):
        raise invalid(call, f"MAIL FROM domain <{mail_from}> must be a subdomain of <{domain}>.")


def put_mail_from(call: Call) -> Record:
    """PutEmailIdentityMailFromAttributes: set (or, without a domain, remove) the custom MAIL FROM."""
    name = call.params["EmailIdentity"]
    IDENTITIES.require(call, (name,))
    mail_from = call.params.get("MailFromDomain")
    if not mail_from:
        _update(call, MailFromDomain=None, MailFromSetAt=None)
        return {}
    check_mail_from(call, name, mail_from)
    behavior = call.params.get("BehaviorOnMxFailure", "USE_DEFAULT_VALUE")
    _update(call, MailFromDomain=mail_from, BehaviorOnMxFailure=behavior, MailFromSetAt=call.now)
    return {}


def put_feedback(call: Call) -> Record:
    """PutEmailIdentityFeedbackAttributes."""
    _update(call, FeedbackForwardingStatus=bool(call.params.get("EmailForwardingEnabled", False)))
    return {}


def put_configuration_set(call: Call) -> Record:
    """PutEmailIdentityConfigurationSetAttributes: the set used when a send names none."""
    name = call.params.get("ConfigurationSetName")
    IDENTITIES.require(call, (call.params["EmailIdentity"],))
    _require_set(call, name)
    _update(call, ConfigurationSetName=name or None)
    return {}


def check_policy(call: Call, text: str) -> None:
    """A sending authorization policy is a JSON object with a Statement list."""
    try:
        policy = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _policy_error(call, "Policy is not valid JSON.") from None
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list | dict):
        raise _policy_error(call, "Policy must be a JSON object with a Statement.")


def _policy_error(call: Call, message: str) -> Exception:
    from sesflow.emulator.call import model_error

    return model_error("ses", "InvalidPolicyException", message) if call.v1 else invalid(call, message)


def create_policy(call: Call) -> Record:
    """CreateEmailIdentityPolicy."""
    check_policy(call, call.params["Policy"])
    POLICIES.insert(call, POLICIES.key_of(call.params), {"Policy": call.params["Policy"]})
    return {}


def update_policy(call: Call) -> Record:
    """UpdateEmailIdentityPolicy."""
    check_policy(call, call.params["Policy"])
    key = POLICIES.key_of(call.params)
    POLICIES.replace(call, key, {**POLICIES.require(call, key), "Policy": call.params["Policy"]})
    return {}


def get_policies(call: Call) -> Record:
    """GetEmailIdentityPolicies."""
    key = (call.params["EmailIdentity"],)
    IDENTITIES.require(call, key)
    return {"Policies": {k[1]: r["Policy"] for k, r in POLICIES.records(call, key)}}


def associate_certificate(call: Call) -> Record:
    """AssociateEmailIdentityCertificate: an S/MIME certificate for the identity (or one address of it)."""
    name = call.params["EmailIdentity"]
    from_address = call.params.get("FromAddress") or name
    record = {"FromAddress": from_address, "CertificateArn": call.params["CertificateArn"]}
    CERTIFICATES.insert(call, (name, from_address), record)
    return {}


def disassociate_certificate(call: Call) -> Record:
    """DisassociateEmailIdentityCertificate."""
    name = call.params["EmailIdentity"]
    CERTIFICATES.drop(call, (name, call.params.get("FromAddress") or name))
    return {}


def _list_item(call: Call, key: Key, record: Record) -> Record:
    return {
        "IdentityType": record["IdentityType"],
        "IdentityName": key[0],
        "SendingEnabled": True,
        "VerificationStatus": verification_status(record, call.now),
    }


def _matches(call: Call, record: Record) -> bool:
    filters = call.params.get("Filter") or {}
    name = record.get("IdentityName", "")
    if "IDENTITY_NAME_CONTAINS" in filters and filters["IDENTITY_NAME_CONTAINS"] not in name:
        return False
    if "IDENTITY_TYPE" in filters and record["IdentityType"] != filters["IDENTITY_TYPE"]:
        return False
    wanted = filters.get("VERIFICATION_STATUS")
    return wanted is None or verification_status(record, call.now) == wanted


def _get(call: Call) -> Record:
    key = (call.params["EmailIdentity"],)
    answer = _view(call, key, IDENTITIES.require(call, key))
    answer["Tags"] = call.region.tags(IDENTITIES.arn_of(call, key))
    return answer


def _certificates(call: Call) -> Record:
    from sesflow.emulator.call import paged

    key = (call.params["EmailIdentity"],)
    IDENTITIES.require(call, key)
    items = [{**r, "Status": "ACTIVE"} for _, r in CERTIFICATES.records(call, key)]
    return paged(call, "Certificates", items)


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "CreateEmailIdentity"): create_email_identity,
    ("sesv2", "GetEmailIdentity"): _get,
    ("sesv2", "ListEmailIdentities"): list_op(IDENTITIES, "EmailIdentities", _list_item, _matches),
    ("sesv2", "DeleteEmailIdentity"): delete_op(IDENTITIES),
    ("sesv2", "PutEmailIdentityDkimAttributes"): put_dkim,
    ("sesv2", "PutEmailIdentityDkimSigningAttributes"): put_dkim_signing,
    ("sesv2", "PutEmailIdentityMailFromAttributes"): put_mail_from,
    ("sesv2", "PutEmailIdentityFeedbackAttributes"): put_feedback,
    ("sesv2", "PutEmailIdentityConfigurationSetAttributes"): put_configuration_set,
    ("sesv2", "CreateEmailIdentityPolicy"): create_policy,
    ("sesv2", "UpdateEmailIdentityPolicy"): update_policy,
    ("sesv2", "GetEmailIdentityPolicies"): get_policies,
    ("sesv2", "DeleteEmailIdentityPolicy"): delete_op(POLICIES),
    ("sesv2", "AssociateEmailIdentityCertificate"): associate_certificate,
    ("sesv2", "DisassociateEmailIdentityCertificate"): disassociate_certificate,
    ("sesv2", "ListEmailIdentityCertificates"): _certificates,
}
