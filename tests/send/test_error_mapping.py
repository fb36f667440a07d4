"""SES's permanent sending errors, answered over HTTP by the emulator (injected with
``POST /_sesflow/faults``), reach the caller as their SendError class, on the lean path and through a
passed botocore client alike: failed after one attempt, never retried, nothing stored.

The codes are the ones botocore's models give (``ses``: MailFromDomainNotVerifiedException,
AccountSendingPausedException, ConfigurationSetSendingPausedException; ``sesv2``:
MailFromDomainNotVerifiedException, SendingPausedException), plus ``MailFromDomainNotVerified`` as AWS's
SendRawEmail reference spells it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sesflow import Mailer, RetryPolicy, SESTransport
from sesflow.errors import AccountSendingPausedError, MailFromDomainNotVerifiedError, SendError
from tests.send.conftest import PATHS, Private, message

Make = Callable[..., SESTransport]
# Would retry anything retryable several times, quickly: a second attempt would show in the sends log.
EAGER_RETRY = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.02)


@pytest.mark.parametrize(
    ("api", "operation", "code", "cls"),
    [
        ("v2", "SendEmail", "MailFromDomainNotVerifiedException", MailFromDomainNotVerifiedError),
        ("v2", "SendEmail", "SendingPausedException", AccountSendingPausedError),
        ("v1", "SendRawEmail", "MailFromDomainNotVerifiedException", MailFromDomainNotVerifiedError),
        ("v1", "SendRawEmail", "MailFromDomainNotVerified", MailFromDomainNotVerifiedError),
        ("v1", "SendRawEmail", "AccountSendingPausedException", AccountSendingPausedError),
        ("v1", "SendRawEmail", "ConfigurationSetSendingPausedException", AccountSendingPausedError),
    ],
)
@pytest.mark.parametrize("path", PATHS)
def test_permanent_sending_errors_fail_after_one_attempt(
    api: str, operation: str, code: str, cls: type[SendError], path: str, ses: Private, transport: Make
) -> None:
    text = f"{code}: injected for this test."
    ses.fault(operation=operation, error_code=code, status=400, message=text, count=5)
    with Mailer(transport(api=api, path=path), retry=EAGER_RETRY) as mailer:
        result = mailer.send(message("ann@example.org", bcc=["bob@example.org"]))
    assert result.status == "failed"
    assert result.attempts == 1
    assert type(result.error) is cls
    assert isinstance(result.error, SendError)
    assert (result.error.code, result.error.status) == (code, 400)
    assert not result.error.retryable
    assert text in result.error.message
    assert result.response is None and result.message_id is None
    assert [(s["status"], s["recipients"], s["operation"]) for s in ses.sends()] == [(400, 2, operation)]
    assert ses.messages() == []


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("api", ["v2", "v1"])
def test_the_default_retry_policy_does_not_retry_them_either(
    api: str, path: str, ses: Private, transport: Make
) -> None:
    operation = "SendEmail" if api == "v2" else "SendRawEmail"
    ses.fault(operation=operation, error_code="MailFromDomainNotVerifiedException", status=400)
    with Mailer(transport(api=api, path=path)) as mailer:
        result = mailer.send(message("ann@example.org"))
    assert result.status == "failed" and result.attempts == 1
    assert isinstance(result.error, MailFromDomainNotVerifiedError)
    assert len(ses.sends()) == 1
