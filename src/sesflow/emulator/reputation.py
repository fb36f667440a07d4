"""VDM recommendations and reputation entities.

Recommendations are worked out from the account's identities when VDM is enabled (a domain without DKIM
signing that succeeded: DKIM, HIGH; a domain without a custom MAIL FROM domain: SPF, LOW); one that no
longer applies turns FIXED. Reputation entities are the account's email identities and configuration sets,
each with SES's status and the customer's own status and policy.
"""

from __future__ import annotations

from sesflow.emulator.call import Call, Handler, invalid, not_found, paged
from sesflow.emulator.region import Record
from sesflow.emulator.sending import CONFIGURATION_SETS
from sesflow.emulator.verification import IDENTITIES, dkim_status

RECOMMENDATIONS = "recommendations"
ENTITIES = "reputation_entities"
DEFAULT_POLICY = "arn:aws:ses:{region}:aws:reputation-policy/standard"


def _conditions(call: Call) -> dict[tuple[str, str], tuple[str, str]]:
    """(resource ARN, type) -> (impact, description) of every recommendation that applies now."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for (name,), record in call.region.table(IDENTITIES).items():
        if record.get("IdentityType") != "DOMAIN":
            continue
        arn = call.region.arn(f"identity/{name}")
        if not record.get("SigningEnabled") or dkim_status(record, call.now) != "SUCCESS":
            found[(arn, "DKIM")] = ("HIGH", f"DKIM signing is not set up for {name}: enable Easy DKIM.")
        if not record.get("MailFromDomain"):
            found[(arn, "SPF")] = ("LOW", f"{name} has no custom MAIL FROM domain, so SPF does not align.")
    return found


def list_recommendations(call: Call) -> Record:
    """ListRecommendations (empty while VDM is disabled), filtered by type, impact, status or resource."""
    if not call.region.vdm_enabled:
        return {"Recommendations": []}
    current = _conditions(call)
    table = call.region.table(RECOMMENDATIONS)
    for key, (impact, description) in current.items():
        record = table.get(key)
        if record is None or record["Status"] == "FIXED":
            opened = {
                "ResourceArn": key[0],
                "Type": key[1],
                "Impact": impact,
                "Description": description,
                "Status": "OPEN",
                "CreatedTimestamp": call.now,
                "LastUpdatedTimestamp": call.now,
            }
            call.region.save(RECOMMENDATIONS, key, opened)
    for stored, record in list(table.items()):
        if stored not in current and record["Status"] == "OPEN":
            fixed = {**record, "Status": "FIXED", "LastUpdatedTimestamp": call.now}
            call.region.save(RECOMMENDATIONS, stored, fixed)
    wanted = call.params.get("Filter") or {}
    fields = {"TYPE": "Type", "IMPACT": "Impact", "STATUS": "Status", "RESOURCE_ARN": "ResourceArn"}
    items = [
        r
        for _, r in sorted(table.items())
        if all(r.get(fields[name]) == value for name, value in wanted.items())
    ]
    return paged(call, "Recommendations", items)


def _entity_refs(call: Call) -> list[str]:
    refs = [call.region.arn(f"identity/{k[0]}") for k in call.region.table(IDENTITIES)]
    refs += [call.region.arn(f"configuration-set/{k[0]}") for k in call.region.table(CONFIGURATION_SETS)]
    return sorted(refs)


def _entity(call: Call, reference: str) -> Record:
    if reference not in _entity_refs(call):
        raise not_found(call, f"Reputation entity {reference} does not exist.")
    own = call.region.get(ENTITIES, (reference,)) or {}
    customer = own.get("CustomerManagedStatus", {"Status": "ENABLED"})
    ses = {"Status": "ENABLED"}
    aggregate = "DISABLED" if "DISABLED" in (customer["Status"], ses["Status"]) else "ENABLED"
    return {
        "ReputationEntityReference": reference,
        "ReputationEntityType": "RESOURCE",
        "ReputationManagementPolicy": own.get("Policy", DEFAULT_POLICY.format(region=call.region.name)),
        "CustomerManagedStatus": customer,
        "AwsSesManagedStatus": ses,
        "SendingStatusAggregate": aggregate,
        "ReputationImpact": "LOW",
    }


def get_entity(call: Call) -> Record:
    """GetReputationEntity."""
    return {"ReputationEntity": _entity(call, call.params["ReputationEntityReference"])}


def list_entities(call: Call) -> Record:
    """ListReputationEntities (filters: type, impact, sending status, reference prefix)."""
    wanted = call.params.get("Filter") or {}
    items = []
    for reference in _entity_refs(call):
        entity = _entity(call, reference)
        if wanted.get("ENTITY_TYPE") not in (None, entity["ReputationEntityType"]):
            continue
        if wanted.get("REPUTATION_IMPACT") not in (None, entity["ReputationImpact"]):
            continue
        if wanted.get("SENDING_STATUS") not in (None, entity["SendingStatusAggregate"]):
            continue
        if not reference.startswith(wanted.get("ENTITY_REFERENCE_PREFIX", "")):
            continue
        items.append(entity)
    return paged(call, "ReputationEntities", items)


def _update(call: Call, **changes: object) -> None:
    reference = call.params["ReputationEntityReference"]
    _entity(call, reference)
    own = dict(call.region.get(ENTITIES, (reference,)) or {})
    own.update(changes)
    call.region.save(ENTITIES, (reference,), own)


def update_status(call: Call) -> Record:
    """UpdateReputationEntityCustomerManagedStatus."""
    status = {"Status": call.params["SendingStatus"], "LastUpdatedTimestamp": call.now}
    _update(call, CustomerManagedStatus=status)
    return {}


def update_policy(call: Call) -> Record:
    """UpdateReputationEntityPolicy: the policy is an ARN."""
    policy = call.params["ReputationEntityPolicy"]
    if not policy.startswith("arn:"):
        raise invalid(call, f"ReputationEntityPolicy must be an ARN, got {policy!r}.")
    _update(call, Policy=policy)
    return {}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "ListRecommendations"): list_recommendations,
    ("sesv2", "GetReputationEntity"): get_entity,
    ("sesv2", "ListReputationEntities"): list_entities,
    ("sesv2", "UpdateReputationEntityCustomerManagedStatus"): update_status,
    ("sesv2", "UpdateReputationEntityPolicy"): update_policy,
}
