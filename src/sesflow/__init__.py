"""sesflow: compose, send and track email through Amazon SES.

The public API is re-exported here; implementation modules are private to their packages.
"""

from __future__ import annotations

from sesflow.errors import (
    ConfigError,
    EmulatorError,
    MessageError,
    SendError,
    SesflowError,
    SyncError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "EmulatorError",
    "MessageError",
    "SendError",
    "SesflowError",
    "SyncError",
    "__version__",
]
