"""The lean send path (SESTransport without ``client=``) against the emulator over HTTP: strict SigV4
checking accepts its signatures, credentials (session tokens, refreshable ones) are taken per request, a
proxy is refused (a Mailer then builds a BotocoreTransport), and connection failures keep their safety
meaning."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Iterator

import boto3
import botocore.session
import pytest
from botocore.credentials import CredentialProvider, RefreshableCredentials

from sesflow import BotocoreTransport, Mailer, SESTransport
from sesflow.emulator import Emulator
from sesflow.errors import AuthError, ConfigError, ConnectionFailedError, OutcomeUnknownError
from sesflow.send import NO_RETRY, RawEmail
from tests.send.conftest import SENDER, Private, message

Make = Callable[..., SESTransport]
KEY, SECRET = "AKIDSTRICTSEND", "strict-secret"
RAW = b"From: shop@example.com\r\nTo: ann@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def raw_email() -> RawEmail:
    return RawEmail(raw=RAW, from_=SENDER, to=("ann@example.org",))


def keyed_session(key: str, secret: str, token: str | None = None) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region_name="us-east-1"
    )


@pytest.fixture(scope="module")
def strict() -> Iterator[Emulator]:
    """An emulator that checks every SigV4 signature against its key pairs."""
    pairs = [(KEY, SECRET), ("AKIDROTATED1", "rotated-1"), ("AKIDROTATED2", "rotated-2")]
    with Emulator(port=0, auth="strict", credentials=pairs, max_send_rate=100_000) as ses:
        yield ses


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_strict_sigv4_checking_accepts_lean_sends(api: str, strict: Emulator) -> None:
    sender = SESTransport(session=keyed_session(KEY, SECRET), endpoint_url=strict.endpoint_url, api=api)
    message_id = sender.send_raw(raw_email())
    sender.close()
    stored = Private(strict.endpoint_url).messages(recipient="ann@example.org")
    assert message_id in [m["MessageId"] for m in stored]


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_session_token_credentials_are_signed_and_accepted(api: str, strict: Emulator) -> None:
    # The token travels as X-Amz-Security-Token and is among the signed headers: the strict emulator
    # recomputes the signature over it, so a token sent but not signed (or signed but not sent) fails.
    session = keyed_session(KEY, SECRET, token="FwoGZXIvYXdzEBAaDH+session/token==")
    sender = SESTransport(session=session, endpoint_url=strict.endpoint_url, api=api)
    assert sender.send_raw(raw_email())
    sender.close()


@pytest.mark.parametrize(
    ("key", "secret", "code"),
    [(KEY, "wrong-secret", "SignatureDoesNotMatch"), ("AKIDUNKNOWN", SECRET, "InvalidClientTokenId")],
)
@pytest.mark.parametrize("api", ["v2", "v1"])
def test_refused_credentials_are_an_auth_error_with_the_ses_code(
    api: str, key: str, secret: str, code: str, strict: Emulator
) -> None:
    sender = SESTransport(session=keyed_session(key, secret), endpoint_url=strict.endpoint_url, api=api)
    with pytest.raises(AuthError) as caught:
        sender.send_raw(raw_email())
    sender.close()
    assert (caught.value.code, caught.value.status) == (code, 403)
    assert not caught.value.retryable


class Rotating(CredentialProvider):  # type: ignore[misc]
    """Temporary credentials that expire within botocore's mandatory refresh window: each use refreshes
    them, handing out the next key pair."""

    METHOD = CANONICAL_NAME = "sesflow-rotating"

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self.pairs = iter(pairs)
        self.refreshes = 0

    def _metadata(self, key: str, secret: str) -> dict[str, str]:
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
        return {
            "access_key": key,
            "secret_key": secret,
            "token": f"token-of-{key}",
            "expiry_time": expiry.isoformat(),
        }

    def refresh(self) -> dict[str, str]:
        self.refreshes += 1
        return self._metadata(*next(self.pairs))

    def load(self) -> RefreshableCredentials:
        return RefreshableCredentials.create_from_metadata(
            self._metadata("AKIDSTALE", "stale"), refresh_using=self.refresh, method=self.METHOD
        )


def test_refreshable_credentials_are_refreshed_for_each_request(strict: Emulator) -> None:
    provider = Rotating([("AKIDROTATED1", "rotated-1"), ("AKIDROTATED2", "rotated-2"), ("AKIDGONE", "gone")])
    core = botocore.session.Session()
    core.get_component("credential_provider").insert_before("env", provider)
    session = boto3.Session(botocore_session=core, region_name="us-east-1")
    sender = SESTransport(session=session, endpoint_url=strict.endpoint_url)
    assert sender.send_raw(raw_email())  # signed with AKIDROTATED1 (the stale key was never used)
    assert sender.send_raw(raw_email())  # AKIDROTATED2
    with pytest.raises(AuthError) as caught:  # AKIDGONE: unknown to the emulator
        sender.send_raw(raw_email())
    sender.close()
    assert caught.value.code == "InvalidClientTokenId"
    assert provider.refreshes == 3


@pytest.fixture
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_sestransport_refuses_to_send_past_a_proxy_it_cannot_speak_to(
    ses: Private, transport: Make, no_proxy_settings: pytest.MonkeyPatch
) -> None:
    no_proxy_settings.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="proxy"):
        transport().send_raw(raw_email())
    no_proxy_settings.delenv("HTTP_PROXY")  # the test's own look at the emulator goes direct
    assert ses.sends() == []


def test_a_mailer_built_behind_a_proxy_sends_through_botocore(
    ses: Private, no_proxy_settings: pytest.MonkeyPatch
) -> None:
    # Nothing listens at the proxy: botocore, which honours it, cannot connect; the lean path would have
    # gone straight to the emulator and succeeded.
    no_proxy_settings.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    session = keyed_session(KEY, SECRET)
    with Mailer(
        endpoint_url=ses.url, session=session, rate=None, retry=NO_RETRY, connect_timeout=2
    ) as mailer:
        assert isinstance(mailer.transport, BotocoreTransport)
        result = mailer.send(message("ann@example.org"))
    assert isinstance(result.error, ConnectionFailedError)
    no_proxy_settings.delenv("HTTP_PROXY")
    assert ses.sends() == []


def test_an_endpoint_excluded_by_no_proxy_is_sent_directly(
    ses: Private, transport: Make, no_proxy_settings: pytest.MonkeyPatch
) -> None:
    no_proxy_settings.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    no_proxy_settings.setenv("NO_PROXY", "127.0.0.1")
    assert transport().send_raw(raw_email())
    assert len(ses.sends()) == 1


def test_a_kept_alive_connection_the_server_closed_is_reopened_and_the_send_is_not_unknown() -> None:
    first = Emulator(port=0).start()
    port = first.port
    sender = SESTransport(session=keyed_session(KEY, SECRET), endpoint_url=first.endpoint_url)
    try:
        assert sender.send_raw(raw_email())
        first.stop()  # closes the connection the transport keeps for this thread
        with Emulator(port=port) as second:
            assert sender.send_raw(raw_email())
            assert len(Private(second.endpoint_url).sends()) == 1
    finally:
        first.stop()
        sender.close()


def test_every_thread_sends_on_its_own_connection(ses: Private, transport: Make) -> None:
    with Mailer(transport(), max_connections=4) as mailer:
        results = list(mailer.send_many(message(f"r{i}@example.org") for i in range(40)))
    assert [r.status for r in results] == ["sent"] * 40
    assert sorted(r.response for r in results) == sorted(m["MessageId"] for m in ses.messages())


@pytest.fixture
def swallowing_server() -> Iterator[str]:
    """A TCP server that reads one whole request and closes the connection without answering."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                body += connection.recv(65536)
            seen.append(body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    thread.join(timeout=5)
    listener.close()


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_a_connection_dropped_after_the_request_was_written_is_unknown(
    api: str, swallowing_server: str, transport: Make
) -> None:
    # rate=None: the server swallows one request only, the send (not a GetAccount for rate="auto").
    with Mailer(transport(api=api, endpoint_url=swallowing_server), rate=None) as mailer:  # default retry
        result = mailer.send(message("ann@example.org"))
    assert result.status == "unknown"
    assert isinstance(result.error, OutcomeUnknownError)
    assert result.attempts == 1


def test_closing_the_transport_closes_its_connections_and_it_can_send_again(
    ses: Private, transport: Make
) -> None:
    sender = transport()
    assert sender.send_raw(raw_email())
    sender.close()
    assert sender.send_raw(raw_email())
    assert len(ses.sends()) == 2
