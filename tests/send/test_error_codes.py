"""How SES error answers and botocore failures become sesflow SendError classes (no network here; the
emulator tests in test_transport.py check the same mapping over HTTP)."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from sesflow.errors import (
    AccountSendingPausedError,
    AuthError,
    ConfigurationSetDoesNotExistError,
    ConnectionFailedError,
    DailyQuotaExceededError,
    MailFromDomainNotVerifiedError,
    MessageRejectedError,
    NotFoundError,
    OutcomeUnknownError,
    SendError,
    ServiceUnavailableError,
    ThrottlingError,
)
from sesflow.send.error_codes import from_client_error, from_exception


def answer(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "SendEmail",
    )


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("Throttling", 400, ThrottlingError),
        ("TooManyRequestsException", 429, ThrottlingError),
        ("MessageRejected", 400, MessageRejectedError),
        ("MailFromDomainNotVerifiedException", 400, MailFromDomainNotVerifiedError),
        ("AccountSendingPausedException", 400, AccountSendingPausedError),
        ("SendingPausedException", 400, AccountSendingPausedError),
        ("ConfigurationSetDoesNotExist", 400, ConfigurationSetDoesNotExistError),
        ("NotFoundException", 404, NotFoundError),
        ("InvalidClientTokenId", 403, AuthError),
        ("SignatureDoesNotMatch", 403, AuthError),
        ("ServiceUnavailable", 503, ServiceUnavailableError),
        ("InternalFailure", 500, ServiceUnavailableError),
        ("SomethingNew", 502, ServiceUnavailableError),
        ("SomethingNew", 429, ThrottlingError),
        ("BadRequestException", 400, SendError),
    ],
)
def test_each_ses_code_maps_to_its_class(code: str, status: int, cls: type[SendError]) -> None:
    error = from_client_error(answer(code, "text", status))
    assert type(error) is cls
    assert error.code == code
    assert error.status == status


def test_daily_quota_keeps_the_throttling_code_but_is_not_retryable() -> None:
    error = from_client_error(answer("Throttling", "Daily message quota exceeded."))
    assert isinstance(error, DailyQuotaExceededError)
    assert error.code == "Throttling"
    assert not error.retryable


def test_maximum_sending_rate_exceeded_is_retryable_throttling() -> None:
    error = from_client_error(answer("Throttling", "Maximum sending rate exceeded."))
    assert isinstance(error, ThrottlingError)
    assert error.retryable


def test_connect_failure_is_retryable() -> None:
    error = from_exception(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert isinstance(error, ConnectionFailedError)
    assert error.retryable


@pytest.mark.parametrize(
    "exc",
    [
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_no_answer_after_the_request_went_out_is_unknown_and_not_retryable(exc: Exception) -> None:
    error = from_exception(exc)
    assert isinstance(error, OutcomeUnknownError)
    assert not error.retryable


def test_missing_credentials_are_an_auth_error() -> None:
    assert isinstance(from_exception(NoCredentialsError()), AuthError)


def test_other_exceptions_are_not_translated() -> None:
    assert from_exception(KeyError("x")) is None
