"""The dlt source for Amazon SES: one resource per SES stream, configured by name as every dlt source is.

Owns the export-job client (``exports``, ``jobs``), the export windows (``windows``, ``intervals``) and the
parsing of export files into Arrow (``records``). Imports nothing of sesflow but ``errors``: configuration
arrives as plain values, never as a sesflow connection.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use: ``sesflow.source.intervals`` is read by code that must not pay for dlt and boto3.
_LAZY = {
    "ses_source": "sesflow.source.ses",
    "STREAMS": "sesflow.source.catalog",
    "StreamInfo": "sesflow.source.catalog",
    "stream_info": "sesflow.source.catalog",
}

__all__ = ["STREAMS", "StreamInfo", "ses_source", "stream_info"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sesflow.source' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
