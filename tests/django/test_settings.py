"""Django settings read by the backend: django-ses's names work, a wrong type is an error naming the
setting (nothing is sent, fail_silently or not), and secrets never show."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core import mail
from django.test.utils import override_settings

from sesflow.django import EmailBackend
from sesflow.errors import ConfigError
from tests.emulator_process import EmulatorProcess

SECRET = "django-secret-never-shown-4f1c"  # AWS_SES_SECRET_ACCESS_KEY in tests/django/settings.py


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        (
            "SESFLOW_RATE",
            "14/s",
            "settings.SESFLOW_RATE: expected a positive number of recipients per second",
        ),
        ("SESFLOW_RATE", 0, "settings.SESFLOW_RATE: expected a positive number"),
        ("SESFLOW_MAX_CONNECTIONS", "10", "settings.SESFLOW_MAX_CONNECTIONS: expected a whole number"),
        ("SESFLOW_MAX_CONNECTIONS", True, "settings.SESFLOW_MAX_CONNECTIONS: expected a whole number"),
        ("SESFLOW_REDIS_URL", "localhost:6379", "settings.SESFLOW_REDIS_URL: expected a Redis URL"),
        ("SESFLOW_API", "v3", "settings.SESFLOW_API: expected 'v2' or 'v1'"),
        ("SESFLOW_CELERY", "yes", "settings.SESFLOW_CELERY: expected True or False"),
        ("SESFLOW_CELERY_OPTIONS", ["queue"], "settings.SESFLOW_CELERY_OPTIONS: expected a dict"),
        ("USE_SES_V2", 1, "settings.USE_SES_V2: expected True or False"),
        ("AWS_SES_REGION_NAME", 5, "settings.AWS_SES_REGION_NAME: expected non-empty text"),
        ("AWS_SES_REGION_NAME", "us east", "settings.AWS_SES_REGION_NAME: 'us east' is not an AWS region"),
        ("AWS_SES_REGION_ENDPOINT_URL", "email.amazonaws", "settings.AWS_SES_REGION_ENDPOINT_URL: "),
        ("AWS_SES_CONFIGURATION_SET", 3, "settings.AWS_SES_CONFIGURATION_SET: expected a name or a callable"),
        ("AWS_SES_RETURN_PATH", ["a@example.com"], "settings.AWS_SES_RETURN_PATH: expected text"),
        ("DKIM_HEADERS", "From", "settings.DKIM_HEADERS: expected a list of header names"),
    ],
)
@pytest.mark.parametrize("fail_silently", [False, True])
def test_a_setting_of_the_wrong_type_is_an_error_naming_it_and_nothing_is_sent(
    ses: EmulatorProcess, setting: str, value: Any, says: str, fail_silently: bool
) -> None:
    extra = {"DKIM_DOMAIN": "example.com", "DKIM_PRIVATE_KEY": "x"} if setting.startswith("DKIM") else {}
    with override_settings(**{setting: value}, **extra), pytest.raises(ConfigError) as refused:
        mail.send_mail("Never", "x", "shop@example.com", ["a@example.com"], fail_silently=fail_silently)
    assert refused.value.message.startswith(says)
    assert refused.value.exit_code == 2
    assert ses.sends() == []


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("DKIM_HEADERS", 5, "settings.DKIM_HEADERS: expected a list of header names"),
        ("DKIM_PRIVATE_KEY", 12345, "settings.DKIM_PRIVATE_KEY: expected PEM text or bytes"),
        ("DKIM_SELECTOR", ["ses"], "settings.DKIM_SELECTOR: expected text"),
    ],
)
def test_a_dkim_setting_of_the_wrong_type_is_an_error_while_dkim_is_off(
    ses: EmulatorProcess, setting: str, value: Any, says: str
) -> None:
    with override_settings(**{setting: value}), pytest.raises(ConfigError) as refused:  # no DKIM_DOMAIN
        mail.send_mail("Never", "x", "shop@example.com", ["a@example.com"])
    assert refused.value.message.startswith(says)
    assert ses.sends() == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("AWS_SES_SECRET_ACCESS_KEY", 98765432109876543210),
        ("AWS_SES_SESSION_TOKEN", ["token-part-one-7c2e"]),
        ("AWS_SES_ACCESS_KEY_ID", 12345678901234567890),
        ("DKIM_PRIVATE_KEY", 55555555555555555555),
    ],
)
def test_a_secret_setting_of_the_wrong_type_is_named_but_never_shown(setting: str, value: Any) -> None:
    extra = {"DKIM_DOMAIN": "example.com"} if setting.startswith("DKIM") else {}
    with override_settings(**{setting: value}, **extra), pytest.raises(ConfigError) as refused:
        mail.get_connection()
    assert f"settings.{setting}: expected" in str(refused.value)
    shown = str(value[0] if isinstance(value, list) else value)
    assert shown not in str(refused.value) and shown not in repr(refused.value)


def test_a_redis_url_password_is_never_shown(ses: EmulatorProcess) -> None:
    url = "redis://app:hunter2secret@localhost:63o9/0"  # a letter o in the port
    with override_settings(SESFLOW_REDIS_URL=url), pytest.raises(ConfigError) as refused:
        mail.get_connection()
    assert "settings.SESFLOW_REDIS_URL" in str(refused.value)
    assert "hunter2secret" not in str(refused.value)
    assert "***@localhost" in str(refused.value)


def test_the_secret_key_appears_in_no_repr_error_or_log(
    ses: EmulatorProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ses.fault(operation="SendEmail", error_code="MessageRejected", count=1)
    connection = mail.get_connection()
    assert SECRET not in repr(connection.settings)
    with pytest.raises(Exception) as refused:
        mail.send_mail("Refused", "x", "shop@example.com", ["a@example.com"], connection=connection)
    assert SECRET not in str(refused.value) and SECRET not in repr(refused.value)
    assert SECRET not in caplog.text


def test_django_ses_settings_are_read_under_their_names() -> None:
    with override_settings(
        AWS_SES_REGION_NAME="eu-west-1",
        AWS_SES_REGION_ENDPOINT_URL=None,
        AWS_SES_REGION_ENDPOINT="email.eu-west-1.amazonaws.com",
        AWS_SES_ACCESS_KEY_ID="AKIDX",
        AWS_SES_SESSION_TOKEN="tok",
        AWS_SES_CONFIGURATION_SET="tx",
        AWS_SES_FROM_ARN="arn:aws:ses:eu-west-1:1:identity/example.com",
        USE_SES_V2=True,
        SESFLOW_RATE=20,
    ):
        backend = mail.get_connection()
    assert isinstance(backend, EmailBackend)
    read = backend.settings
    assert (read.mailer.region, read.mailer.endpoint_url) == (
        "eu-west-1",
        "https://email.eu-west-1.amazonaws.com",
    )
    assert (read.mailer.access_key_id, read.mailer.secret_access_key, read.mailer.session_token) == (
        "AKIDX", SECRET, "tok",
    )  # fmt: skip
    assert (read.mailer.api, read.mailer.rate, read.configuration_set) == ("v2", 20.0, "tx")
    assert read.ses_options() == {
        "FromEmailAddressIdentityArn": "arn:aws:ses:eu-west-1:1:identity/example.com"
    }


def test_v1_gets_each_sending_authorization_arn_under_its_own_name() -> None:
    with override_settings(
        USE_SES_V2=False,
        AWS_SES_SOURCE_ARN="arn:s",
        AWS_SES_FROM_ARN="arn:f",
        AWS_SES_RETURN_PATH_ARN="arn:r",
    ):
        backend = mail.get_connection()
    assert backend.settings.ses_options() == {
        "SourceArn": "arn:s",
        "FromArn": "arn:f",
        "ReturnPathArn": "arn:r",
    }
