"""The ledger writer: one thread that group-commits claims, outcomes and the heartbeat.

A sending thread calls ``claim(seq)`` right before its request and blocks until the row is ``sending`` in a
committed transaction; outcomes are queued (``record``) and written by the next commit. Every commit takes
everything queued since the last one, so with C connections a commit carries up to C claims and the outcomes
that arrived meanwhile: one durable write (an fsync for SQLite) per round instead of one per send, and no
send starts before its claim is durable.

The claims of one round share one ``_Round`` (one event to wait on, one statement for all of them), and an
outcome does not wake the writer by itself: outcomes ride along with the next round of claims, or are
written ``OUTCOME_DELAY`` seconds after they arrived when no claim comes (the last answers of a run).

With no rate limit a message goes to a connection as soon as one is free, and the runner claims its rows a
few at a time as it hands them to the Mailer (``claim_ahead``): the connection's ``claim`` then usually
finds the commit made, and one commit carries a step of claims instead of whatever the connections brought.

How many rows can be ``sending`` when the process is killed: the requests in flight (at most the Mailer's
connections), with ``claim_ahead`` also the messages waiting for a connection (at most as many again) and
two steps, plus the answers that came back after the last commit began (at most one commit's worth, or
``OUTCOME_DELAY`` seconds' worth when no claim is made). Those become ``unknown`` on resume (reconcile
settles them); everything only reserved stays safely ``pending``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sesflow.campaign.ledger import LedgerSession, LedgerUnavailable, Outcome
from sesflow.errors import ClaimRefusedError, LedgerLostError

HEARTBEAT_EVERY = 1.0
OUTCOME_DELAY = 0.02
_OUTCOME_RETRIES = 5


@dataclass
class _Round:
    """The claims one commit makes: the sending threads wait on ``done``, then look up their row."""

    seqs: list[int] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    claimed: set[int] = field(default_factory=set)
    error: BaseException | None = None


class LedgerWriter:
    """Group-commits one worker's claims and outcomes on its own ledger session, in its own thread."""

    def __init__(self, session: LedgerSession, campaign_id: str, worker: str) -> None:
        self._session = session
        self._campaign_id = campaign_id
        self._worker = worker
        self._lock = threading.Condition()
        self._round = _Round()
        self._ahead: dict[int, _Round] = {}
        self._outcomes: list[Outcome] = []
        self._outcomes_since = 0.0
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
        with self._lock:
            if self._broken is not None:
                raise LedgerLostError(str(self._broken))
            ahead = self._ahead.pop(seq, None)
            if self._refusing or self._closing:
                if ahead is not None:
                    self._unclaim(seq, ahead)
                raise ClaimRefusedError("the worker is stopping")
            round_ = ahead
            if round_ is None:
                round_ = self._round
                round_.seqs.append(seq)
                if len(round_.seqs) == 1:
                    self._lock.notify()
        round_.done.wait()
        if round_.error is not None:
            raise LedgerLostError(str(round_.error))
        if seq not in round_.claimed:
            raise ClaimRefusedError(f"row {seq} is no longer this worker's")

    def claim_ahead(self, seqs: list[int]) -> None:
        """Start claiming rows about to be handed to the connections, without waiting: each row's
        ``claim`` then finds its commit made (or waits for it), instead of a round trip to the writer per
        send. For sends that start at once (no rate limit): a row claimed ahead is ``sending`` while it
        waits for a connection, so a kill then leaves it ``unknown``. Rows never sent go back at ``close``.
        """
        with self._lock:
            if self._broken is not None or self._refusing or self._closing:
                return  # their claim() refuses them
            round_ = self._round
            if not round_.seqs:
                self._lock.notify()
            round_.seqs.extend(seqs)
            for seq in seqs:
                self._ahead[seq] = round_

    def _unclaim(self, seq: int, round_: _Round) -> None:
        """A row claimed ahead that will not be sent: out of its round, or back to pending after it (the
        lock is held)."""
        if round_ is self._round:
            round_.seqs.remove(seq)
        elif round_.error is None:
            self._queueing()
            self._releases.append(seq)

    def record(self, outcome: Outcome) -> None:
        """Queue an outcome; the next commit writes it (at the latest ``OUTCOME_DELAY`` seconds from now)."""
        with self._lock:
            self._queueing()
            self._outcomes.append(outcome)

    def release(self, seq: int) -> None:
        """Queue ``seq`` back to ``pending`` (still this worker's): SES certainly did not take its request.

        Not waited for: until it is written the row merely stays ``sending``, the cautious side.
        """
        with self._lock:
            self._queueing()
            self._releases.append(seq)

    def _queueing(self) -> None:
        """Before an outcome or a release is queued (the lock is held): the first since the last commit
        starts the ``OUTCOME_DELAY`` clock and wakes the writer (it may be asleep until the next beat)."""
        if not self._outcomes and not self._releases:
            self._outcomes_since = time.monotonic()
            self._lock.notify()

    def refuse_claims(self) -> None:
        """Refuse every claim from now on (a stop was asked): requests not yet started never start."""
        with self._lock:
            self._refusing = True

    def close(self) -> None:
        """Write what is queued (rows claimed ahead and never sent go back to pending) and stop the thread."""
        with self._lock:
            for seq, round_ in self._ahead.items():
                self._unclaim(seq, round_)
            self._ahead.clear()
            self._closing = True
            self._lock.notify()
        self._thread.join()

    # -- the thread ----------------------------------------------------------------------------------------

    def _due(self) -> float:
        """Seconds until the next commit is due (0: now); the lock is held."""
        if self._round.seqs or self._closing:
            return 0.0
        now = time.monotonic()
        due = self._next_heartbeat - now
        if self._outcomes or self._releases:
            due = min(due, self._outcomes_since + OUTCOME_DELAY - now)
        return max(0.0, due)

    def _loop(self) -> None:
        failures = 0
        while True:
            with self._lock:
                while (wait := self._due()) > 0:
                    self._lock.wait(wait)
                round_, self._round = self._round, _Round()
                outcomes, self._outcomes = self._outcomes, []
                releases, self._releases = self._releases, []
                closing = self._closing
            beat = time.monotonic() >= self._next_heartbeat
            try:
                claimed, alive = self._session.commit_round(
                    self._campaign_id,
                    self._worker,
                    outcomes,
                    releases,
                    [] if self.declared_dead else round_.seqs,
                    time.time(),
                    beat,
                )
                if not alive:
                    self.declared_dead = True
                round_.claimed = claimed
                self.commits += 1
                failures = 0
                if beat:
                    self._next_heartbeat = time.monotonic() + HEARTBEAT_EVERY
                if self.declared_dead:
                    self.refuse_claims()
                round_.done.set()
            except LedgerUnavailable as exc:
                # No claim of this round is durable: none of them may send.
                round_.claimed = set()
                round_.error = exc
                round_.done.set()
                failures += 1
                with self._lock:
                    self._outcomes[:0] = outcomes  # keep them for the next try
                    self._releases[:0] = releases
                    if failures > _OUTCOME_RETRIES:
                        self._broken = exc
                        waiting, self._round = self._round, _Round()
                        waiting.error = exc
                        waiting.done.set()
                if failures > _OUTCOME_RETRIES:
                    return
                time.sleep(min(2.0, 0.1 * 2**failures))
                continue
            if closing:
                with self._lock:
                    if not self._round.seqs and not self._outcomes and not self._releases:
                        return


__all__ = ["HEARTBEAT_EVERY", "LedgerWriter"]
