"""The Sling-compatible runner: replication files and connections -> dlt pipelines of the SES source.

``sesflow.sync`` is this package, and calling it runs a replication: ``sesflow.sync("replication.yaml")`` is
``sesflow.sync.runner.sync(...)``. Modules: ``runner`` (``sync()``), ``streams`` (one stream under its
target's lock), ``messages`` and ``feed`` (the message streams batch by batch while exports keep running),
``replication`` (Sling's replication files), ``settings`` (a connection as the source's arguments),
``targets`` (destinations, file formats, the names dlt creates), ``held`` and ``repeats`` (DuckDB and
PostgreSQL SQL of the fast path), ``lock`` (one run per dataset), ``memory`` (process tuning, for the command
line), ``progress`` (every event a run reports) and ``summary``.

Public names (imported lazily, so ``import sesflow`` stays fast): ``sync``, ``SyncSummary``,
``StreamSummary``, ``Replication``, ``process_tuning``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from sesflow.extras import optional_imports

if TYPE_CHECKING:
    from sesflow.sync.memory import process_tuning
    from sesflow.sync.replication import Replication
    from sesflow.sync.runner import sync
    from sesflow.sync.summary import StreamSummary, SyncSummary

_LAZY = {
    "Replication": "sesflow.sync.replication",
    "StreamSummary": "sesflow.sync.summary",
    "SyncSummary": "sesflow.sync.summary",
    "process_tuning": "sesflow.sync.memory",
    "sync": "sesflow.sync.runner",
}

__all__ = ["Replication", "StreamSummary", "SyncSummary", "process_tuning", "sync"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sesflow.sync' has no attribute {name!r}")
    with optional_imports("sync"):
        return getattr(importlib.import_module(module), name)


class _RunnerModule(types.ModuleType):
    """This package: calling it runs a replication, so ``sesflow.sync(...)`` works once it is imported."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with optional_imports("sync"):
            from sesflow.sync.runner import sync as run

        return run(*args, **kwargs)


sys.modules[__name__].__class__ = _RunnerModule
