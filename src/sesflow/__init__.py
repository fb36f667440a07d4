"""sesflow: compose, send and track email through Amazon SES.

The public API is re-exported here; implementation modules are private to their packages.
"""

from __future__ import annotations

import importlib

from sesflow.errors import (
    ConfigError,
    EmulatorError,
    MessageError,
    SendError,
    SesflowError,
    SyncError,
)
from sesflow.extras import optional_imports
from sesflow.mime import Attachment, Composed, Envelope, IcalEvent, Message, compose
from sesflow.send import (
    BotocoreTransport,
    BulkDestination,
    GCRALimiter,
    Mailer,
    MemoryTransport,
    RateLimiter,
    RedisLimiter,
    RetryPolicy,
    SendResult,
    SESTransport,
    TemplateContent,
    TemplatedMessage,
    Templates,
)

# Last: from here on ``sesflow.send`` is the one-call send function; ``from sesflow.send import ...`` still
# imports from the package (Python looks it up in sys.modules).
from sesflow.send.oneshot import send

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The sync pulls in dlt and pyarrow: imported on first use so `import sesflow` stays fast. ``sync`` is
    # the runner's package, which runs a replication when called (``sesflow.sync("replication.yaml")``).
    if name == "sync":
        with optional_imports("sync"):
            importlib.import_module("sesflow.sync.runner")
        return importlib.import_module("sesflow.sync")
    if name == "SyncSummary":
        with optional_imports("sync"):
            from sesflow.sync.summary import SyncSummary

        return SyncSummary
    raise AttributeError(f"module 'sesflow' has no attribute {name!r}")


__all__ = [
    "Attachment",
    "BotocoreTransport",
    "BulkDestination",
    "Composed",
    "ConfigError",
    "EmulatorError",
    "Envelope",
    "GCRALimiter",
    "IcalEvent",
    "Mailer",
    "MemoryTransport",
    "Message",
    "MessageError",
    "RateLimiter",
    "RedisLimiter",
    "RetryPolicy",
    "SESTransport",
    "SendError",
    "SendResult",
    "SesflowError",
    "SyncError",
    "SyncSummary",
    "TemplateContent",
    "TemplatedMessage",
    "Templates",
    "__version__",
    "compose",
    "send",
    "sync",
]
