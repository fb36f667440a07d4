"""``EMAIL_BACKEND = "sesflow.django.EmailBackend"``: Django's mail API sends through SES (the emulator)."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from email.mime.image import MIMEImage
from pathlib import Path
from typing import Any

import boto3
import dkim
import pytest
from django.core import mail
from django.test.utils import override_settings

from sesflow.django import EmailBackend
from sesflow.errors import MessageRejectedError
from tests.emulator_process import EmulatorProcess

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_send_mail_sends_one_message_and_returns_1(ses: EmulatorProcess) -> None:
    sent = mail.send_mail("Welcome", "Hello Ann.", "shop@example.com", ["ann@example.com"])
    assert sent == 1
    [stored] = ses.messages()
    assert stored["Subject"] == "Welcome"
    assert stored["Destination"] == ["ann@example.com"]
    assert ses.parsed(stored["MessageId"]).get_content().strip() == "Hello Ann."


def test_send_mass_mail_returns_how_many_were_sent(ses: EmulatorProcess) -> None:
    datatuples = [(f"Note {n}", "Body", None, [f"r{n}@example.com"]) for n in range(5)]
    assert mail.send_mass_mail(datatuples) == 5
    assert sorted(m["Subject"] for m in ses.messages()) == [f"Note {n}" for n in range(5)]
    assert {m["From"] for m in ses.messages()} == {"shop@example.com"}  # DEFAULT_FROM_EMAIL's address


def test_to_cc_bcc_reply_to_and_headers_reach_ses_as_django_renders_them(ses: EmulatorProcess) -> None:
    message = mail.EmailMessage(
        subject="Your order",
        body="It ships today.",
        from_email="Shop <shop@example.com>",
        to=["Ann <ann@example.com>"],
        cc=["bob@example.com"],
        bcc=["audit@example.com"],
        reply_to=["help@example.com"],
        headers={"X-Order": "1042"},
    )
    assert message.send() == 1
    [stored] = ses.messages()
    assert sorted(stored["Destination"]) == ["ann@example.com", "audit@example.com", "bob@example.com"]
    parsed = ses.parsed(stored["MessageId"])
    assert parsed["To"] == "Ann <ann@example.com>"
    assert parsed["Cc"] == "bob@example.com"
    assert parsed["Reply-To"] == "help@example.com"
    assert parsed["X-Order"] == "1042"
    assert parsed["Bcc"] is None  # bcc recipients are in the envelope only


def test_alternatives_attachments_and_inline_images_arrive(ses: EmulatorProcess, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_text("day,sent\n1,10\n")
    message = mail.EmailMultiAlternatives(
        "Weekly report", "Plain text.", "shop@example.com", ["ann@example.com"]
    )
    message.attach_alternative('<p>HTML <img src="cid:logo"></p>', "text/html")
    message.attach_file(str(report))
    message.attach("data.bin", b"\x00\x01\x02", "application/octet-stream")
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<logo>")
    image.add_header("Content-Disposition", "inline", filename="logo.png")
    message.attach(image)
    assert message.send() == 1

    parsed = ses.parsed(ses.messages()[0]["MessageId"])
    body = parsed.get_body(("html",))
    assert body is not None and "cid:logo" in body.get_content()
    plain = parsed.get_body(("plain",))
    assert plain is not None and plain.get_content().strip() == "Plain text."
    parts = {part.get_filename(): part for part in parsed.walk() if part.get_filename()}
    assert parts["report.csv"].get_content().replace("\r\n", "\n") == "day,sent\n1,10\n"
    assert parts["data.bin"].get_content() == b"\x00\x01\x02"
    assert parts["logo.png"]["Content-ID"] == "<logo>"
    assert parts["logo.png"].get_content() == PNG


def test_one_connection_sends_a_batch_on_parallel_connections(ses: EmulatorProcess) -> None:
    messages = [
        mail.EmailMessage(f"Batch {n}", "x", "shop@example.com", [f"b{n}@example.com"]) for n in range(40)
    ]
    with mail.get_connection() as connection:
        assert isinstance(connection, EmailBackend)
        assert connection.send_messages(messages) == 40
        assert connection._mailer is not None and connection._mailer.max_connections == 4
    assert len(ses.messages()) == 40
    assert len(ses.sends()) == 40


def test_each_message_gets_its_send_result(ses: EmulatorProcess) -> None:
    message = mail.EmailMessage("Result", "x", "shop@example.com", ["ann@example.com"])
    message.send()
    result = message.sesflow_result  # type: ignore[attr-defined]
    assert result.status == "sent"
    assert result.response == ses.messages()[0]["MessageId"]


def test_a_message_without_recipients_is_not_sent_nor_counted(ses: EmulatorProcess) -> None:
    assert mail.EmailMessage("Nobody", "x", "shop@example.com", []).send() == 0
    assert ses.sends() == []


def test_fail_silently_returns_the_count_sent_instead_of_raising(ses: EmulatorProcess) -> None:
    ses.fault(operation="SendEmail", error_code="MessageRejected", count=1)
    assert mail.send_mail("Refused", "x", "shop@example.com", ["a@example.com"], fail_silently=True) == 0
    assert mail.send_mail("Accepted", "x", "shop@example.com", ["a@example.com"], fail_silently=True) == 1
    assert [m["Subject"] for m in ses.messages()] == ["Accepted"]


def test_without_fail_silently_a_refused_message_raises_its_ses_error(ses: EmulatorProcess) -> None:
    ses.fault(operation="SendEmail", error_code="MessageRejected", count=1)
    messages = [mail.EmailMessage(f"m{n}", "x", "shop@example.com", [f"{n}@example.com"]) for n in range(3)]
    with pytest.raises(MessageRejectedError) as refused:
        mail.get_connection().send_messages(messages)
    assert refused.value.code == "MessageRejected"
    assert sorted(m.sesflow_result.status for m in messages) == ["failed", "sent", "sent"]  # type: ignore[attr-defined]
    assert len(ses.messages()) == 2  # the others were still sent


def test_throttled_sends_are_retried_and_count_as_sent(ses: EmulatorProcess) -> None:
    ses.fault(operation="SendEmail", error_code="TooManyRequestsException", status=429, count=1)
    assert mail.send_mail("Throttled once", "x", "shop@example.com", ["a@example.com"]) == 1
    assert [s["status"] for s in ses.sends()] == [429, 200]


def test_use_ses_v2_false_sends_with_send_raw_email(ses: EmulatorProcess) -> None:
    with override_settings(USE_SES_V2=False):
        assert mail.send_mail("v1", "x", "shop@example.com", ["a@example.com"]) == 1
    assert [s["operation"] for s in ses.sends()] == ["SendRawEmail"]


def test_configuration_set_and_return_path_settings_reach_ses(ses: EmulatorProcess) -> None:
    client = boto3.client(
        "sesv2",
        endpoint_url=ses.url,
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )
    client.create_configuration_set(ConfigurationSetName="transactional")
    try:
        with override_settings(
            AWS_SES_CONFIGURATION_SET="transactional", AWS_SES_RETURN_PATH="bounce@example.com"
        ):
            assert mail.send_mail("Tracked", "x", "shop@example.com", ["a@example.com"]) == 1
        with (
            override_settings(AWS_SES_CONFIGURATION_SET="missing"),
            pytest.raises(Exception, match="missing"),
        ):
            mail.send_mail("Untracked", "x", "shop@example.com", ["a@example.com"])
    finally:
        client.delete_configuration_set(ConfigurationSetName="transactional")
    [stored] = ses.messages()
    assert stored["From"] == "bounce@example.com"  # the envelope sender
    assert ses.parsed(stored["MessageId"])["From"] == "shop@example.com"


def test_a_configuration_set_callable_chooses_per_message(ses: EmulatorProcess) -> None:
    seen: list[Any] = []

    def choose(message: mail.EmailMessage, **dkim: Any) -> str | None:
        seen.append((message.subject, sorted(dkim)))
        return None

    with override_settings(AWS_SES_CONFIGURATION_SET=choose):
        assert mail.send_mail("Chosen", "x", "shop@example.com", ["a@example.com"]) == 1
    assert seen == [("Chosen", ["dkim_domain", "dkim_headers", "dkim_key", "dkim_selector"])]


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(PEM private key, base64 DER public key) of a fresh RSA key made by openssl."""
    private = tmp_path_factory.mktemp("dkim") / "key.pem"
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(private), "2048"], check=True, capture_output=True
    )
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return private.read_text(), base64.b64encode(der).decode()


def dns(records: dict[str, str]) -> Callable[..., bytes | None]:
    """A dnsfunc for dkimpy answering TXT lookups from ``records``."""

    def lookup(name: bytes | str, timeout: int = 5) -> bytes | None:
        key = name.decode() if isinstance(name, bytes) else name
        value = records.get(key.rstrip("."))
        return value.encode() if value is not None else None

    return lookup


def test_django_ses_dkim_settings_sign_the_message(ses: EmulatorProcess, rsa_key: tuple[str, str]) -> None:
    private, public = rsa_key
    with override_settings(DKIM_DOMAIN="example.com", DKIM_PRIVATE_KEY=private, DKIM_SELECTOR="s1"):
        assert mail.send_mail("Signed", "x", "shop@example.com", ["a@example.com"]) == 1
    raw = ses.raw(ses.messages()[0]["MessageId"])
    assert dkim.verify(raw, dnsfunc=dns({"s1._domainkey.example.com": f"v=DKIM1; k=rsa; p={public}"}))
