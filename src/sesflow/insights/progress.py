"""What a sync reports while it runs: plain values handed to an ``on_progress`` callback.

The callback may be called from export worker threads; the command line turns these into a Rich progress
bar on a terminal and into log lines otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from sesflow.insights.exports import JobEvent
from sesflow.insights.jobs import SplitEvent
from sesflow.insights.lock import Waiting
from sesflow.insights.windows import Window


@dataclass(frozen=True)
class StreamStarted:
    """Stream ``index`` of ``total`` starts; it will cover ``start`` .. ``end``."""

    index: int
    total: int
    stream: str
    object: str
    mode: str
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class RangePlanned:
    """The source decided the time range of this run (from the saved state or the anchor)."""

    start: datetime
    end: datetime
    resumed: bool


@dataclass(frozen=True)
class WindowDone:
    """A window's export is complete and handed to dlt; the saved state will move to ``window.end``."""

    window: Window
    emails: int
    events: int
    download_bytes: int


@dataclass(frozen=True)
class LoadStarted:
    """Every window up to ``end`` is exported; dlt now normalises and loads the rows into the target."""

    end: datetime


@dataclass(frozen=True)
class StreamDone:
    """The stream's rows are loaded."""

    stream: str
    emails: int
    events: int
    seconds: float


@dataclass(frozen=True)
class StateWins:
    """The state saved in the target is later than ``anchor_date``: the run continues from the state."""

    anchor: datetime
    start: datetime


ProgressEvent: TypeAlias = (
    StreamStarted
    | RangePlanned
    | StateWins
    | Waiting
    | JobEvent
    | SplitEvent
    | WindowDone
    | LoadStarted
    | StreamDone
)
ProgressCallback = Callable[[ProgressEvent], None]
