"""Settling ``unknown`` rows from SES's own records.

A row is ``unknown`` when its request went out and no answer was recorded (a dropped connection, a timeout,
a killed worker). SES has no idempotency key, so resending could deliver twice; instead, reconcile asks SES:
Message Insights exports over the time the unknown rows were attempted, filtered by their destinations
(5 addresses per job, the API's limit; for many unknowns, whole time windows instead), and looks for each
row's ``sesflow_id`` EmailTag.

- Found: the row becomes ``sent``, with SES's message id and send time.
- Not found in an export that is complete (fewer records than ``MaxResults``) and covers the attempt: the
  row becomes ``pending`` again (safe to send: ``resume`` sends it), but only once ``settle`` seconds have
  passed since the attempt, because SES's records can lag behind its sends. Before that it stays
  ``unknown`` and ``status`` counts it as waiting.

The window of an attempt runs from ``MARGIN`` before its first claim to ``REQUEST_BUDGET + MARGIN`` after its
last one (a request cannot reach SES after the client gave up on it; the margins absorb clock skew).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sesflow.campaign.exports import ExportRunner, ExportWindow
from sesflow.campaign.ledger import LedgerSession, UnknownRow
from sesflow.campaign.render import ledger_id
from sesflow.campaign.workers import bury_dead

MARGIN = 60.0
REQUEST_BUDGET = 35.0  # connect (5 s) + read (30 s) timeouts of the sending transport
PER_JOB = 5  # Include.Destination takes at most 5 addresses
MAX_FILTERED_JOBS = 10  # beyond this many destination jobs, whole time windows take fewer jobs
CLUSTER_GAP = 900.0


@dataclass(frozen=True)
class ReconcileSummary:
    """What reconcile settled: ``found`` became sent, ``absent`` became pending, ``waiting`` are still
    unknown because their settle time has not passed (the first of them settles at ``settle_at``);
    ``duplicates`` counts rows SES holds more than one message for (it should be 0)."""

    checked: int
    found: int
    absent: int
    waiting: int
    jobs: int
    settle_at: float | None = None
    windows: tuple[str, ...] = field(default=())
    duplicates: int = 0


def _window(rows: Sequence[UnknownRow], now: float, destinations: tuple[str, ...] = ()) -> ExportWindow:
    start = min(r.first_attempt_at for r in rows) - MARGIN
    end = min(now, max(r.attempted_at for r in rows) + REQUEST_BUDGET + MARGIN)
    return ExportWindow(float(int(start)), float(int(end) + 1), destinations)


def plan_windows(rows: Sequence[UnknownRow], now: float) -> list[ExportWindow]:
    """The exports that cover every unknown row: by destination when that takes few jobs, else by time."""
    ordered = sorted(rows, key=lambda r: r.attempted_at)
    if len(ordered) <= PER_JOB * MAX_FILTERED_JOBS:
        windows = []
        for start in range(0, len(ordered), PER_JOB):
            chunk = ordered[start : start + PER_JOB]
            addresses = tuple(dict.fromkeys(r.email.lower() for r in chunk))
            windows.append(_window(chunk, now, addresses))
        return windows
    clusters: list[list[UnknownRow]] = [[ordered[0]]] if ordered else []
    for row in ordered[1:]:
        if row.first_attempt_at - clusters[-1][-1].attempted_at > CLUSTER_GAP:
            clusters.append([row])
        else:
            clusters[-1].append(row)
    return [_window(cluster, now) for cluster in clusters]


def reconcile_rows(
    session: LedgerSession,
    campaign_id: str,
    runner: ExportRunner,
    *,
    settle: float,
    now: Callable[[], float] = time.time,
) -> ReconcileSummary:
    """Settle the campaign's unknown rows from SES's exports (see the module docstring)."""
    bury_dead(session, campaign_id)
    rows = session.unknowns(campaign_id)
    if not rows:
        return ReconcileSummary(0, 0, 0, 0, 0)
    started = now()
    windows = plan_windows(rows, started)
    by_id = {ledger_id(campaign_id, r.seq): r for r in rows}
    found: dict[int, tuple[str, float]] = {}
    copies: dict[int, set[str]] = {}
    spans: dict[int, list[tuple[float, float, str]]] = {}  # complete exports that looked for each row
    jobs = 0
    for outcome in runner.export(windows):
        jobs += 1
        for message in outcome.messages:
            row = by_id.get(message.tags.get("sesflow_id", ""))
            if row is not None:
                found[row.seq] = (message.message_id, message.send_time or row.attempted_at)
                copies.setdefault(row.seq, set()).add(message.message_id)
        if not outcome.complete:
            continue
        window = outcome.window
        wanted = set(window.destinations)
        label = f"{window.describe()} (export job {outcome.job_id})"
        for row in rows:
            if not wanted or row.email.lower() in wanted:
                spans.setdefault(row.seq, []).append((window.start, window.end, label))
    sent = session.settle_sent(campaign_id, [(seq, ses_id, at) for seq, (ses_id, at) in found.items()])
    absent: list[tuple[int, str]] = []
    waiting: list[UnknownRow] = []
    for row in rows:
        if row.seq in found:
            continue
        covered = _covered(row, spans.get(row.seq, []), started)
        if covered is not None and started >= row.attempted_at + settle:
            absent.append((row.seq, f"reconcile: not in SES's complete export of {covered}"))
        else:
            waiting.append(row)
    freed = session.settle_absent(campaign_id, absent)
    settle_at = min((r.attempted_at + settle for r in waiting), default=None)
    return ReconcileSummary(
        checked=len(rows),
        found=sent,
        absent=freed,
        waiting=len(waiting),
        jobs=jobs,
        settle_at=settle_at,
        windows=tuple(w.describe() for w in windows),
        duplicates=sum(1 for ids in copies.values() if len(ids) > 1),
    )


def _covered(row: UnknownRow, spans: list[tuple[float, float, str]], now: float) -> str | None:
    """The exports that together cover the row's whole attempt (joined labels), or None."""
    need_start = row.first_attempt_at - 1.0
    need_end = min(now, row.attempted_at + REQUEST_BUDGET)
    reach = need_start
    labels: list[str] = []
    for start, end, label in sorted(spans):
        if start > reach:
            break
        if end > reach:
            reach = end
            labels.append(label)
        if reach >= need_end:
            return "; ".join(labels)
    return None


__all__ = ["MARGIN", "REQUEST_BUDGET", "ReconcileSummary", "plan_windows", "reconcile_rows"]
