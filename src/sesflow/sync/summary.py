"""What a sync did: one ``StreamSummary`` per stream of the replication, in a ``SyncSummary``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["loaded", "skipped", "failed"]


@dataclass
class StreamSummary:
    """What one stream did.

    ``object`` and the keys of ``tables`` are the names of the tables dlt created (``dataset.table``);
    ``tables`` maps each to the rows loaded into it in this run. For the message streams ``emails`` and
    ``events`` count the rows of ``ses_emails`` and ``ses_email_events``, and ``start``/``end``, ``windows``,
    ``jobs``, ``splits``, ``download_bytes`` and ``saved_until`` (the end of the last window whose load was
    committed) describe the exports. ``status`` is ``loaded``, ``skipped`` (``reason`` says why) or ``failed``
    (``error`` says what went wrong).
    """

    stream: str
    object: str
    mode: str
    status: Status = "loaded"
    tables: dict[str, int] = field(default_factory=dict)
    start: str | None = None
    end: str | None = None
    windows: int = 0
    jobs: int = 0
    splits: int = 0
    emails: int = 0
    events: int = 0
    download_bytes: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0  # dlt's normalize + load steps, summed over the batches
    saved_until: str | None = None
    reason: str | None = None
    error: str | None = None

    @property
    def rows(self) -> int:
        """Rows loaded into the stream's own table."""
        return self.tables.get(self.object, 0)

    @property
    def rows_per_second(self) -> float:
        """Rows of the stream's own table loaded per second of the whole stream run."""
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class SyncSummary:
    """What a replication run did: one ``StreamSummary`` per stream, in order."""

    source: str
    target: str
    streams: list[StreamSummary] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def emails(self) -> int:
        """Messages loaded over all streams."""
        return sum(stream.emails for stream in self.streams)

    @property
    def failed(self) -> list[StreamSummary]:
        """The streams that failed."""
        return [stream for stream in self.streams if stream.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``sesflow run --json`` prints)."""
        data = asdict(self)
        for stream, summary in zip(data["streams"], self.streams, strict=True):
            stream["rows"] = summary.rows
            stream["rows_per_second"] = round(summary.rows_per_second, 1)
        return data


__all__ = ["Status", "StreamSummary", "SyncSummary"]
