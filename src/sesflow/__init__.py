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
from sesflow.mime import Attachment, Composed, Envelope, IcalEvent, Message, compose

__version__ = "0.1.0"

__all__ = [
    "Attachment",
    "Composed",
    "ConfigError",
    "EmulatorError",
    "Envelope",
    "IcalEvent",
    "Message",
    "MessageError",
    "SendError",
    "SesflowError",
    "SyncError",
    "__version__",
    "compose",
]
