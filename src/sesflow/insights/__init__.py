"""SES v2 Message Insights into databases: export jobs, record parsing, the dlt source and replications.

Public names (imported lazily, so ``import sesflow`` stays fast): ``ses_source`` (a dlt source),
``sync`` / ``SyncSummary`` / ``StreamSummary`` (run a Sling-style replication), ``Replication``,
``parse_export`` / ``ExportTables`` (the record parser), ``Interval`` and ``Window``.

This package imports nothing of ``sesflow.mime`` or ``sesflow.send``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sesflow.extras import optional_imports

if TYPE_CHECKING:
    from sesflow.insights.intervals import Interval
    from sesflow.insights.records import ExportTables, parse_export
    from sesflow.insights.replication import Replication
    from sesflow.insights.runner import StreamSummary, SyncSummary, sync
    from sesflow.insights.source import ses_source
    from sesflow.insights.windows import Window

_LAZY = {
    "Interval": "sesflow.insights.intervals",
    "ExportTables": "sesflow.insights.records",
    "parse_export": "sesflow.insights.records",
    "Replication": "sesflow.insights.replication",
    "ses_source": "sesflow.insights.source",
    "StreamSummary": "sesflow.insights.runner",
    "SyncSummary": "sesflow.insights.runner",
    "sync": "sesflow.insights.runner",
    "Window": "sesflow.insights.windows",
}

__all__ = [
    "ExportTables",
    "Interval",
    "Replication",
    "StreamSummary",
    "SyncSummary",
    "Window",
    "parse_export",
    "ses_source",
    "sync",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sesflow.insights' has no attribute {name!r}")
    with optional_imports("sync"):
        return getattr(importlib.import_module(module), name)
