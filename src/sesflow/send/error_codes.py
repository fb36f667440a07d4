"""Translation of SES error answers and transport failures into the ``sesflow.errors`` SendError classes.

One mapping from (SES code, message, HTTP status) to a class serves both ways a send can go: botocore's
``ClientError`` (``from_client_error``) and the answers ``send/wire.py`` reads itself (``from_answer``).
The translation decides safety: a retryable class says SES certainly did not take the message; an
``OutcomeUnknownError`` says the request was written and no answer came, so it must never be resent blindly.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from sesflow.errors import (
    AccountSendingPausedError,
    AuthError,
    ConfigurationSetDoesNotExistError,
    ConnectionFailedError,
    DailyQuotaExceededError,
    MailFromDomainNotVerifiedError,
    MessageError,
    MessageRejectedError,
    NotFoundError,
    OutcomeUnknownError,
    SendError,
    ServiceUnavailableError,
    ThrottlingError,
)

# SES error codes (v1 query protocol and v2 REST-JSON) -> class.
_BY_CODE: dict[str, type[SendError]] = {
    "Throttling": ThrottlingError,
    "ThrottlingException": ThrottlingError,
    "TooManyRequestsException": ThrottlingError,
    "MessageRejected": MessageRejectedError,
    "MailFromDomainNotVerifiedException": MailFromDomainNotVerifiedError,
    "MailFromDomainNotVerified": MailFromDomainNotVerifiedError,
    "AccountSendingPausedException": AccountSendingPausedError,
    "ConfigurationSetSendingPausedException": AccountSendingPausedError,
    "SendingPausedException": AccountSendingPausedError,
    "AccountSuspendedException": AccountSendingPausedError,
    "ConfigurationSetDoesNotExist": ConfigurationSetDoesNotExistError,
    "ConfigurationSetDoesNotExistException": ConfigurationSetDoesNotExistError,
    "NotFoundException": NotFoundError,
    "InvalidClientTokenId": AuthError,
    "SignatureDoesNotMatch": AuthError,
    "IncompleteSignature": AuthError,
    "MissingAuthenticationToken": AuthError,
    "AccessDenied": AuthError,
    "AccessDeniedException": AuthError,
    "UnrecognizedClientException": AuthError,
    "ExpiredToken": AuthError,
    "ExpiredTokenException": AuthError,
    "ServiceUnavailable": ServiceUnavailableError,
    "ServiceUnavailableException": ServiceUnavailableError,
    "InternalFailure": ServiceUnavailableError,
    "InternalError": ServiceUnavailableError,
    "InternalServerError": ServiceUnavailableError,
    "InternalServiceError": ServiceUnavailableError,
}

_HINTS: dict[type[SendError], str] = {
    ThrottlingError: "Lower the rate (or use rate 'auto') so that sends stay under the account's maximum.",
    DailyQuotaExceededError: "The 24-hour quota is used up: wait for it to free up or ask AWS for more.",
    MessageRejectedError: "Check the sender identity (verified? sandbox?) and the message content.",
    MailFromDomainNotVerifiedError: "Verify the custom MAIL FROM domain of the sender in SES.",
    AccountSendingPausedError: "Sending is paused for the account or configuration set: resume it in SES.",
    ConfigurationSetDoesNotExistError: "Create the configuration set or fix its name.",
    AuthError: "Check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...) and their permissions.",
    ConnectionFailedError: "Check the region or --endpoint-url and the network.",
    OutcomeUnknownError: "SES may or may not have sent it; look it up before sending again.",
}


def _is_daily_quota(message: str) -> bool:
    # SES reports the daily quota with the *throttling* code; only the text tells them apart.
    return "daily message quota" in message.lower()


def from_answer(code: str | None, message: str, status: int | None) -> SendError:
    """The SendError for an error answer from SES: its code (None when it had none), message and status."""
    cls: type[SendError]
    if _is_daily_quota(message):
        cls = DailyQuotaExceededError
    elif code in _BY_CODE:
        cls = _BY_CODE[code]
    elif status is not None and status >= 500:
        cls = ServiceUnavailableError
    elif status == 429:
        cls = ThrottlingError
    else:
        cls = SendError
    return cls(
        f"SES refused the send: {code or 'error'}: {message}",
        code=code or None,
        status=status,
        hint=_HINTS.get(cls),
    )


def from_client_error(exc: ClientError) -> SendError:
    """The SendError for an error answer from SES (any code, any status) as botocore raised it."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "") or None
    text = str(error.get("Message") or "") or str(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return from_answer(code, text, status if isinstance(status, int) else None)


def connection_failed(detail: object) -> ConnectionFailedError:
    """Nothing reached SES (refused, DNS failure, connect timeout, request not fully written): retry safe."""
    return ConnectionFailedError(
        f"Could not connect to SES: {detail}", code="ConnectionFailed", hint=_HINTS[ConnectionFailedError]
    )


def outcome_unknown(detail: object) -> OutcomeUnknownError:
    """The request was written and no (usable) answer came: SES may have taken it; never resend it."""
    return OutcomeUnknownError(
        f"No answer from SES after the request was sent: {detail}",
        code="OutcomeUnknown",
        hint=_HINTS[OutcomeUnknownError],
    )


def no_credentials(detail: object) -> AuthError:
    """No AWS credentials could be found or refreshed: nothing was sent."""
    return AuthError(f"No usable AWS credentials: {detail}", hint=_HINTS[AuthError])


def from_exception(exc: BaseException) -> SendError | MessageError | None:
    """The sesflow error for anything boto3 raised during a send, or None when it is not boto3's."""
    if isinstance(exc, ClientError):
        return from_client_error(exc)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return no_credentials(exc)
    if isinstance(exc, ParamValidationError):
        return MessageError(f"The SES request is not valid: {exc}")
    if isinstance(exc, BotoConnectionError):
        # Connection refused, DNS failure, connect timeout: nothing was written, a retry is safe.
        return connection_failed(exc)
    if isinstance(exc, ReadTimeoutError | HTTPClientError):
        return outcome_unknown(exc)
    if isinstance(exc, BotoCoreError):
        return OutcomeUnknownError(f"The send failed in botocore: {exc}", code="OutcomeUnknown")
    return None


__all__ = [
    "connection_failed",
    "from_answer",
    "from_client_error",
    "from_exception",
    "no_credentials",
    "outcome_unknown",
]
