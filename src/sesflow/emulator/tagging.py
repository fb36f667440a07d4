"""TagResource, UntagResource and ListTagsForResource on every taggable ARN: the ARN's resource type names
the table (``configuration-set/news`` -> configuration sets), and the resource must exist in the caller's
account and region.
"""

from __future__ import annotations

from sesflow.emulator.call import Call, Handler, invalid, not_found
from sesflow.emulator.region import Record
from sesflow.emulator.tables import Table, check_tags, tables


def _table_for(resource_type: str) -> Table | None:
    for table in tables():
        if table.arn is not None and table.arn.split("/")[0] == resource_type:
            return table
    return None


def resource(call: Call) -> tuple[Table, tuple[str, ...], str]:
    """(table, key, ARN) of the request's ResourceArn; NotFound when no such resource exists here."""
    arn = call.params["ResourceArn"]
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "ses":
        raise invalid(call, f"Invalid ARN <{arn}>.")
    _, _, _, region, account, rest = parts
    resource_type, _, name = rest.partition("/")
    table = _table_for(resource_type)
    if table is None or not name:
        raise invalid(call, f"Resources of type {resource_type!r} cannot be tagged.")
    if (account, region) != call.region.scope:
        raise not_found(call, f"Resource {arn} does not exist in this account and region.")
    key = tuple(name.split("/")[: len(table.keys)])  # a tenant's ARN ends in /{TenantId}
    if len(key) != len(table.keys) or table.find(call, key) is None:
        raise not_found(call, f"Resource {arn} does not exist.")
    return table, key, table.arn_of(call, key)


def tag_resource(call: Call) -> Record:
    """TagResource: add tags (a key already there gets the new value)."""
    _, _, arn = resource(call)
    call.region.set_tags(arn, check_tags(call, call.region.tags(arn) + list(call.params["Tags"])))
    return {}


def untag_resource(call: Call) -> Record:
    """UntagResource: remove the named keys."""
    _, _, arn = resource(call)
    removed = set(call.params["TagKeys"])
    call.region.set_tags(arn, [t for t in call.region.tags(arn) if t["Key"] not in removed])
    return {}


def list_tags(call: Call) -> Record:
    """ListTagsForResource."""
    _, _, arn = resource(call)
    return {"Tags": call.region.tags(arn)}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "TagResource"): tag_resource,
    ("sesv2", "UntagResource"): untag_resource,
    ("sesv2", "ListTagsForResource"): list_tags,
}
