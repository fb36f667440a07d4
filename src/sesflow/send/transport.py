"""How composed bytes reach SES: the ``Transport`` protocol and ``SESTransport`` (SES v2 or v1 raw sending).

A transport makes exactly one request per call and never retries on its own (botocore's retries are turned
off on the clients it builds): whether a resend is safe is the Mailer's decision, made from the error class.
Sends go out through ``send/direct.py`` (signed here, kept-alive connection per thread) unless the caller
passed its own ``client=`` or a proxy applies; then, and for GetAccount/GetSendQuota, through botocore.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sesflow.aws import check_endpoint_url, check_region
from sesflow.errors import ConfigError, MessageError
from sesflow.send.checks import check_recipients, check_size

if TYPE_CHECKING:
    import boto3

    from sesflow.send.direct import DirectSender

API_CHOICES = ("v2", "v1")

# Per-message SES options (v2 spelling) and their v1 SendRawEmail counterparts; None = not in v1.
_V2_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "ConfigurationSetName": ("ConfigurationSetName",),
    "EmailTags": ("Tags",),
    "FromEmailAddressIdentityArn": ("FromArn", "SourceArn"),
    "ListManagementOptions": None,
    "FeedbackForwardingEmailAddress": None,
    "FeedbackForwardingEmailAddressIdentityArn": None,
    "EndpointId": None,
    "TenantName": None,
}
_V1_NATIVE_OPTIONS = frozenset({"Tags", "FromArn", "SourceArn", "ReturnPathArn"})


@dataclass(frozen=True)
class RawEmail:
    """One message as a transport sends it: the raw RFC 5322 bytes, the SMTP envelope and SES options."""

    raw: bytes
    from_: str
    to: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Transport(Protocol):
    """What the Mailer needs from a way to send raw messages. Implementations must be thread-safe."""

    @property
    def region(self) -> str:
        """The region the messages are sent in (it appears in Nodemailer-style message ids)."""
        ...

    def prepare(self, connections: int) -> None:
        """Get ready for ``connections`` requests in parallel (size connection pools)."""
        ...

    def check(self, email: RawEmail) -> None:
        """Raise MessageError when ``email`` cannot be sent as given; nothing is sent."""
        ...

    def send_raw(self, email: RawEmail) -> str:
        """Make one send request and return the provider's message id; raise a SendError otherwise."""
        ...

    def max_send_rate(self) -> float:
        """The account's maximum sending rate, in recipients per second."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class SESTransport:
    """Sends raw messages through Amazon SES: v2 ``SendEmail`` with ``Content.Raw`` (default) or v1
    ``SendRawEmail`` (``api="v1"``).

    The envelope decides who receives the message: ``FromEmailAddress``/``Source`` is the envelope sender and
    every recipient (to, cc and bcc) goes in ``Destination``, so bcc never needs a header. Without ``client``,
    one thread-safe boto3 client is built from ``session`` (default: a new ``boto3.Session()``, which honours
    ``AWS_PROFILE``, the environment and ``AWS_ENDPOINT_URL_SESV2``/``AWS_ENDPOINT_URL_SES``), with as many
    pooled connections as the Mailer uses and botocore's own retries turned off; sends then take the lean
    path of ``send/direct.py`` (same endpoint, credentials, user agent and CA bundle as that client, a third
    of its CPU per send) unless a proxy applies to the endpoint. A ``client`` you pass is used as is, for
    every call: give it ``retries={"total_max_attempts": 1}``, or botocore may resend a timed-out message.
    ``connect_timeout`` and ``read_timeout`` (seconds) bound every request either way.
    """

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
        client: Any | None = None,
        api: str = "v2",
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        if api not in API_CHOICES:
            raise ConfigError(
                f"api must be 'v2' or 'v1', not {api!r}", hint="Use --api v2 (default) or --api v1."
            )
        self.api = api
        self._service = "sesv2" if api == "v2" else "ses"
        self._endpoint_url = endpoint_url
        self._session = session
        self._timeouts = (connect_timeout, read_timeout)
        self._lock = threading.Lock()
        self._own_client = client is None
        self._pool = 0
        self._client: Any = client
        self._retired: list[Any] = []  # clients replaced by a larger one, closed with the transport
        self._boto_session: Any = None
        self._direct: DirectSender | None = None
        self._direct_checked = client is not None  # a passed client is always used as is
        if client is not None:
            service = client.meta.service_model.service_name
            if service != self._service:
                raise ConfigError(
                    f"client is a {service!r} client but api={api!r} needs a {self._service!r} client",
                    hint=f"Build it with boto3.client({self._service!r}) or pass the matching api.",
                )
            self._region: str = client.meta.region_name
        else:
            self._region = region or (session.region_name if session is not None else None) or ""
            if not self._region:
                import boto3

                # botocore reads AWS_DEFAULT_REGION; the newer SDKs and the CLI v2 also read AWS_REGION.
                self._region = boto3.session.Session().region_name or os.environ.get("AWS_REGION", "")
            if not self._region:
                if endpoint_url is None:
                    raise ConfigError(
                        "No AWS region for SES.", hint="Pass region= (--region) or set AWS_REGION."
                    )
                self._region = "us-east-1"
            _check("region", check_region, self._region, "--region, or AWS_REGION")
            if endpoint_url is not None:
                _check("endpoint_url", check_endpoint_url, endpoint_url, "--endpoint-url")

    @property
    def region(self) -> str:
        """The region the messages are sent in."""
        return self._region

    @property
    def client(self) -> Any:
        """The boto3 client in use (``sesv2`` or ``ses``), built on first use."""
        with self._lock:
            if self._client is None:
                self._client = self._build_client(max(self._pool, 10))
                self._pool = max(self._pool, 10)
            return self._client

    def prepare(self, connections: int) -> None:
        """Make sure the client pools at least ``connections`` connections (rebuilt if it was smaller).

        The lean path needs no sizing: each sending thread keeps its own connection.
        """
        with self._lock:
            if not self._own_client or (self._client is not None and self._pool >= connections):
                return
            self._pool = max(connections, 10)
            if self._client is not None:
                # Another Mailer may still be sending on the smaller client: retire it, close it in close().
                self._retired.append(self._client)
            self._client = self._build_client(self._pool)

    def _direct_sender(self) -> DirectSender | None:
        """The lean sender, built with the client on first use; None for a passed client or a proxy."""
        if self._direct_checked:
            return self._direct
        client = self.client
        with self._lock:
            if not self._direct_checked:
                from sesflow.send.direct import direct_sender

                self._direct = direct_sender(
                    client,
                    self._boto_session,
                    self.api,
                    connect_timeout=self._timeouts[0],
                    read_timeout=self._timeouts[1],
                )
                self._direct_checked = True
            return self._direct

    def _build_client(self, pool: int) -> Any:
        import boto3
        from botocore.config import Config

        if self._boto_session is None:
            self._boto_session = self._session or boto3.session.Session()
        session: Any = self._boto_session
        config = Config(
            max_pool_connections=pool,
            connect_timeout=self._timeouts[0],
            read_timeout=self._timeouts[1],
            retries={"total_max_attempts": 1, "mode": "standard"},
            user_agent_extra="sesflow",
        )
        return session.client(
            self._service, region_name=self._region, endpoint_url=self._endpoint_url, config=config
        )

    def check(self, email: RawEmail) -> None:
        """Raise MessageError for no or too many recipients, a message too large, or bad SES options."""
        check_recipients(email.to)
        check_size(email.raw, self.api)
        self._options(email.options)

    def _options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in options.items():
            if key not in _V2_OPTIONS and not (self.api == "v1" and key in _V1_NATIVE_OPTIONS):
                raise MessageError(
                    f"Unknown SES send option {key!r}.",
                    hint="Known options: " + ", ".join(sorted(_V2_OPTIONS)) + ".",
                )
            if self.api == "v2":
                params[key] = value
                continue
            names = _V2_OPTIONS.get(key, (key,))
            if names is None:
                raise MessageError(
                    f"The SES option {key!r} exists only in the v2 API.",
                    hint="Send with api='v2' (--api v2).",
                )
            for name in names:
                params[name] = value
        return params

    def send_raw(self, email: RawEmail) -> str:
        """Send ``email`` in one request and return the SES MessageId; raise a SendError when not sent."""
        from sesflow.send.error_codes import from_exception

        params: dict[str, Any]
        if self.api == "v2":
            params = {
                "FromEmailAddress": email.from_,
                "Destination": {"ToAddresses": list(email.to)},
                "Content": {"Raw": {"Data": email.raw}},
            }
        else:
            params = {
                "Source": email.from_,
                "Destinations": list(email.to),
                "RawMessage": {"Data": email.raw},
            }
        params.update(self._options(email.options))
        try:
            direct = self._direct_sender()
            if direct is not None:
                return direct.send(params)
            if self.api == "v2":
                answer = self.client.send_email(**params)
            else:
                answer = self.client.send_raw_email(**params)
        except Exception as exc:
            error = from_exception(exc)
            if error is None:
                raise
            raise error from exc
        return str(answer["MessageId"])

    def max_send_rate(self) -> float:
        """The account's ``MaxSendRate`` (v2 GetAccount ``SendQuota``, or v1 GetSendQuota)."""
        from sesflow.send.error_codes import from_exception

        try:
            if self.api == "v2":
                rate = self.client.get_account()["SendQuota"]["MaxSendRate"]
            else:
                rate = self.client.get_send_quota()["MaxSendRate"]
        except Exception as exc:
            error = from_exception(exc)
            if error is None:
                raise
            raise error from exc
        return float(rate)

    def close(self) -> None:
        """Close the connections of the client and the lean path this transport built."""
        with self._lock:
            if self._direct is not None:
                self._direct.close()
            if self._own_client and self._client is not None:
                self._client.close()
                self._client = None
                self._pool = 0
            for retired in self._retired:
                retired.close()
            self._retired.clear()


def _check(name: str, check: Callable[[str], str], value: str, where: str) -> None:
    try:
        check(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}", hint=f"Fix it where it was given ({where}).") from None


__all__ = ["API_CHOICES", "RawEmail", "SESTransport", "Transport"]
