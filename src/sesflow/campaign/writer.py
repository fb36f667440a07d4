"""The ledger writer: one thread that group-commits claims, outcomes and the heartbeat.

A sending thread calls ``claim(seq)`` right before its request and blocks until the row is ``sending`` in a
committed transaction; outcomes are queued (``record``) and written by the next commit. Every commit takes
everything queued since the last one, so with C connections a commit carries up to C claims and the outcomes
that arrived meanwhile: one durable write (an fsync for SQLite) per round instead of one per send, and no
send starts before its claim is durable.

How many rows can be ``sending`` when the process is killed: the requests in flight (at most the Mailer's
connections) plus the answers that came back after the last commit began (at most one commit's worth).
Those become ``unknown`` on resume; everything only reserved stays safely ``pending``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sesflow.campaign.ledger import LedgerSession, LedgerUnavailable, Outcome
from sesflow.errors import ClaimRefusedError, LedgerLostError

HEARTBEAT_EVERY = 1.0
_OUTCOME_RETRIES = 5


@dataclass
class _Claim:
    seq: int
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False
    error: BaseException | None = None


class LedgerWriter:
    """Group-commits one worker's claims and outcomes on its own ledger session, in its own thread."""

    def __init__(self, session: LedgerSession, campaign_id: str, worker: str) -> None:
        self._session = session
        self._campaign_id = campaign_id
        self._worker = worker
        self._lock = threading.Condition()
        self._claims: list[_Claim] = []
        self._outcomes: list[Outcome] = []
        self._releases: list[int] = []
        self._closing = False
        self._refusing = False
        self._broken: BaseException | None = None
        self.declared_dead = False
        self.commits = 0
        self._next_heartbeat = time.monotonic() + HEARTBEAT_EVERY
        self._thread = threading.Thread(target=self._loop, name="sesflow-ledger-writer", daemon=True)
        self._thread.start()

    @property
    def broken(self) -> BaseException | None:
        """The error that stopped the writer, if any."""
        return self._broken

    def claim(self, seq: int) -> None:
        """Make row ``seq`` ``sending``, durably, before its request: returns once committed.

        Raises ClaimRefusedError when the row is no longer this worker's, or the writer is refusing new claims
        (stopping); LedgerLostError when the ledger cannot be written.
        """
        claim = _Claim(seq)
        with self._lock:
            if self._broken is not None:
                raise LedgerLostError(str(self._broken))
            if self._refusing or self._closing:
                raise ClaimRefusedError("the worker is stopping")
            self._claims.append(claim)
            self._lock.notify()
        claim.done.wait()
        if claim.error is not None:
            raise LedgerLostError(str(claim.error))
        if not claim.ok:
            raise ClaimRefusedError(f"row {seq} is no longer this worker's")

    def record(self, outcome: Outcome) -> None:
        """Queue an outcome; the next commit writes it."""
        with self._lock:
            self._outcomes.append(outcome)
            self._lock.notify()

    def release(self, seq: int) -> None:
        """Queue ``seq`` back to ``pending`` (still this worker's): SES certainly did not take its request.

        Not waited for: until it is written the row merely stays ``sending``, the cautious side.
        """
        with self._lock:
            self._releases.append(seq)
            self._lock.notify()

    def refuse_claims(self) -> None:
        """Refuse every claim from now on (a stop was asked): requests not yet started never start."""
        with self._lock:
            self._refusing = True

    def close(self) -> None:
        """Write what is queued and stop the thread."""
        with self._lock:
            self._closing = True
            self._lock.notify()
        self._thread.join()

    # -- the thread ----------------------------------------------------------------------------------------

    def _loop(self) -> None:
        failures = 0
        while True:
            with self._lock:
                while not self._claims and not self._outcomes and not self._releases and not self._closing:
                    wait = self._next_heartbeat - time.monotonic()
                    if wait <= 0:
                        break
                    self._lock.wait(wait)
                claims, self._claims = self._claims, []
                outcomes, self._outcomes = self._outcomes, []
                releases, self._releases = self._releases, []
                closing = self._closing
            beat = time.monotonic() >= self._next_heartbeat
            try:
                claimed: set[int] = set()
                with self._session.transaction():
                    if outcomes:
                        self._session.record(self._campaign_id, self._worker, outcomes)
                    if releases:
                        self._session.release(self._campaign_id, self._worker, releases)
                    if beat and not self._session.heartbeat(self._worker, time.time()):
                        self.declared_dead = True
                    if claims and not self.declared_dead:
                        claimed = self._session.claim(
                            self._campaign_id, self._worker, [c.seq for c in claims], time.time()
                        )
                self.commits += 1
                failures = 0
                if beat:
                    self._next_heartbeat = time.monotonic() + HEARTBEAT_EVERY
                if self.declared_dead:
                    self.refuse_claims()
                for claim in claims:
                    claim.ok = claim.seq in claimed
                    claim.done.set()
            except LedgerUnavailable as exc:
                # No claim of this round is durable: none of them may send.
                for claim in claims:
                    claim.error = exc
                    claim.done.set()
                failures += 1
                with self._lock:
                    self._outcomes[:0] = outcomes  # keep them for the next try
                    self._releases[:0] = releases
                    if failures > _OUTCOME_RETRIES:
                        self._broken = exc
                        for waiting in self._claims:
                            waiting.error = exc
                            waiting.done.set()
                        self._claims.clear()
                if failures > _OUTCOME_RETRIES:
                    return
                time.sleep(min(2.0, 0.1 * 2**failures))
                continue
            if closing:
                with self._lock:
                    if not self._claims and not self._outcomes and not self._releases:
                        return


__all__ = ["HEARTBEAT_EVERY", "LedgerWriter"]
