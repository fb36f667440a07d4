"""The former home of the sync, kept as names only: ``sesflow.sync`` runs replications and
``sesflow.source`` is the dlt source.

``from sesflow.insights import sync, ses_source, Replication, ...`` keeps working (imported lazily); new code
imports from ``sesflow.sync`` and ``sesflow.source``. Nothing else lives here.
"""

from __future__ import annotations

import importlib
from typing import Any

from sesflow.extras import optional_imports

_LAZY = {
    "ExportTables": "sesflow.source.records",
    "Interval": "sesflow.source.intervals",
    "Replication": "sesflow.sync.replication",
    "StreamSummary": "sesflow.sync.summary",
    "SyncSummary": "sesflow.sync.summary",
    "Window": "sesflow.source.windows",
    "parse_export": "sesflow.source.records",
    "ses_source": "sesflow.source.ses",
    "sync": "sesflow.sync.runner",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sesflow.insights' has no attribute {name!r}")
    with optional_imports("sync"):
        return getattr(importlib.import_module(module), name)
