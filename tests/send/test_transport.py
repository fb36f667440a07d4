"""SESTransport against the emulator over HTTP: v2 and v1 raw sending, envelopes, options, configuration,
and every SES error the emulator can produce mapped to its SendError class."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Callable

import boto3
import pytest

from sesflow import BotocoreTransport, Mailer, SESTransport
from sesflow.emulator import Emulator
from sesflow.errors import (
    AuthError,
    ConfigError,
    ConfigurationSetDoesNotExistError,
    ConnectionFailedError,
    DailyQuotaExceededError,
    MessageError,
    MessageRejectedError,
    NotFoundError,
    OutcomeUnknownError,
    ServiceUnavailableError,
    ThrottlingError,
)
from sesflow.send import RawEmail
from tests.send.conftest import PATHS, SENDER, Private, build_transport, message, session

Make = Callable[..., SESTransport]

RAW = b"From: shop@example.com\r\nTo: ann@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def raw_email(*to: str, **options: object) -> RawEmail:
    return RawEmail(raw=RAW, from_=SENDER, to=to or ("ann@example.org",), options=options)


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_a_message_is_sent_and_its_ids_match_what_ses_stored(api: str, ses: Private, transport: Make) -> None:
    with Mailer(transport(api=api)) as mailer:
        result = mailer.send(message("ann@example.org"))
    assert result.status == "sent"
    assert result.attempts == 1
    stored = ses.messages()
    assert [m["MessageId"] for m in stored] == [result.response]
    assert result.message_id == f"<{result.response}@email.amazonses.com>"
    assert stored[0]["Destination"] == ["ann@example.org"]
    assert ses.sends()[0]["operation"] == ("SendEmail" if api == "v2" else "SendRawEmail")


def test_message_id_names_the_region_outside_us_east_1(transport: Make) -> None:
    with Mailer(transport(region="eu-west-1")) as mailer:
        result = mailer.send(message("ann@example.org"))
    assert result.message_id == f"<{result.response}@eu-west-1.amazonses.com>"


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_bcc_recipients_receive_the_message_but_appear_in_no_header(
    api: str, ses: Private, transport: Make
) -> None:
    with Mailer(transport(api=api)) as mailer:
        result = mailer.send(message("ann@example.org", cc=["cy@example.org"], bcc=["hidden@example.net"]))
    assert result.envelope is not None
    assert result.envelope.to == ("ann@example.org", "cy@example.org", "hidden@example.net")
    assert ses.messages(recipient="hidden@example.net")[0]["MessageId"] == result.response
    raw = ses.raw(str(result.response))
    headers = email.message_from_bytes(raw, policy=email.policy.default)
    assert "Bcc" not in headers
    assert b"hidden@example.net" not in raw


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_configuration_set_and_tags_pass_through(api: str, ses: Private, transport: Make) -> None:
    boto3_ses = session().client("sesv2", endpoint_url=ses.url)
    boto3_ses.create_configuration_set(ConfigurationSetName=f"orders-{api}")
    tags = [{"Name": "campaign", "Value": "autumn"}]
    with Mailer(transport(api=api)) as mailer:
        result = mailer.send(
            message("ann@example.org", ses={"EmailTags": tags}), ses={"ConfigurationSetName": f"orders-{api}"}
        )
    assert result.status == "sent"
    assert ses.messages()[0]["Tags"] == {"campaign": "autumn"}


def test_v2_only_options_are_refused_on_v1_before_sending(ses: Private, transport: Make) -> None:
    with Mailer(transport(api="v1")) as mailer, pytest.raises(MessageError, match="ListManagementOptions"):
        mailer.send(message("ann@example.org", ses={"ListManagementOptions": {"ContactListName": "x"}}))
    assert ses.sends() == []


def test_unknown_options_are_refused_before_sending(ses: Private, transport: Make) -> None:
    with Mailer(transport()) as mailer, pytest.raises(MessageError, match="Colour"):
        mailer.send(message("ann@example.org"), ses={"Colour": "blue"})
    assert ses.sends() == []


@pytest.mark.parametrize(
    ("api", "variable"), [("v2", "AWS_ENDPOINT_URL_SESV2"), ("v1", "AWS_ENDPOINT_URL_SES")]
)
def test_the_standard_endpoint_variables_are_honoured(
    api: str, variable: str, ses: Private, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, ses.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sent = SESTransport(api=api)
    try:
        assert sent.send_raw(raw_email())
    finally:
        sent.close()
    assert len(ses.sends()) == 1


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_rate_auto_reads_the_accounts_maximum_send_rate(api: str, transport: Make) -> None:
    with Emulator(port=0, max_send_rate=37) as slow:
        sender = transport(api=api, endpoint_url=slow.endpoint_url)
        with Mailer(sender, rate="auto") as mailer:
            assert mailer.rate == 37


def test_botocore_transport_refuses_a_client_of_another_service() -> None:
    with pytest.raises(ConfigError, match="sesv2"):
        BotocoreTransport(boto3.client("s3", region_name="us-east-1"))


def test_botocore_transport_takes_its_api_from_the_client() -> None:
    assert BotocoreTransport(boto3.client("ses", region_name="eu-west-1")).api == "v1"
    assert BotocoreTransport(boto3.client("sesv2", region_name="eu-west-1")).region == "eu-west-1"


def test_an_unknown_api_is_refused() -> None:
    with pytest.raises(ConfigError, match="api"):
        SESTransport(region="us-east-1", api="v3")


# -- errors over HTTP ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("api", "code"), [("v2", "TooManyRequestsException"), ("v1", "Throttling")])
def test_maximum_rate_exceeded_is_a_throttling_error(api: str, code: str, path: str) -> None:
    with Emulator(port=0, max_send_rate=1) as tight:
        sender = build_transport(tight.endpoint_url, api, path=path)
        sender.send_raw(raw_email())
        with pytest.raises(ThrottlingError) as caught:
            sender.send_raw(raw_email())
        sender.close()
    assert caught.value.code == code
    assert caught.value.retryable


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("api", ["v2", "v1"])
def test_daily_quota_exceeded_is_its_own_error_and_not_retried(api: str, path: str) -> None:
    with Emulator(port=0, max_24h_send=1) as quota:
        sender = build_transport(quota.endpoint_url, api, path=path)
        with Mailer(sender) as mailer:
            assert mailer.send(message("ann@example.org")).status == "sent"
            result = mailer.send(message("bob@example.org"))
        sender.close()
        attempts = Private(quota.endpoint_url).sends()
    assert result.status == "failed"
    assert isinstance(result.error, DailyQuotaExceededError)
    assert result.attempts == 1
    assert len(attempts) == 2


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("api", ["v2", "v1"])
def test_unverified_sender_is_message_rejected(api: str, path: str) -> None:
    with Emulator(port=0, verify_identities=True) as strict:
        sender = build_transport(strict.endpoint_url, api, path=path)
        with pytest.raises(MessageRejectedError) as caught:
            sender.send_raw(raw_email())
        sender.close()
    assert caught.value.code == "MessageRejected"
    assert not caught.value.retryable


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("api", "cls"), [("v2", NotFoundError), ("v1", ConfigurationSetDoesNotExistError)]
)  # fmt: skip
def test_missing_configuration_set_is_reported(
    api: str, cls: type[Exception], path: str, transport: Make
) -> None:
    with pytest.raises(cls):
        transport(api=api, path=path).send_raw(raw_email(ConfigurationSetName="nope"))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_service_unavailable(status: int, path: str, ses: Private, transport: Make) -> None:
    ses.fault(operation="SendEmail", status=status, count=1)
    with pytest.raises(ServiceUnavailableError) as caught:
        transport(path=path).send_raw(raw_email())
    assert caught.value.status == status
    assert caught.value.retryable


@pytest.mark.parametrize("path", PATHS)
def test_refused_connection_is_a_retryable_connection_failure(path: str, transport: Make) -> None:
    url = "http://127.0.0.1:1"  # nothing listens on port 1
    with pytest.raises(ConnectionFailedError) as caught:
        transport(endpoint_url=url, connect_timeout=2, path=path).send_raw(raw_email())
    assert caught.value.retryable


@pytest.mark.parametrize("path", PATHS)
def test_refused_credentials_are_an_auth_error(path: str) -> None:
    with Emulator(port=0, auth="strict", credentials=[("AKIDGOOD", "good-secret")]) as strict:
        sender = build_transport(strict.endpoint_url, path=path)
        with pytest.raises(AuthError):
            sender.send_raw(raw_email())
        sender.close()


@pytest.mark.parametrize("path", PATHS)
def test_no_answer_in_time_is_unknown_and_never_resent(path: str, ses: Private, transport: Make) -> None:
    ses.fault(latency_ms=1000, operation="SendEmail")
    with Mailer(transport(read_timeout=0.3, path=path)) as mailer:  # the default retry policy
        result = mailer.send(message("ann@example.org"))
    assert result.status == "unknown"
    assert isinstance(result.error, OutcomeUnknownError)
    assert result.attempts == 1
    time.sleep(1.2)  # let the slow answer finish on the emulator's side
    assert len(ses.sends()) == 1  # one request: neither sesflow nor botocore sent it again
    assert len(ses.messages()) == 1  # and SES did take it: a resend would have delivered it twice
