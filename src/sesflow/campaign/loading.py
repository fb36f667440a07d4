"""Validating a campaign and loading it into the ledger, in one pass over the recipients.

Every row is rendered before anything is sent. Rows stream from the source into the ledger inside one
transaction, each marked ``pending`` or, when it cannot be sent, ``skipped`` with its reason: a row that could
not be read, an undefined variable or a template error, an invalid address, a suppressed address, or an
address already met in an earlier row (found by one query over the loaded rows, so no set of a million
addresses is held in memory). Then:

- problems and no ``skip_invalid``: the transaction is rolled back, ``CampaignInvalidError`` lists them;
- a dry run: rolled back too (previews of the first rendered messages were written on the way);
- the same name with the same content and rows already in the ledger: rolled back, the existing campaign
  is returned (``send`` then continues it, so rerunning a send is safe);
- the same name with different content: refused unless ``new`` (the next generation replaces it);
- otherwise committed: a new campaign, every row ``pending`` or ``skipped``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sesflow.campaign.content import CampaignContent
from sesflow.campaign.ledger import CampaignRecord, LedgerSession
from sesflow.campaign.recipients import Problem, RecipientSource
from sesflow.campaign.render import MessageFactory, Renderer, RowProblem
from sesflow.campaign.suppression import Suppressed
from sesflow.errors import CampaignInvalidError, ConfigError, MessageError

BATCH = 2000
KEEP_PROBLEMS = 10_000


class _RollBack(Exception):
    """Leave the loading transaction without committing."""


@dataclass(frozen=True)
class Validation:
    """The outcome of the validation pass: rows read, rows that can be sent, the problems found (at most
    ``KEEP_PROBLEMS`` kept, ``problem_count`` all of them) and the previews written."""

    rows: int
    valid: int
    problems: tuple[Problem, ...]
    problem_count: int
    previews: tuple[Path, ...] = ()
    source: str = "recipients"

    def summary(self) -> str:
        """One line: rows, valid, problems."""
        return f"{self.rows:,} rows: {self.valid:,} to send, {self.problem_count:,} with problems"


@dataclass(frozen=True)
class Loaded:
    """The campaign to send (``created`` False when an identical one already existed) and its validation."""

    record: CampaignRecord | None
    validation: Validation
    created: bool


def _previews(
    folder: Path, content: CampaignContent, campaign_id: str
) -> Callable[[int, str, object], Path | None]:
    from sesflow.mime import compose

    factory = MessageFactory(content, campaign_id)
    folder.mkdir(parents=True, exist_ok=True)

    def write(seq: int, email: str, rendered: object) -> Path | None:
        from sesflow.campaign.render import Rendered

        assert isinstance(rendered, Rendered)
        safe = "".join(ch if ch.isalnum() or ch in "._-@" else "_" for ch in email)[:80]
        path = folder / f"{seq:06d}-{safe}.eml"
        try:
            path.write_bytes(compose(factory.build(seq, rendered)).raw)
        except MessageError as exc:
            raise ConfigError(f"row {seq}: the message cannot be composed: {exc.message}") from None
        if rendered.html is not None:
            path.with_suffix(".html").write_text(rendered.html, encoding="utf-8")
        return path

    return write


def load_campaign(
    session: LedgerSession,
    content: CampaignContent,
    source: RecipientSource,
    *,
    settings: str,
    suppressed: Suppressed | None = None,
    skip_invalid: bool = False,
    new: bool = False,
    dry_run: bool = False,
    previews: int = 0,
    previews_dir: Path | None = None,
) -> Loaded:
    """Validate every row of ``source`` and (unless a dry run, or nothing changed) create the campaign."""
    renderer = Renderer(content, source.columns, source.label)
    existing = session.latest_campaign(content.name)
    campaign_id = secrets.token_hex(6)
    record = CampaignRecord(
        id=campaign_id,
        name=content.name,
        generation=(existing.generation + 1) if existing else 1,
        fingerprint="",
        content=content.to_json(),
        settings=settings,
        state="active",
        total=0,
        created_at=time.time(),
    )
    write_preview = _previews(previews_dir, content, campaign_id) if previews and previews_dir else None
    written: list[Path] = []
    problems: list[Problem] = []
    problem_count = 0
    rows = valid = 0
    digest = hashlib.sha256(content.fingerprint.encode())
    suppressed = suppressed or Suppressed()

    def problem(found: Problem) -> None:
        nonlocal problem_count
        problem_count += 1
        if len(problems) < KEEP_PROBLEMS:
            problems.append(found)

    result: Loaded | None = None
    try:
        with session.transaction():
            batch: list[tuple[object, ...]] = []
            for recipient in source:
                rows += 1
                seq = recipient.row
                values = json.dumps(recipient.values, sort_keys=True, ensure_ascii=False)
                digest.update(values.encode())
                digest.update(b"\n")
                found = recipient.problem
                email = str(recipient.values.get(content.email_column) or "").strip()
                if found is None:
                    try:
                        rendered = renderer.render(recipient.values)
                    except RowProblem as exc:
                        found = Problem(seq, exc.message, exc.column, email or None, recipient.line)
                    else:
                        why = suppressed.reason(rendered.email)
                        if why:
                            found = Problem(
                                seq,
                                f"{rendered.email} is suppressed: {why}",
                                content.email_column,
                                rendered.email,
                                recipient.line,
                            )
                        elif write_preview is not None and len(written) < previews:
                            path = write_preview(seq, rendered.email, rendered)
                            if path is not None:
                                written.append(path)
                if found is not None:
                    problem(found)
                    batch.append((campaign_id, seq, email, email.lower(), values, "skipped", str(found)))
                else:
                    valid += 1
                    batch.append((campaign_id, seq, email, email.lower(), values, "pending", None))
                if len(batch) >= BATCH:
                    session.bulk_insert(batch)
                    batch = []
            if batch:
                session.bulk_insert(batch)
            duplicates = session.duplicates(campaign_id)
            if duplicates:
                reasons = [
                    (seq, f"row {seq}, column {content.email_column}: {email} repeats row {first}")
                    for seq, email, first in duplicates
                ]
                session.skip(campaign_id, reasons)
                for seq, email, first in duplicates:
                    problem(Problem(seq, f"{email} repeats row {first}", content.email_column, email))
                valid -= len(duplicates)
            problems.sort(key=lambda p: p.row)
            validation = Validation(rows, valid, tuple(problems), problem_count, tuple(written), source.label)
            fingerprint = hashlib.sha256(f"{content.fingerprint}:{digest.hexdigest()}".encode()).hexdigest()
            if rows == 0:
                raise ConfigError(f"{source.label} holds no recipients", hint="Nothing to send.")
            if problem_count and not skip_invalid and not dry_run:
                raise _invalid(validation, source.label)
            if dry_run:
                result = Loaded(None, validation, False)
                raise _RollBack()
            if existing is not None and not new:
                if existing.fingerprint == fingerprint:
                    if existing.state != "active":
                        raise ConfigError(
                            f"campaign {content.name} was {existing.state}",
                            hint="Send it again from the start with --new.",
                        )
                    result = Loaded(existing, validation, False)
                    raise _RollBack()
                raise ConfigError(
                    f"a campaign named {content.name} already exists with different content or recipients",
                    hint="Use another name, or --new to start it over under the same name (everyone is "
                    "mailed again).",
                )
            if existing is not None:
                session.supersede(existing.id)
            # The campaign row goes in last: a worker loading the same campaign at the same time meets
            # the unique (name, generation) here, once both have read every row (see below).
            record = dataclasses.replace(record, fingerprint=fingerprint, total=rows)
            session.insert_campaign(record)
            result = Loaded(record, validation, True)
    except _RollBack:
        pass
    except Exception as exc:
        if not session.is_unique_violation(exc):
            raise
        # Another worker created this campaign (same name, same generation) while we loaded it.
        again = session.latest_campaign(content.name)
        if again is None:
            raise
        validation = Validation(rows, valid, tuple(problems), problem_count, tuple(written), source.label)
        if (
            again.fingerprint
            != hashlib.sha256(f"{content.fingerprint}:{digest.hexdigest()}".encode()).hexdigest()
        ):
            raise ConfigError(
                f"another process created campaign {content.name} with different content just now"
            ) from None
        return Loaded(again, validation, False)
    assert result is not None
    return result


def _invalid(validation: Validation, label: str) -> CampaignInvalidError:
    shown = "\n".join(f"  {label} {p}" for p in validation.problems[:20])
    more = validation.problem_count - min(20, len(validation.problems))
    if more > 0:
        shown += f"\n  ... and {more:,} more"
    return CampaignInvalidError(
        f"{validation.problem_count:,} of {validation.rows:,} rows cannot be sent; "
        f"nothing was sent:\n{shown}",
        problems=validation.problems,
        total=validation.problem_count,
        hint="Fix them, or pass --skip-invalid to send the others and record these as skipped.",
    )


__all__ = ["KEEP_PROBLEMS", "Loaded", "Validation", "load_campaign"]
