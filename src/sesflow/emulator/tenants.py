"""Tenants (with their resource associations and suppression settings) and multi-region endpoints.

A send naming a tenant needs the tenant to exist and be enabled; a send naming an endpoint needs the
endpoint (``sends.check_routing``). An endpoint is CREATING for ``--export-delay`` seconds, then READY.
"""

from __future__ import annotations

import hashlib

from sesflow.emulator.call import Call, Handler, already_exists, invalid, paged
from sesflow.emulator.region import Record
from sesflow.emulator.scope import valid_region
from sesflow.emulator.tables import Table, delete_op
from sesflow.emulator.tagging import resource

TENANTS = Table("tenants", ("TenantName",), "Tenant", arn="tenant/{TenantName}", quota=10_000)
ASSOCIATIONS = Table("tenant_resources", ("TenantName", "ResourceArn"), "Association", parent=TENANTS)
ENDPOINTS = Table(
    "multi_region_endpoints", ("EndpointName",), "Endpoint", arn="multi-region-endpoint/{EndpointName}"
)
_RESOURCE_TYPES = {
    "identity": "EMAIL_IDENTITY",
    "configuration-set": "CONFIGURATION_SET",
    "template": "EMAIL_TEMPLATE",
}


def _tenant_view(call: Call, record: Record) -> Record:
    fields = (
        "TenantName",
        "TenantId",
        "TenantArn",
        "CreatedTimestamp",
        "SendingStatus",
        "SuppressionAttributes",
    )
    shown = {k: record[k] for k in fields if k in record}
    shown["Tags"] = call.region.tags(TENANTS.arn_of(call, (record["TenantName"],)))
    return shown


def create_tenant(call: Call) -> Record:
    """CreateTenant."""
    name = call.params["TenantName"]
    tenant_id = "tn-" + hashlib.sha256(f"{call.region.scope}/{name}/{call.now}".encode()).hexdigest()[:24]
    record = {
        "TenantName": name,
        "TenantId": tenant_id,
        "TenantArn": call.region.arn(f"tenant/{name}/{tenant_id}"),
        "SendingStatus": "ENABLED",
        "SuppressionAttributes": call.params.get("SuppressionAttributes")
        or {"SuppressedReasons": [], "SuppressionScope": "ACCOUNT"},
    }
    return _tenant_view(call, TENANTS.insert(call, (name,), record, call.params.get("Tags")))


def get_tenant(call: Call) -> Record:
    """GetTenant."""
    return {"Tenant": _tenant_view(call, TENANTS.require(call, (call.params["TenantName"],)))}


def list_tenants(call: Call) -> Record:
    """ListTenants (filters: name contains, sending status)."""
    wanted = call.params.get("Filter") or {}
    items = []
    for _, record in TENANTS.records(call):
        if wanted.get("TENANT_NAME_CONTAINS", "") not in record["TenantName"]:
            continue
        if wanted.get("SENDING_STATUS") not in (None, record["SendingStatus"]):
            continue
        items.append(
            {
                k: record[k]
                for k in ("TenantName", "TenantId", "TenantArn", "CreatedTimestamp", "SendingStatus")
            }
        )
    return paged(call, "Tenants", items)


def delete_tenant(call: Call) -> Record:
    """DeleteTenant (its associations go with it)."""
    TENANTS.drop(call, (call.params["TenantName"],))
    return {}


def put_suppression(call: Call) -> Record:
    """PutTenantSuppressionAttributes."""
    key = (call.params["TenantName"],)
    record = TENANTS.require(call, key)
    attributes = {k: v for k, v in call.params.items() if k != "TenantName"}
    TENANTS.replace(call, key, {**record, "SuppressionAttributes": attributes})
    return {}


def associate(call: Call) -> Record:
    """CreateTenantResourceAssociation: an identity, configuration set or template of the account."""
    TENANTS.require(call, (call.params["TenantName"],))
    table, _, arn = resource(call)
    kind = _RESOURCE_TYPES.get(table.arn.split("/")[0] if table.arn else "")
    if kind is None:
        raise invalid(call, f"Resource {arn} cannot be associated with a tenant.")
    key = (call.params["TenantName"], arn)
    if ASSOCIATIONS.find(call, key) is not None:
        raise already_exists(call, f"Resource {arn} is already associated with tenant {key[0]}.")
    ASSOCIATIONS.insert(call, key, {"ResourceArn": arn, "ResourceType": kind})
    return {}


def list_tenant_resources(call: Call) -> Record:
    """ListTenantResources (filter: resource type)."""
    TENANTS.require(call, (call.params["TenantName"],))
    kind = (call.params.get("Filter") or {}).get("RESOURCE_TYPE")
    items = [
        {"ResourceType": r["ResourceType"], "ResourceArn": r["ResourceArn"]}
        for _, r in ASSOCIATIONS.records(call, (call.params["TenantName"],))
        if kind in (None, r["ResourceType"])
    ]
    return paged(call, "TenantResources", items)


def list_resource_tenants(call: Call) -> Record:
    """ListResourceTenants: the tenants a resource is associated with."""
    arn = call.params["ResourceArn"]
    items = []
    for key, record in ASSOCIATIONS.records(call):
        if key[1] == arn:
            tenant = TENANTS.require(call, (key[0],))
            items.append({"TenantName": key[0], "TenantId": tenant["TenantId"], "ResourceArn": arn,
                          "AssociatedTimestamp": record["CreatedTimestamp"]})  # fmt: skip
    return paged(call, "ResourceTenants", items)


# --- multi-region endpoints ---------------------------------------------------------------------------


def _status(call: Call, record: Record) -> str:
    return "READY" if call.now >= record["CreatedTimestamp"] + call.state.config.export_delay else "CREATING"


def create_endpoint(call: Call) -> Record:
    """CreateMultiRegionEndpoint: this region plus one secondary region."""
    routes = call.params["Details"]["RoutesDetails"]
    regions = [r["Region"] for r in routes]
    if len(regions) != 1 or not valid_region(regions[0]) or regions[0] == call.region.name:
        raise invalid(call, "RoutesDetails must name one secondary region other than this one.")
    name = call.params["EndpointName"]
    digest = hashlib.sha256(f"{call.region.scope}/{name}/{call.now}".encode()).hexdigest()
    record = {"EndpointName": name, "EndpointId": f"{digest[:8]}.{digest[8:11]}",
              "Regions": [call.region.name, regions[0]]}  # fmt: skip
    stored = ENDPOINTS.insert(call, (name,), record, call.params.get("Tags"))
    return {"Status": _status(call, stored), "EndpointId": stored["EndpointId"]}


def _endpoint_view(call: Call, record: Record) -> Record:
    return {
        "EndpointName": record["EndpointName"],
        "EndpointId": record["EndpointId"],
        "Status": _status(call, record),
        "CreatedTimestamp": record["CreatedTimestamp"],
        "LastUpdatedTimestamp": record["LastUpdatedTimestamp"],
    }


def get_endpoint(call: Call) -> Record:
    """GetMultiRegionEndpoint."""
    record = ENDPOINTS.require(call, (call.params["EndpointName"],))
    return {**_endpoint_view(call, record), "Routes": [{"Region": r} for r in record["Regions"]]}


def list_endpoints(call: Call) -> Record:
    """ListMultiRegionEndpoints."""
    items = [{**_endpoint_view(call, r), "Regions": r["Regions"]} for _, r in ENDPOINTS.records(call)]
    return paged(call, "MultiRegionEndpoints", items)


def delete_endpoint(call: Call) -> Record:
    """DeleteMultiRegionEndpoint."""
    ENDPOINTS.drop(call, (call.params["EndpointName"],))
    return {"Status": "DELETING"}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "CreateTenant"): create_tenant,
    ("sesv2", "GetTenant"): get_tenant,
    ("sesv2", "ListTenants"): list_tenants,
    ("sesv2", "DeleteTenant"): delete_tenant,
    ("sesv2", "PutTenantSuppressionAttributes"): put_suppression,
    ("sesv2", "CreateTenantResourceAssociation"): associate,
    ("sesv2", "DeleteTenantResourceAssociation"): delete_op(ASSOCIATIONS),
    ("sesv2", "ListTenantResources"): list_tenant_resources,
    ("sesv2", "ListResourceTenants"): list_resource_tenants,
    ("sesv2", "CreateMultiRegionEndpoint"): create_endpoint,
    ("sesv2", "GetMultiRegionEndpoint"): get_endpoint,
    ("sesv2", "ListMultiRegionEndpoints"): list_endpoints,
    ("sesv2", "DeleteMultiRegionEndpoint"): delete_endpoint,
}
