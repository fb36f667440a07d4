"""Resource tables: one declaration per SES resource type (its key, label, ARN, quota, parent and v1 error
names) gives plain create/get/list/update/put/delete handlers and tagging, over the region's records.

A table is declared once (``CONTACT_LISTS = Table("contact_lists", ("ContactListName",), "List", ...)``) and
its operations are bound in the family module (``("sesv2", "GetContactList"): get_op(CONTACT_LISTS)``).
Behaviour beyond storing and returning (verification, rendering, sending) is written by hand on top, with
the same ``Table`` methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sesflow.emulator.call import Call, Handler, already_exists, invalid, limit_exceeded, not_found, paged
from sesflow.emulator.region import Key, Record

_TABLES: list[Table] = []
MAX_TAGS = 50


@dataclass(frozen=True, slots=True)
class Table:
    """One resource type: where its records live and how SES names and limits it."""

    name: str
    keys: tuple[str, ...]
    label: str
    arn: str | None = None  # ARN resource part, e.g. "contact-list/{ContactListName}": taggable
    quota: int | None = None  # most records per account and region (per parent for a child table)
    parent: Table | None = None
    v1_missing: str | None = None  # v1 error shape for a missing record
    v1_exists: str = "AlreadyExistsException"
    fold_case: bool = False  # the last key part is compared case-insensitively (email addresses)

    def __post_init__(self) -> None:
        _TABLES.append(self)

    def key_of(self, params: dict[str, Any]) -> Key:
        """The record key named by a request's parameters."""
        key = tuple(str(params[k]) for k in self.keys)
        return (*key[:-1], key[-1].lower()) if self.fold_case else key

    def describe(self, key: Key) -> str:
        """``List news`` / ``Contact ann@x.org`` for messages."""
        return f"{self.label} {key[-1]}"

    def find(self, call: Call, key: Key) -> Record | None:
        """The record, or None."""
        return call.region.get(self.name, key)

    def require(self, call: Call, key: Key) -> Record:
        """The record, or the API's not-found error."""
        record = self.find(call, key)
        if record is None:
            if self.parent is not None:
                self.parent.require(call, key[: len(self.parent.keys)])
            raise not_found(call, f"{self.describe(key)} does not exist.", self.v1_missing)
        return record

    def records(self, call: Call, parent: Key = ()) -> list[tuple[Key, Record]]:
        """The records (under ``parent`` for a child table), in key order."""
        rows = list(call.region.table(self.name).items())
        if parent:
            rows = [(k, r) for k, r in rows if k[: len(parent)] == parent]
        return sorted(rows, key=lambda row: row[0])

    def arn_of(self, call: Call, key: Key) -> str:
        """The resource's ARN (tables without an ARN form have none)."""
        assert self.arn is not None
        return call.region.arn(self.arn.format(**dict(zip(self.keys, key, strict=True))))

    def insert(
        self, call: Call, key: Key, record: Record, tags: list[dict[str, str]] | None = None
    ) -> Record:
        """Create a record: the parent must exist, the key must be new, the quota must allow it."""
        parent = key[: len(self.parent.keys)] if self.parent is not None else ()
        if self.parent is not None:
            self.parent.require(call, parent)
        if self.find(call, key) is not None:
            raise already_exists(call, f"{self.describe(key)} already exists.", self.v1_exists)
        if self.quota is not None and len(self.records(call, parent)) >= self.quota:
            raise limit_exceeded(
                call, f"You have reached the limit of {self.quota} {self.label.lower()} resources."
            )
        stored = {**record, "CreatedTimestamp": call.now, "LastUpdatedTimestamp": call.now}
        call.region.save(self.name, key, stored)
        if tags and self.arn is not None:
            call.region.set_tags(self.arn_of(call, key), check_tags(call, tags))
        return stored

    def replace(self, call: Call, key: Key, record: Record) -> Record:
        """Store a changed record (its LastUpdatedTimestamp moves to now)."""
        stored = {**record, "LastUpdatedTimestamp": call.now}
        call.region.save(self.name, key, stored)
        return stored

    def drop(self, call: Call, key: Key) -> Record:
        """Delete a record with its children and tags (the record must exist)."""
        record = self.require(call, key)
        for child in _TABLES:
            if child.parent is self:
                for child_key, _ in child.records(call, key):
                    child.drop(call, child_key)
        call.region.remove(self.name, key)
        if self.arn is not None:
            call.region.set_tags(self.arn_of(call, key), [])
        return record


def check_tags(call: Call, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """Resource tags as SES takes them: at most 50, keys unique (a later value wins when tagging)."""
    merged: dict[str, str] = {}
    for tag in tags:
        merged[tag["Key"]] = tag.get("Value", "")
    if len(merged) > MAX_TAGS:
        raise invalid(call, f"A resource can have at most {MAX_TAGS} tags.")
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def tables() -> list[Table]:
    """Every declared table."""
    return list(_TABLES)


# --- generic handlers -----------------------------------------------------------------------------

View = Callable[[Call, Key, Record], Record]
Check = Callable[[Call, Record], None]


def _fields(table: Table, params: dict[str, Any], *extra: str) -> Record:
    return {k: v for k, v in params.items() if k not in ("Tags", *extra)}


def create_op(table: Table, check: Check | None = None, answer: View | None = None) -> Handler:
    """Create a record from the request's members (tags go to the resource's ARN)."""

    def handler(call: Call) -> Record | None:
        record = _fields(table, call.params)
        if check is not None:
            check(call, record)
        key = table.key_of(call.params)
        stored = table.insert(call, key, record, call.params.get("Tags"))
        return answer(call, key, stored) if answer is not None else {}

    return handler


def get_op(table: Table, view: View | None = None, wrap: str | None = None) -> Handler:
    """Return a record (through ``view``), with its tags when taggable, wrapped in ``wrap`` if given."""

    def handler(call: Call) -> Record | None:
        key = table.key_of(call.params)
        record = table.require(call, key)
        shown = view(call, key, record) if view is not None else dict(record)
        if table.arn is not None:
            shown.setdefault("Tags", call.region.tags(table.arn_of(call, key)))
        return {wrap: shown} if wrap else shown

    return handler


def list_op(
    table: Table,
    member: str,
    item: View | None = None,
    where: Callable[[Call, Record], bool] | None = None,
    default_size: int = 100,
) -> Handler:
    """List records (of the parent named in the request, for a child table), paged."""

    def handler(call: Call) -> Record | None:
        parent: Key = ()
        if table.parent is not None:
            parent = table.parent.key_of(call.params)
            table.parent.require(call, parent)
        rows = [
            item(call, key, record) if item is not None else record
            for key, record in table.records(call, parent)
            if where is None or where(call, record)
        ]
        return paged(call, member, rows, default_size)

    return handler


def update_op(table: Table, check: Check | None = None) -> Handler:
    """Replace a record's members with the request's (the key stays)."""

    def handler(call: Call) -> Record | None:
        key = table.key_of(call.params)
        record = {**table.require(call, key), **_fields(table, call.params)}
        if check is not None:
            check(call, record)
        table.replace(call, key, record)
        return {}

    return handler


def put_op(table: Table, into: str | None = None) -> Handler:
    """Set one sub-document of a record (``PutConfigurationSetSendingOptions`` -> ``SendingOptions``) to the
    request's members other than the key; ``into`` None merges them into the record itself."""

    def handler(call: Call) -> Record | None:
        key = table.key_of(call.params)
        record = dict(table.require(call, key))
        values = {k: v for k, v in call.params.items() if k not in table.keys}
        if into is None:
            record.update(values)
        else:
            record[into] = values
        table.replace(call, key, record)
        return {}

    return handler


def delete_op(table: Table, missing_ok: bool = False) -> Handler:
    """Delete a record (``missing_ok``: succeed silently when it is absent, as several v1 calls do)."""

    def handler(call: Call) -> Record | None:
        key = table.key_of(call.params)
        if missing_ok and table.find(call, key) is None:
            return {}
        table.drop(call, key)
        return {}

    return handler
