"""One SES account in one region: its resource records (by table), tags, account settings, sending limits
and export jobs. ``Regions`` holds them all and makes a region's state on its first request, as SES has an
empty account waiting in every region.

Records are plain JSON-able dicts keyed by a tuple (``("news",)``, ``("list", "ann@x.org")``); every change
goes through ``save``/``remove`` so ``--data-dir`` mirrors it at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from sesflow.emulator.config import EmulatorConfig
from sesflow.emulator.jobs import ExportJob
from sesflow.emulator.limits import SendLimiter
from sesflow.emulator.persistence import Database
from sesflow.emulator.scope import Scope

Key = tuple[str, ...]
Record = dict[str, Any]
ACCOUNT_TABLE = "account"
TAGS_TABLE = "tags"


def default_settings(config: EmulatorConfig) -> Record:
    """A fresh account's settings, as SES gives a new account out of the sandbox.

    VDM starts disabled (as on SES) and the account suppression list covers bounces and complaints.
    """
    return {
        "SendingEnabled": True,
        "ProductionAccessEnabled": True,
        "EnforcementStatus": "HEALTHY",
        "DedicatedIpAutoWarmupEnabled": False,
        "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
        "VdmAttributes": {"VdmEnabled": "DISABLED"},
        "Dashboard": {"DashboardEnabled": False, "SubscribedDomains": []},
        "ActiveReceiptRuleSet": None,
    }


class Region:
    """The state of one (account, region)."""

    def __init__(self, scope: Scope, config: EmulatorConfig, db: Database | None) -> None:
        self.scope = scope
        self.account, self.name = scope
        self.config = config
        self.db = db
        self.tables: dict[str, dict[Key, Record]] = {}
        self.limiter = SendLimiter(config.max_send_rate, config.max_24h_send)
        self.jobs: dict[str, ExportJob] = {}
        self.last_export_create = 0.0
        self.tables[ACCOUNT_TABLE] = {(): default_settings(config)}

    # records ---------------------------------------------------------------------------------------

    def table(self, name: str) -> dict[Key, Record]:
        """The records of one table (created empty on first use)."""
        found = self.tables.get(name)
        if found is None:
            found = self.tables[name] = {}
        return found

    def get(self, table: str, key: Key) -> Record | None:
        """One record, or None."""
        return self.table(table).get(key)

    def save(self, table: str, key: Key, record: Record) -> None:
        """Store (or replace) a record, and write it to the data directory."""
        self.table(table)[key] = record
        if self.db is not None:
            self.db.save_record(self.account, self.name, table, orjson.dumps(list(key)).decode(), record)

    def remove(self, table: str, key: Key) -> Record | None:
        """Delete a record; returns it (None when there was none)."""
        record = self.table(table).pop(key, None)
        if record is not None and self.db is not None:
            self.db.delete_record(self.account, self.name, table, orjson.dumps(list(key)).decode())
        return record

    def restore(self, table: str, key: str, record: Record) -> None:
        """Put back a record read from the data directory (settings added since keep their defaults)."""
        if table == ACCOUNT_TABLE:
            record = {**default_settings(self.config), **record}
        self.table(table)[tuple(orjson.loads(key))] = record

    # account settings and tags -----------------------------------------------------------------------

    @property
    def settings(self) -> Record:
        """The account's settings in this region (GetAccount, PutAccount*, the active rule set, ...)."""
        return self.table(ACCOUNT_TABLE)[()]

    def update_settings(self, **changes: Any) -> None:
        """Change account settings (None removes a key)."""
        settings = dict(self.settings)
        for name, value in changes.items():
            if value is None:
                settings.pop(name, None)
            else:
                settings[name] = value
        self.save(ACCOUNT_TABLE, (), settings)

    def arn(self, resource: str) -> str:
        """The ARN of a resource of this account and region (``identity/example.com``)."""
        return f"arn:aws:ses:{self.name}:{self.account}:{resource}"

    def tags(self, arn: str) -> list[dict[str, str]]:
        """The tags on a resource."""
        record = self.get(TAGS_TABLE, (arn,))
        return list(record["Tags"]) if record else []

    def set_tags(self, arn: str, tags: list[dict[str, str]]) -> None:
        """Replace the tags on a resource (an empty list removes them)."""
        if tags:
            self.save(TAGS_TABLE, (arn,), {"Tags": tags})
        else:
            self.remove(TAGS_TABLE, (arn,))

    @property
    def vdm_enabled(self) -> bool:
        """True when Virtual Deliverability Manager is enabled on the account."""
        return bool(self.settings.get("VdmAttributes", {}).get("VdmEnabled") == "ENABLED")

    def save_job(self, job: ExportJob) -> None:
        """Store (or update) an export job."""
        self.jobs[job.job_id] = job
        if self.db is not None:
            self.db.save_job(job)


class Regions:
    """Every (account, region) the emulator has seen, made on first use."""

    def __init__(self, config: EmulatorConfig, db: Database | None = None) -> None:
        self.config = config
        self.db = db
        self._regions: dict[Scope, Region] = {}

    def get(self, scope: Scope) -> Region:
        """The state of ``scope`` (a fresh account when it is new)."""
        region = self._regions.get(scope)
        if region is None:
            region = self._regions[scope] = Region(scope, self.config, self.db)
        return region

    def __iter__(self) -> Iterator[Region]:
        return iter(list(self._regions.values()))

    def find_job(self, job_id: str) -> ExportJob | None:
        """An export job of any region by its id (download URLs carry only the id)."""
        for region in self._regions.values():
            job = region.jobs.get(job_id)
            if job is not None:
                return job
        return None

    def restore(self, records: list[tuple[str, str, str, str, Any]], jobs: list[ExportJob]) -> None:
        """Put back the records and jobs read from the data directory."""
        for account, name, table, key, record in records:
            self.get(Scope(account, name)).restore(table, key, record)
        for job in jobs:
            self.get(Scope(job.account, job.region)).jobs[job.job_id] = job
