"""Every event a sync reports while it runs: plain values handed to an ``on_progress`` callback.

This module defines them all; the rest of the runner only creates them. The callback may be called from
export worker threads; the command line turns the events into a Rich progress bar on a terminal and into log
lines otherwise. Table names in events are those of the tables dlt created (dataset layout, naming convention
and the destination's case applied), e.g. ``ses.ses_emails``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from sesflow.source.windows import Window


@dataclass(frozen=True)
class Holder:
    """Who holds a target's run lock: host, process id and since when (any may be unknown)."""

    host: str | None
    pid: int | None
    since: str | None

    def describe(self) -> str:
        """``host H, pid P, since T``, with what is known."""
        parts = []
        if self.host:
            parts.append(f"host {self.host}")
        if self.pid is not None:
            parts.append(f"pid {self.pid}")
        if self.since:
            parts.append(f"since {self.since}")
        return ", ".join(parts) or "holder unknown"


@dataclass(frozen=True)
class Waiting:
    """The run waits for ``holder`` to release ``target`` (another run is loading it)."""

    target: str
    holder: Holder


@dataclass(frozen=True)
class StreamStarted:
    """Stream ``index`` of ``total`` starts, loading ``tables`` (stream table -> the name dlt gives it).

    ``object`` is the name of the stream's own table as dlt creates it.
    """

    index: int
    total: int
    stream: str
    object: str
    mode: str
    tables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RangePlanned:
    """The message streams' range for this run: from the saved state (``resumed``) or the anchor."""

    start: datetime
    end: datetime
    resumed: bool


@dataclass(frozen=True)
class StateWins:
    """The state saved in the target is later than ``anchor_date``: the run continues from the state."""

    anchor: datetime
    start: datetime


@dataclass(frozen=True)
class JobProgress:
    """An export job of a window changed state: CREATED, PROCESSING, COMPLETED, ..., DOWNLOADING, PARSED."""

    window: Window
    job_id: str
    state: str


@dataclass(frozen=True)
class WindowSplit:
    """A window hit the export cap and was replaced by its two halves."""

    window: Window
    halves: tuple[Window, Window]


@dataclass(frozen=True)
class WindowDone:
    """A window's export is complete and handed to dlt; the saved state moves past it with the next load.

    ``emails`` and ``events`` count what the window exported; of those messages, ``unchanged`` the target
    held as they are (a run that merges leaves them out of the merge).
    """

    window: Window
    emails: int
    events: int
    download_bytes: int
    unchanged: int = 0


@dataclass(frozen=True)
class LoadStarted:
    """Every window up to ``end`` of this batch is exported; dlt now normalises and loads the rows."""

    end: datetime


@dataclass(frozen=True)
class StreamDone:
    """The stream is loaded: ``rows`` per table dlt created (its own first), in ``seconds``."""

    stream: str
    rows: Mapping[str, int]
    seconds: float


@dataclass(frozen=True)
class StreamSkipped:
    """The stream had nothing it could load and says why (VDM not enabled, for ``ses_metrics``)."""

    stream: str
    reason: str


@dataclass(frozen=True)
class StreamFailed:
    """The stream failed (its state did not move past what it loaded); the other streams go on."""

    stream: str
    message: str
    hint: str | None = None


ProgressEvent: TypeAlias = (
    Waiting
    | StreamStarted
    | RangePlanned
    | StateWins
    | JobProgress
    | WindowSplit
    | WindowDone
    | LoadStarted
    | StreamDone
    | StreamSkipped
    | StreamFailed
)
ProgressCallback = Callable[[ProgressEvent], None]

__all__ = [
    "Holder",
    "JobProgress",
    "LoadStarted",
    "ProgressCallback",
    "ProgressEvent",
    "RangePlanned",
    "StateWins",
    "StreamDone",
    "StreamFailed",
    "StreamSkipped",
    "StreamStarted",
    "Waiting",
    "WindowDone",
    "WindowSplit",
]
