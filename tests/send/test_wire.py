"""The lean path's requests and answers, compared with botocore's own signer, serializers and parsers (no
network): same signature for the same request and time, same parameters on the wire, same error code and
message read from the same answer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qs

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.parsers import create_parser

from sesflow.send.direct import DirectSender, direct_sender
from sesflow.send.sigv4 import Signer, canonical_host
from sesflow.send.wire import error_of, message_id, request_path

NOW = dt.datetime(2026, 11, 21, 13, 45, 7, tzinfo=dt.UTC)
RAW = b"From: shop@example.com\r\nTo: ann@example.org\r\nSubject: hi\r\n\r\nhello +/= \xc3\xa9\r\n"
OPTIONS = {"ConfigurationSetName": "orders", "EmailTags": [{"Name": "campaign", "Value": "autumn"}]}
V1_OPTIONS = {"ConfigurationSetName": "orders", "Tags": [{"Name": "campaign", "Value": "autumn"}]}


def params(api: str, **options: Any) -> dict[str, Any]:
    if api == "v2":
        built = {
            "FromEmailAddress": "shop@example.com",
            "Destination": {"ToAddresses": ["ann@example.org", "bob@example.org"]},
            "Content": {"Raw": {"Data": RAW}},
        }
    else:
        built = {
            "Source": "shop@example.com",
            "Destinations": ["ann@example.org", "bob@example.org"],
            "RawMessage": {"Data": RAW},
        }
    return {**built, **options}


def lean(api: str, url: str = "http://127.0.0.1:8005", token: str | None = None) -> DirectSender:
    session = boto3.Session(
        aws_access_key_id="AKIDWIRE", aws_secret_access_key="wire-secret", aws_session_token=token,
        region_name="eu-west-1",
    )  # fmt: skip
    client = session.client("sesv2" if api == "v2" else "ses", endpoint_url=url)
    sender = direct_sender(client, session, api, connect_timeout=1, read_timeout=1)
    assert sender is not None
    return sender


def botocore_authorization(
    url: str, headers: dict[str, str], body: bytes, token: str | None, monkeypatch: pytest.MonkeyPatch
) -> str:
    """What botocore's SigV4Auth signs for the same request at NOW."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)
    unsigned = {"Content-Type": headers["content-type"]}
    request = AWSRequest("POST", url, data=body, headers=unsigned)
    botocore.auth.SigV4Auth(Credentials("AKIDWIRE", "wire-secret", token), "ses", "eu-west-1").add_auth(
        request
    )
    assert request.headers["X-Amz-Date"] == headers["x-amz-date"]
    return str(request.headers["Authorization"])


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEBAaDH+token/with=odd+chars"])
@pytest.mark.parametrize("api", ["v2", "v1"])
@pytest.mark.parametrize("url", ["http://127.0.0.1:8005", "https://email.eu-west-1.amazonaws.com"])
def test_the_signature_is_botocores_for_the_same_request_and_time(
    api: str, url: str, token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, headers, body = lean(api, url, token).request(params(api), NOW)
    expected = botocore_authorization(url.rstrip("/") + path, headers, body, token, monkeypatch)
    assert headers["authorization"] == expected
    assert ("x-amz-security-token" in expected) == (token is not None)
    assert headers.get("x-amz-security-token") == token


def test_the_signing_key_cache_follows_the_secret_and_the_day() -> None:
    signer = Signer("eu-west-1", "ses")
    args = ("POST", "/", {"host": "h", "x-amz-date": "20261121T000000Z"}, "0" * 64, "AKID")
    first = signer.authorization(*args, "secret-1", "20261121T000000Z")
    assert signer.authorization(*args, "secret-2", "20261121T000000Z") != first
    assert signer.authorization(*args, "secret-1", "20261121T000000Z") == first


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://email.eu-west-1.amazonaws.com", "email.eu-west-1.amazonaws.com"),
        ("https://EMAIL.example.com:443/", "email.example.com"),
        ("http://127.0.0.1:8005", "127.0.0.1:8005"),
        ("http://[::1]:8005/base", "[::1]:8005"),
    ],
)
def test_the_host_header_is_botocores(url: str, host: str) -> None:
    assert canonical_host(url) == host == botocore.auth._host_from_url(url)


def test_requests_go_under_the_endpoints_own_path() -> None:
    assert request_path("http://h:1", "/v2/email/outbound-emails") == "/v2/email/outbound-emails"
    assert request_path("http://h:1/ses/", "/v2/email/outbound-emails") == "/ses/v2/email/outbound-emails"
    assert request_path("http://h:1", "/") == "/"
    assert request_path("http://h:1/ses", "/") == "/ses"


def botocore_body(api: str, call: dict[str, Any]) -> bytes:
    """The body botocore's own client sends for the same call (captured before it is sent)."""
    session = boto3.Session(aws_access_key_id="A", aws_secret_access_key="B", region_name="eu-west-1")
    client = session.client("sesv2" if api == "v2" else "ses", endpoint_url="http://127.0.0.1:9")
    seen: list[bytes] = []

    class Captured(Exception):
        pass

    def capture(request: Any, **_: Any) -> None:
        body = request.body
        seen.append(body if isinstance(body, bytes) else body.encode())
        raise Captured

    client.meta.events.register("before-send", capture)
    with pytest.raises(Captured):
        (client.send_email if api == "v2" else client.send_raw_email)(**call)
    return seen[0]


@pytest.mark.parametrize(("api", "options"), [("v2", {}), ("v2", OPTIONS), ("v1", {}), ("v1", V1_OPTIONS)])
def test_the_body_carries_what_botocore_sends(api: str, options: dict[str, Any]) -> None:
    _, headers, body = lean(api).request(params(api, **options), NOW)
    theirs = botocore_body(api, params(api, **options))
    if api == "v2":
        assert headers["content-type"] == "application/json"
        assert json.loads(body) == json.loads(theirs)
    else:
        assert headers["content-type"] == "application/x-www-form-urlencoded; charset=utf-8"
        assert parse_qs(body.decode(), strict_parsing=True) == parse_qs(theirs.decode(), strict_parsing=True)


def test_the_user_agent_is_botocores_with_sesflow_in_it() -> None:
    _, headers, _ = lean("v2").request(params("v2"), NOW)
    assert headers["user-agent"].startswith("Boto3/")
    assert "sesflow" in headers["user-agent"]


def test_bad_options_are_refused_by_botocores_validation_before_anything_is_signed() -> None:
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError, match="EmailTags"):
        lean("v2").request(params("v2", EmailTags="autumn"), NOW)


def test_message_ids_are_read_from_v2_json_and_v1_xml() -> None:
    assert message_id("v2", b'{"MessageId":"0100-abc"}') == "0100-abc"
    v1 = (
        b'<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult>'
        b"<MessageId>0100-def</MessageId></SendRawEmailResult><ResponseMetadata><RequestId>r</RequestId>"
        b"</ResponseMetadata></SendRawEmailResponse>"
    )
    assert message_id("v1", v1) == "0100-def"


V1_ERROR = (
    b'<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
    b"<Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error>"
    b"<RequestId>r-1</RequestId></ErrorResponse>"
)
ANSWERS: list[tuple[str, int, dict[str, str], bytes]] = [
    ("v2", 429, {"x-amzn-errortype": "TooManyRequestsException:http://internal"}, b'{"message":"Slow down"}'),
    (
        "v2",
        400,
        {},
        b'{"__type":"com.amazonaws.ses#MessageRejected","Message":"Email address is not verified."}',
    ),
    ("v2", 404, {}, b'{"code":"NotFoundException","message":"Configuration set <x> does not exist."}'),
    ("v2", 400, {"x-amzn-errortype": "BadRequestException"}, b""),
    ("v2", 403, {}, b"not json at all"),
    ("v2", 503, {}, b"<html><body>Service Unavailable</body></html>"),
    ("v2", 500, {}, b""),
    ("v1", 400, {}, V1_ERROR),
    ("v1", 503, {}, b""),
    ("v1", 502, {}, b"<html><body>Bad Gateway</body></html>"),
]


@pytest.mark.parametrize(("api", "status", "headers", "body"), ANSWERS)
def test_error_answers_read_as_botocore_reads_them(
    api: str, status: int, headers: dict[str, str], body: bytes
) -> None:
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel

    name = "sesv2" if api == "v2" else "ses"
    model = ServiceModel(create_loader().load_service_model(name, "service-2"), name)
    operation = model.operation_model("SendEmail" if api == "v2" else "SendRawEmail")
    parsed = create_parser(model.metadata["protocol"]).parse(
        {"status_code": status, "headers": headers, "body": body}, operation.output_shape
    )
    assert error_of(api, status, headers, body) == (parsed["Error"]["Code"], parsed["Error"]["Message"])
