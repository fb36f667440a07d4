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


# SendBulkEmail's per-destination statuses (v2 BulkEmailStatus; the names SES documents beside the model's,
# and v1 SendBulkTemplatedEmail's) -> class. What is not listed is a permanent SendError.
_BY_BULK_STATUS: dict[str, type[SendError]] = {
    "MESSAGE_REJECTED": MessageRejectedError,
    "MAIL_FROM_DOMAIN_NOT_VERIFIED": MailFromDomainNotVerifiedError,
    "CONFIGURATION_SET_NOT_FOUND": ConfigurationSetDoesNotExistError,
    "CONFIGURATION_SET_DOES_NOT_EXIST": ConfigurationSetDoesNotExistError,
    "TEMPLATE_NOT_FOUND": NotFoundError,
    "TEMPLATE_DOES_NOT_EXIST": NotFoundError,
    "ACCOUNT_SENDING_PAUSED": AccountSendingPausedError,
    "CONFIGURATION_SET_SENDING_PAUSED": AccountSendingPausedError,
    "ACCOUNT_SUSPENDED": AccountSendingPausedError,
    "ACCOUNT_THROTTLED": ThrottlingError,
    "ACCOUNT_DAILY_QUOTA_EXCEEDED": DailyQuotaExceededError,
    "TRANSIENT_FAILURE": ServiceUnavailableError,
}
_BULK_HINTS: dict[str, str] = {
    "TEMPLATE_NOT_FOUND": "Create the template (sesflow templates push DIR) or fix its name.",
    "TEMPLATE_DOES_NOT_EXIST": "Create the template (sesflow templates push DIR) or fix its name.",
    "INVALID_PARAMETER": "Check this destination's addresses, data, tags and headers.",
    "INVALID_SENDING_POOL_NAME": "Check the configuration set's dedicated IP pool.",
}


def from_bulk_status(status: str, message: str | None) -> SendError:
    """The SendError of one SendBulkEmail destination whose ``Status`` was not ``SUCCESS``; its ``code`` is
    the status (``ACCOUNT_THROTTLED``, ``MESSAGE_REJECTED``, ...), retryable for a throttle or a transient
    failure only."""
    key = status.upper()
    cls = _BY_BULK_STATUS.get(key, SendError)
    text = message or status
    if cls is ThrottlingError and _is_daily_quota(text):
        cls = DailyQuotaExceededError
    return cls(
        f"SES did not send to this destination: {status}: {text}",
        code=status,
        hint=_BULK_HINTS.get(key) or _HINTS.get(cls),
    )


def bulk_status(error: SendError) -> str:
    """The SendBulkEmail status SES gives a destination that failed with ``error`` (the reverse of
    ``from_bulk_status``, for transports that play SES)."""
    if error.code and error.code.upper() in _BY_BULK_STATUS:
        return error.code.upper()
    for status, cls in _BY_BULK_STATUS.items():
        if type(error) is cls:
            return status
    return "TRANSIENT_FAILURE" if error.retryable else "FAILED"


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
    "bulk_status",
    "connection_failed",
    "from_answer",
    "from_bulk_status",
    "from_client_error",
    "from_exception",
    "no_credentials",
    "outcome_unknown",
]
