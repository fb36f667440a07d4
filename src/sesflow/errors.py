"""The one exception tree of sesflow.

Every error sesflow raises on purpose is a ``SesflowError``. Each carries a message that says what was
wrong and, where there is one, a ``hint`` that says what to do. The command line maps ``exit_code``
straight to the process exit status: 2 for bad usage or configuration, 1 for work that failed.

::

    SesflowError                         exit 1 unless a subclass says otherwise
    ├── ConfigError                      exit 2: a config file, connection, flag or argument is wrong
    │   ├── MissingExtraError            an optional package is not installed (also an ImportError)
    │   └── CampaignInvalidError         a campaign's rows failed validation (``problems`` lists them)
    ├── MessageError                     exit 2: a message cannot be composed or is not sendable as given
    ├── SendError                        exit 1: SES did not accept a message (``code`` = the SES error code)
    │   ├── ThrottlingError              Throttling / TooManyRequestsException (retryable)
    │   ├── DailyQuotaExceededError      "Daily message quota exceeded." (never retried)
    │   ├── MessageRejectedError         MessageRejected (permanent)
    │   ├── MailFromDomainNotVerifiedError
    │   ├── AccountSendingPausedError
    │   ├── ConfigurationSetDoesNotExistError
    │   ├── NotFoundError                NotFoundException (an identity, configuration set, ... is missing)
    │   ├── AuthError                    InvalidClientTokenId, SignatureDoesNotMatch, AccessDenied, ...
    │   ├── ServiceUnavailableError      HTTP 5xx from SES (retryable)
    │   ├── ConnectionFailedError        the request never reached SES (retryable)
    │   ├── LimiterUnavailableError      the shared rate limiter (Redis) could not be asked: nothing sent
    │   ├── OutcomeUnknownError          the request was written but no answer came (never resent)
    │   ├── TemplateRenderError          a template does not render with the data (a variable is missing)
    │   └── ClaimRefusedError            a campaign row was not claimed in its ledger: nothing was sent
    │       └── LedgerLostError          ... because the ledger cannot be written (the run stops)
    ├── SyncError                        exit 1: a sync failed; its state did not advance past what loaded
    │   ├── ExportJobFailedError         an export job ended FAILED or CANCELLED after the allowed retries
    │   ├── ExportLimitError             a window hit the export cap and cannot (or may not) be split
    │   ├── ExportTimeoutError           an export job did not finish within job_timeout
    │   ├── DownloadError                the export file could not be downloaded or was cut short
    │   ├── AccessDeniedError            the credentials may not call an operation a stream needs
    │   ├── StreamsFailedError           several streams of a run failed (``failures``); the others loaded
    │   ├── TargetBusyError              exit 2: another run holds the target (``--no-wait``)
    │   └── SyncInterrupted              exit 130: stopped by ctrl-C; says what the saved state covers
    ├── CampaignError                    exit 1: a campaign run could not go on (ledger lost, SES refused it)
    └── EmulatorError                    exit 1: the local SES emulator could not start or answer
"""

from __future__ import annotations

from typing import ClassVar


class SesflowError(Exception):
    """Base of every error sesflow raises on purpose.

    ``message`` says what is wrong; ``hint`` (optional) says what to do about it.
    """

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message


class ConfigError(SesflowError):
    """A configuration file, connection, command line flag or argument is wrong."""

    exit_code: ClassVar[int] = 2


class MissingExtraError(ConfigError, ImportError):
    """An optional package is not installed; the message names the pip command of the extra that brings it.

    Also an ``ImportError``, so ``except ImportError`` around an optional import keeps working.
    """

    def __init__(self, message: str, *, extra: str, package: str) -> None:
        super().__init__(message)
        self.extra = extra
        self.package = package
        self.name = package  # ImportError's field: the module that could not be imported


class MessageError(SesflowError):
    """A message cannot be composed, or cannot be sent as given (too many recipients, too large, ...)."""

    exit_code: ClassVar[int] = 2


class SendError(SesflowError):
    """SES did not accept a message.

    ``code`` is the SES error code (``Throttling``, ``MessageRejected``, ...), ``status`` the HTTP status
    when there was an answer, and ``retryable`` whether a resend can be safe and useful.
    """

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status


class ThrottlingError(SendError):
    """The maximum sending rate was exceeded (``Throttling`` in v1, ``TooManyRequestsException`` in v2)."""

    retryable: ClassVar[bool] = True


class DailyQuotaExceededError(SendError):
    """The 24-hour sending quota is used up; retrying before the quota frees up cannot succeed."""


class MessageRejectedError(SendError):
    """SES rejected the message itself (content, unverified address in the sandbox, ...)."""


class MailFromDomainNotVerifiedError(SendError):
    """The custom MAIL FROM domain of the sender is not verified."""


class AccountSendingPausedError(SendError):
    """Sending is paused for the account (or for the configuration set)."""


class ConfigurationSetDoesNotExistError(SendError):
    """The configuration set named in the send does not exist."""


class NotFoundError(SendError):
    """A resource named in the request (identity, configuration set, ...) does not exist."""


class AuthError(SendError):
    """The credentials were refused (unknown key, bad signature, access denied)."""


class ServiceUnavailableError(SendError):
    """SES answered with a 5xx status: it did not accept the message, so a retry is safe."""

    retryable: ClassVar[bool] = True


class ConnectionFailedError(SendError):
    """The request never reached SES (connection refused, DNS failure): a retry is safe."""

    retryable: ClassVar[bool] = True


class LimiterUnavailableError(SendError):
    """The shared rate limiter (Redis) could not be asked, so nothing was sent (fail closed); retryable."""

    retryable: ClassVar[bool] = True


class OutcomeUnknownError(SendError):
    """The request was written but no answer came: SES may or may not have accepted the message.

    SES has no idempotency key, so sesflow never resends such a message on its own.
    """


class TemplateRenderError(SendError):
    """SES could not render a template with the data given (``TestRenderEmailTemplate``): a variable the
    template prints is missing from the data (``variable`` names it, when SES's message does), or the data
    does not fit the template."""

    def __init__(
        self,
        message: str,
        *,
        variable: str | None = None,
        code: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, hint=hint)
        self.variable = variable


class ClaimRefusedError(SendError):
    """A campaign's ledger did not make the row ``sending`` before its request (another worker holds it,
    or the run is stopping), so the request was never made. Not retried."""


class LedgerLostError(ClaimRefusedError):
    """The campaign's ledger cannot be written, so no claim can be made durable: nothing was sent, and the
    run stops."""


class SyncError(SesflowError):
    """A sync failed. The saved state did not advance past what was loaded.

    ``summary`` is the run's ``SyncSummary`` when the error ends a run whose other streams went on (set by
    ``sesflow.sync``; None otherwise).
    """

    summary: object | None = None


class ExportJobFailedError(SyncError):
    """An export job ended FAILED or CANCELLED after the allowed number of retries."""


class ExportLimitError(SyncError):
    """A window hit the export record cap and cannot (or, with ``on_limit: fail``, may not) be split."""


class ExportTimeoutError(SyncError):
    """An export job did not reach a final state within ``job_timeout``."""


class DownloadError(SyncError):
    """The export file could not be downloaded, or the download was cut short."""


class AccessDeniedError(SyncError):
    """The credentials may not call an SES operation a stream needs.

    ``action`` is the IAM action to grant (``ses:ListSuppressedDestinations``); ``stream`` the stream that
    needed it, when known.
    """

    def __init__(
        self, message: str, *, action: str, stream: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.action = action
        self.stream = stream


class StreamsFailedError(SyncError):
    """More than one stream of a run failed; ``failures`` maps each to its error. The other streams loaded."""

    def __init__(self, message: str, *, failures: dict[str, SyncError], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.failures = failures


class TargetBusyError(SyncError):
    """Another run holds the target's lock, and the run was told not to wait (``--no-wait``)."""

    exit_code: ClassVar[int] = 2


class SyncInterrupted(SyncError):
    """The sync was stopped (ctrl-C); the message says what the state saved in the target covers."""

    exit_code: ClassVar[int] = 130


class CampaignInvalidError(ConfigError):
    """Rows of a campaign failed validation; nothing was sent.

    ``problems`` holds every problem found (``row``, ``column``, ``message``, ``email``), ``total`` how many
    there were (the list may be cut short for a very large file).
    """

    def __init__(
        self, message: str, *, problems: tuple[object, ...], total: int, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems
        self.total = total


class CampaignError(SesflowError):
    """A campaign run could not go on: its ledger became unreachable, or SES refused every send (auth,
    paused account, daily quota). What was sent is recorded; the rest is resumable."""


class EmulatorError(SesflowError):
    """The local SES emulator could not start or could not answer."""


__all__ = [
    "AccessDeniedError",
    "AccountSendingPausedError",
    "AuthError",
    "CampaignError",
    "CampaignInvalidError",
    "ClaimRefusedError",
    "ConfigError",
    "ConfigurationSetDoesNotExistError",
    "ConnectionFailedError",
    "DailyQuotaExceededError",
    "DownloadError",
    "EmulatorError",
    "ExportJobFailedError",
    "ExportLimitError",
    "ExportTimeoutError",
    "LedgerLostError",
    "LimiterUnavailableError",
    "MailFromDomainNotVerifiedError",
    "MessageError",
    "MessageRejectedError",
    "MissingExtraError",
    "NotFoundError",
    "OutcomeUnknownError",
    "SendError",
    "ServiceUnavailableError",
    "SesflowError",
    "StreamsFailedError",
    "SyncError",
    "SyncInterrupted",
    "TargetBusyError",
    "TemplateRenderError",
    "ThrottlingError",
]
