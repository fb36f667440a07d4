"""``Campaign``: the Python face of campaigns — what ``sesflow campaign ...`` calls.

::

    from sesflow.campaign import Campaign

    campaign = Campaign.from_file("november.yaml")          # or Campaign(spec, recipients=rows_iterable)
    summary = campaign.send()                                # validate, load into the ledger, send
    campaign.status()                                        # counts per state, rate, ETA
    campaign.reconcile()                                     # settle unknown rows from SES's exports
    Campaign.open("november-news", base_dir=".").resume()   # by name, from the ledger alone

A campaign opened by name needs no campaign file: its content and last settings are in the ledger.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import EllipsisType
from typing import Any

from sesflow.campaign.content import CampaignContent, resolve_content
from sesflow.campaign.exports import ExportRunner
from sesflow.campaign.ledger import CampaignRecord, LedgerLocation, LedgerSession, resolve_ledger
from sesflow.campaign.loading import Loaded, Validation, load_campaign
from sesflow.campaign.outcomes import Published, publish
from sesflow.campaign.recipients import IterableRecipients, RecipientSource, open_recipients
from sesflow.campaign.reconcile import ReconcileSummary, reconcile_rows
from sesflow.campaign.runner import Progress, Runner, RunSummary
from sesflow.campaign.ses import SesAccess, ses_access
from sesflow.campaign.spec import CampaignSpec, load_spec, parse_duration, parse_spec
from sesflow.campaign.status import CampaignStatus, read_status
from sesflow.campaign.suppression import Suppressed, account_suppressed, synced_suppressed
from sesflow.campaign.target import SyncTarget, resolve_target
from sesflow.errors import ConfigError, SesflowError
from sesflow.send import RateLimiter, RetryPolicy, Transport

ProgressCallback = Callable[[Progress], None]


class Campaign:
    """One campaign: its content and recipients (or, opened by name, its ledger rows), and where its ledger
    lives.

    ``recipients`` (an iterable of mappings) replaces the file's ``recipients:``. ``ledger`` replaces the
    file's ``ledger:`` (a path, a ``postgresql://`` URL or a postgres connection name). ``endpoint_url`` and
    ``region`` replace ``ses:``'s. ``transport`` sends through a transport you built (not closed here).
    ``rate`` replaces the file's: recipients per second, ``"auto"`` (the account's maximum; the default) or
    None (no limit). ``redis_url`` (default: the ``SESFLOW_REDIS_URL`` environment variable) shares the rate
    with every process using that Redis, as the Mailer does; it is never stored in the ledger. ``limiter``
    replaces all that with a limiter you built.
    """

    def __init__(
        self,
        spec: CampaignSpec | Mapping[str, Any] | None,
        *,
        recipients: Iterable[Mapping[str, Any]] | None = None,
        base_dir: str | Path = ".",
        ledger: str | None = None,
        ledger_schema: str | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        transport: Transport | None = None,
        limiter: RateLimiter | None = None,
        redis_url: str | None = None,
        redis_key: str | None = None,
        retry: RetryPolicy | None = None,
        rate: float | str | EllipsisType | None = ...,
        connections: int | None = None,
        settle: str | float | None = None,
        _record: CampaignRecord | None = None,
        _location: LedgerLocation | None = None,
    ) -> None:
        self._base = Path(base_dir).resolve()
        self._spec = spec if isinstance(spec, CampaignSpec) or spec is None else parse_spec(spec)
        self._rows = recipients
        self._record = _record
        stored = json.loads(_record.settings) if _record is not None else {}
        spec_ses = self._spec.ses.model_dump() if self._spec is not None else stored.get("ses", {})
        self._settings: dict[str, Any] = {
            "rate": rate
            if rate is not ...
            else (self._spec.rate if self._spec else stored.get("rate", "auto")),
            "connections": connections
            or (self._spec.connections if self._spec else stored.get("connections", 10)),
            "ses": {
                **spec_ses,
                **({"endpoint_url": endpoint_url} if endpoint_url else {}),
                **({"region": region} if region else {}),
            },
            "sync": (
                self._spec.sync.model_dump(by_alias=True)
                if self._spec and self._spec.sync
                else stored.get("sync")
            ),
            "settle": settle
            if settle is not None
            else (self._spec.settle if self._spec else stored.get("settle", "1h")),
        }
        parse_duration(self._settings["settle"], "settle")
        if self._settings["rate"] is not None and self._settings["rate"] != "auto":
            self._settings["rate"] = float(self._settings["rate"])
        self._location = _location or resolve_ledger(
            ledger if ledger is not None else (self._spec.ledger if self._spec else None),
            self._base,
            ledger_schema or (self._spec.ledger_schema if self._spec else None),
        )
        self._transport = transport
        self._limiter = limiter
        self._redis = (redis_url, redis_key)
        self._retry = retry
        self._content: CampaignContent | None = (
            CampaignContent.from_json(_record.content) if _record is not None else None
        )

    # -- construction --------------------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> Campaign:
        """The campaign a file describes (paths in it are relative to it; its ledger defaults beside it)."""
        file = Path(path)
        return cls(load_spec(file), base_dir=file.resolve().parent, **options)

    @classmethod
    def open(
        cls,
        name: str,
        *,
        ledger: str | None = None,
        ledger_schema: str | None = None,
        base_dir: str | Path = ".",
        **options: Any,
    ) -> Campaign:
        """The campaign called ``name`` in the ledger (default: the SQLite ledger in ``base_dir``)."""
        location = resolve_ledger(ledger, Path(base_dir).resolve(), ledger_schema)
        if location.kind == "sqlite" and location.target != ":memory:" and not Path(location.target).exists():
            raise ConfigError(
                f"no campaign ledger at {location.label}",
                hint="Run the command in the folder of the campaign file, or pass --ledger.",
            )
        session = location.open()
        try:
            session.ensure_schema()
            record = session.latest_campaign(name)
        finally:
            session.close()
        if record is None:
            raise ConfigError(
                f"no campaign named {name} in the ledger {location.label}",
                hint="Check the name (`sesflow campaign status` lists them), or pass --ledger.",
            )
        return cls(None, base_dir=base_dir, _record=record, _location=location, **options)

    # -- properties ----------------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The campaign's name (its EmailTag ``campaign``)."""
        if self._spec is not None:
            return self._spec.name
        assert self._record is not None
        return self._record.name

    @property
    def ledger(self) -> LedgerLocation:
        """Where the ledger lives."""
        return self._location

    @property
    def settle(self) -> float:
        """Seconds after an attempt before reconcile may declare an unknown row unsent."""
        return parse_duration(self._settings["settle"], "settle")

    def _access(self) -> SesAccess:
        ses = self._settings["ses"]
        return ses_access(
            ses.get("connection"), ses.get("region"), ses.get("endpoint_url"), ses.get("api", "v2")
        )

    def _target(self) -> SyncTarget | None:
        sync = self._settings.get("sync")
        if not sync:
            return None
        return resolve_target(sync["target"], sync.get("schema", "ses"), self._base)

    def _session(self) -> LedgerSession:
        session = self._location.open()
        try:
            session.ensure_schema()
        except BaseException:
            session.close()
            raise
        return session

    # -- validation and loading ----------------------------------------------------------------------------

    def _source(self) -> RecipientSource:
        if self._rows is not None:
            return IterableRecipients(self._rows)
        if self._spec is None or self._spec.recipients is None:
            raise ConfigError(
                f"campaign {self.name} has no recipients",
                hint="Give recipients: in the campaign file, or recipients= to Campaign().",
            )
        return open_recipients(self._spec.recipients, self._base)

    def _suppressed(self, check_ses: bool) -> Suppressed:
        suppressed = Suppressed()
        if check_ses:
            account_suppressed(self._access().client(), suppressed)
        target = self._target()
        if target is not None:
            synced_suppressed(target, suppressed)
        return suppressed

    def _load(
        self,
        session: LedgerSession,
        *,
        new: bool,
        skip_invalid: bool,
        dry_run: bool,
        previews: int,
        previews_dir: Path | None,
        check_suppression: bool,
    ) -> Loaded:
        if self._spec is None:
            raise ConfigError(f"campaign {self.name} was opened by name: resume it, or send its file")
        content = resolve_content(self._spec, self._base)
        self._content = content
        return load_campaign(
            session,
            content,
            self._source(),
            settings=json.dumps(self._settings),
            suppressed=self._suppressed(check_suppression),
            skip_invalid=skip_invalid,
            new=new,
            dry_run=dry_run,
            previews=previews,
            previews_dir=previews_dir,
        )

    def validate(
        self, *, previews: int = 0, previews_dir: str | Path | None = None, check_suppression: bool = True
    ) -> Validation:
        """Render every row and report the problems; write ``previews`` messages to ``previews_dir``.
        Nothing is sent and the ledger is left as it was."""
        from sesflow.campaign.ledger.sqlite import SqliteSession

        session = SqliteSession(":memory:")  # a dry run touches no real ledger
        try:
            session.ensure_schema()
            folder = Path(previews_dir) if previews_dir else self._base / f"{self.name}-previews"
            loaded = self._load(
                session,
                new=False,
                skip_invalid=True,
                dry_run=True,
                previews=previews,
                previews_dir=folder,
                check_suppression=check_suppression,
            )
        finally:
            session.close()
        return loaded.validation

    # -- sending -------------------------------------------------------------------------------------------

    def send(
        self,
        *,
        new: bool = False,
        skip_invalid: bool = False,
        check_suppression: bool = True,
        on_progress: ProgressCallback | None = None,
        on_validated: Callable[[Validation], None] | None = None,
        stop: threading.Event | None = None,
    ) -> RunSummary:
        """Validate every row, load the campaign into the ledger, and send it.

        Sending an existing campaign again with the same content continues it (nothing is sent twice);
        different content under the same name is refused unless ``new``. Raises CampaignInvalidError (nothing
        sent) when rows are invalid and not ``skip_invalid``.
        """
        if self._spec is None:
            return self.resume(on_progress=on_progress, stop=stop)
        session = self._session()
        try:
            loaded = self._load(
                session,
                new=new,
                skip_invalid=skip_invalid,
                dry_run=False,
                previews=0,
                previews_dir=None,
                check_suppression=check_suppression,
            )
            assert loaded.record is not None
            self._record = loaded.record
            if not loaded.created:
                session.set_settings(loaded.record.id, json.dumps(self._settings))
        finally:
            session.close()
        if on_validated is not None:
            on_validated(loaded.validation)
        return self._run(on_progress, stop)

    def resume(
        self, *, on_progress: ProgressCallback | None = None, stop: threading.Event | None = None
    ) -> RunSummary:
        """Go on sending: rows a dead worker held come back (claimed ones as ``unknown``, never resent)."""
        self._refresh()
        return self._run(on_progress, stop)

    def retry_failed(
        self, *, on_progress: ProgressCallback | None = None, stop: threading.Event | None = None
    ) -> tuple[int, RunSummary]:
        """Put retryable failures back to pending and send them; (how many, the run's summary)."""
        record = self._refresh()
        session = self._session()
        try:
            count = session.retry_failed(record.id)
        finally:
            session.close()
        return count, self._run(on_progress, stop)

    def _refresh(self) -> CampaignRecord:
        session = self._session()
        try:
            record = session.latest_campaign(self.name)
        finally:
            session.close()
        if record is None:
            raise ConfigError(
                f"campaign {self.name} is not in the ledger {self._location.label}",
                hint=f"Start it with `sesflow campaign send` (ledger: {self._location.label}).",
            )
        if record.state == "cancelled":
            raise ConfigError(f"campaign {self.name} was cancelled", hint="Send it again with --new.")
        self._record = record
        self._content = CampaignContent.from_json(record.content)
        return record

    def _run(self, on_progress: ProgressCallback | None, stop: threading.Event | None) -> RunSummary:
        assert self._record is not None and self._content is not None
        transport = self._transport
        own = transport is None
        if transport is None:
            transport = self._access().transport()
        try:
            runner = Runner(
                self._location,
                self._record,
                self._content,
                transport,
                connections=int(self._settings["connections"]),
                rate=self._settings["rate"],
                limiter=self._limiter,
                redis_url=self._redis[0],
                redis_key=self._redis[1],
                retry=self._retry,
                on_progress=on_progress,
                stop=stop,
            )
            summary = runner.run()
        finally:
            if own:
                transport.close()
        if self._settings.get("sync"):
            # The outcomes view follows the ledger; a target that is busy (a sync holding a DuckDB file)
            # does not fail the send: the summary says so, and `sesflow campaign outcomes` retries.
            try:
                summary = dataclasses.replace(summary, published=self.publish_outcomes().view)
            except SesflowError as exc:
                summary = dataclasses.replace(summary, publish_error=exc.message)
        return summary

    # -- after sending -------------------------------------------------------------------------------------

    def status(self) -> CampaignStatus:
        """Counts per state, rate, ETA, and the unknown rows still waiting for their settle time."""
        record = self._record_now()
        session = self._session()
        try:
            return read_status(session, record, self.settle, self._location.label)
        finally:
            session.close()

    def _record_now(self) -> CampaignRecord:
        session = self._session()
        try:
            record = session.latest_campaign(self.name)
        finally:
            session.close()
        if record is None:
            raise ConfigError(f"campaign {self.name} is not in the ledger {self._location.label}")
        self._record = record
        return record

    def reconcile(
        self, *, settle: str | float | None = None, poll_interval: float = 2.0, job_timeout: float = 3600.0
    ) -> ReconcileSummary:
        """Settle ``unknown`` rows from SES's Message Insights exports (``sesflow.campaign.reconcile``)."""
        record = self._record_now()
        seconds = self.settle if settle is None else parse_duration(settle, "settle")
        runner = ExportRunner(self._access().client(), poll_interval=poll_interval, job_timeout=job_timeout)
        session = self._session()
        try:
            return reconcile_rows(session, record.id, runner, settle=seconds, now=time.time)
        finally:
            session.close()
            runner.close()

    def cancel(self) -> None:
        """Stop the campaign: running workers stop after their requests in flight; nothing more is sent."""
        record = self._record_now()
        session = self._session()
        try:
            session.set_campaign_state(record.id, "cancelled")
        finally:
            session.close()

    def publish_outcomes(self, target: str | None = None, schema: str | None = None) -> Published:
        """Make the sync target's ``campaign_outcomes`` show this campaign (``sesflow.campaign.outcomes``)."""
        record = self._record_now()
        sync = self._settings.get("sync") or {}
        where = target or sync.get("target")
        if not where:
            raise ConfigError(
                f"campaign {self.name} names no sync target",
                hint="Add sync: {target: CONNECTION} to the campaign file, or pass --target.",
            )
        resolved = resolve_target(where, schema or sync.get("schema", "ses"), self._base)
        session = self._session()
        try:
            return publish(self._location, session, [record], resolved)
        finally:
            session.close()


def list_campaigns(
    ledger: str | None = None, base_dir: str | Path = ".", ledger_schema: str | None = None
) -> list[CampaignRecord]:
    """The newest generation of every campaign in a ledger."""
    location = resolve_ledger(ledger, Path(base_dir).resolve(), ledger_schema)
    if location.kind == "sqlite" and not Path(location.target).exists():
        return []
    session = location.open()
    try:
        session.ensure_schema()
        return session.campaigns()
    finally:
        session.close()


__all__ = ["Campaign", "ProgressCallback", "list_campaigns"]
