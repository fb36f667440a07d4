"""Who is sending: a worker's identity, and how the others tell a dead worker from a slow one.

A worker is one process running a campaign. It writes a heartbeat every second. Another worker (or
``resume``/``status``) declares it dead when its heartbeat is older than ``STALE_AFTER`` seconds, or at once
when it ran on this host and its process is gone (SIGKILL, OOM killer): the process id no longer exists,
belongs to a process started at another time, or to a zombie. Then its claimed rows become ``unknown`` and
its reserved rows free again (``LedgerSession.bury``).
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass

from sesflow.campaign.ledger import LedgerSession, WorkerRecord

STALE_AFTER = 15.0


def _proc_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
    return text.rpartition(")")[2].split()


def process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or "" where /proc is missing."""
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else ""


def process_alive(pid: int, start: str) -> bool:
    """True when process ``pid`` runs and is the one that started at ``start``."""
    fields = _proc_stat(pid)
    if fields is None:
        if os.path.isdir("/proc"):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if fields[0] in ("Z", "X"):
        return False
    return not start or len(fields) <= 19 or fields[19] == start


@dataclass(frozen=True)
class Worker:
    """This process as a campaign worker."""

    id: str
    host: str
    pid: int
    proc_start: str

    @classmethod
    def current(cls) -> Worker:
        """A new identity for this process (a new token for each run, so runs never mix up rows)."""
        host = socket.gethostname()
        pid = os.getpid()
        return cls(f"{host}:{pid}:{secrets.token_hex(4)}", host, pid, process_start(pid))


def is_dead(worker: WorkerRecord, now: float, stale_after: float = STALE_AFTER) -> bool:
    """True when ``worker`` certainly stopped (this host, process gone) or went silent too long."""
    if worker.host == socket.gethostname() and not process_alive(worker.pid, worker.proc_start):
        return True
    return now - worker.heartbeat_at > stale_after


def bury_dead(
    session: LedgerSession, campaign_id: str, *, spare: str = "", stale_after: float = STALE_AFTER
) -> int:
    """Declare every dead worker of the campaign dead; returns how many rows became ``unknown``."""
    now = time.time()
    dead = [
        w.id for w in session.running_workers(campaign_id) if w.id != spare and is_dead(w, now, stale_after)
    ]
    if not dead:
        return 0
    unknown, _ = session.bury(campaign_id, dead, now)
    return unknown


__all__ = ["STALE_AFTER", "Worker", "bury_dead", "is_dead", "process_alive", "process_start"]
