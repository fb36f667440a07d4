"""``SESTransport``: raw sends to Amazon SES, signed here and written on a kept-alive connection per thread;
and ``open_transport``, what the Mailer builds when it is given no transport.

Where and as whom a request goes comes from a botocore client built for the purpose (endpoint, region,
credentials, user agent, CA bundle; see ``send/direct.py``); the send itself skips botocore's per-call
machinery, a third of its CPU per send. GetAccount/GetSendQuota (``rate="auto"``) go through that client.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sesflow.aws import check_endpoint_url, check_region
from sesflow.errors import ConfigError
from sesflow.send.boto import BotocoreTransport, account_quota, build_client
from sesflow.send.direct import DirectSender, direct_sender, proxy_for
from sesflow.send.error_codes import from_exception
from sesflow.send.params import request_params
from sesflow.send.transport import API_CHOICES, RawEmail, SendQuota, Transport

if TYPE_CHECKING:
    import boto3


class SESTransport:
    """Sends raw messages through Amazon SES: v2 ``SendEmail`` with ``Content.Raw`` (default) or v1
    ``SendRawEmail`` (``api="v1"``), signing each request itself (SigV4); with v2 also templated
    ``SendEmail`` and ``SendBulkEmail`` (``send_templated``, ``send_bulk``).

    The envelope decides who receives the message: ``FromEmailAddress``/``Source`` is the envelope sender and
    every recipient (to, cc and bcc) goes in ``Destination``, so bcc never needs a header. Settings come as
    boto3 takes them: ``session`` (default: a new ``boto3.Session()``, which honours ``AWS_PROFILE`` and the
    environment), ``region`` (default: the session's, ``AWS_DEFAULT_REGION`` or ``AWS_REGION``) and
    ``endpoint_url`` (default: ``AWS_ENDPOINT_URL_SESV2``/``AWS_ENDPOINT_URL_SES``, else SES's own).
    ``connect_timeout`` and ``read_timeout`` (seconds) bound every request. Nothing is resolved before the
    first use. When a proxy applies to the endpoint (``HTTPS_PROXY``, ...) sending raises ConfigError: use
    ``Mailer(region=...)``, which then sends through ``BotocoreTransport``.
    """

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
        api: str = "v2",
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        if api not in API_CHOICES:
            raise ConfigError(
                f"api must be 'v2' or 'v1', not {api!r}", hint="Use --api v2 (default) or --api v1."
            )
        self._api = api
        self._endpoint_url = endpoint_url
        self._session = session
        self._timeouts = (connect_timeout, read_timeout)
        self._region = resolve_region(region, session, endpoint_url)
        self._lock = threading.Lock()
        self._client: Any = None
        self._boto_session: Any = None
        self._direct: DirectSender | None = None
        self._closed = False

    @property
    def region(self) -> str:
        """The region the messages are sent in."""
        return self._region

    @property
    def api(self) -> str:
        """``"v2"`` (SendEmail) or ``"v1"`` (SendRawEmail)."""
        return self._api

    @property
    def request_timeout(self) -> float:
        """The longest one request can take: the connect and read timeouts."""
        return self._timeouts[0] + self._timeouts[1]

    def proxy(self) -> str | None:
        """The proxy that applies to the endpoint (from the environment), or None."""
        return proxy_for(self._botocore_client())

    def send_raw(self, email: RawEmail) -> str:
        """Send ``email`` in one request and return the SES MessageId; raise a SendError when not sent."""
        return self._sender().send(request_params(email, self._api))

    async def asend_raw(self, email: RawEmail) -> str:
        """``send_raw`` on a worker thread, which keeps its own connection."""
        return await asyncio.to_thread(self.send_raw, email)

    def send_templated(self, params: Mapping[str, Any]) -> str:
        """One v2 SendEmail with ``Content.Template`` (``params`` as botocore's ``send_email`` takes them);
        the SES MessageId, or a SendError. v2 only."""
        return self._sender().send_templated(params)

    def send_bulk(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One v2 SendBulkEmail (``params`` as botocore's ``send_bulk_email`` takes them); its
        ``BulkEmailEntryResults``, or a SendError when the call as a whole failed. v2 only."""
        return self._sender().send_bulk(params)

    def send_quota(self) -> SendQuota:
        """The account's limits (v2 GetAccount ``SendQuota``, v1 GetSendQuota)."""
        return account_quota(self._botocore_client(), self._api)

    def close(self) -> None:
        """Close every connection this transport opened. A later send opens new ones."""
        with self._lock:
            direct, self._direct = self._direct, None
            client, self._client = self._client, None
        if direct is not None:
            direct.close()
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Async twin of ``close``."""
        self.close()

    def _botocore_client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3

                if self._boto_session is None:
                    self._boto_session = self._session or boto3.session.Session()
                # One pooled connection: this client only resolves settings and asks for the quota.
                self._client = build_client(
                    self._boto_session,
                    self._api,
                    self._region,
                    self._endpoint_url,
                    pool=1,
                    connect_timeout=self._timeouts[0],
                    read_timeout=self._timeouts[1],
                )
            return self._client

    def _sender(self) -> DirectSender:
        direct = self._direct
        if direct is not None:
            return direct
        client = self._botocore_client()
        with self._lock:
            if self._direct is None:
                try:
                    made = direct_sender(
                        client,
                        self._boto_session,
                        self._api,
                        connect_timeout=self._timeouts[0],
                        read_timeout=self._timeouts[1],
                    )
                except Exception as exc:
                    error = from_exception(exc)
                    if error is None:
                        raise
                    raise error from exc
                if made is None:
                    raise ConfigError(
                        f"A proxy applies to {client.meta.endpoint_url} and SESTransport does not speak to "
                        "proxies.",
                        hint="Use Mailer(region=...) or sesflow.send(...), which then send through "
                        "BotocoreTransport, or pass BotocoreTransport(boto3.client('sesv2')) yourself.",
                    )
                self._direct = made
            return self._direct


def open_transport(
    region: str | None = None,
    endpoint_url: str | None = None,
    session: boto3.Session | None = None,
    api: str = "v2",
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    max_connections: int = 10,
) -> SESTransport | BotocoreTransport:
    """The transport the Mailer builds for these settings: ``SESTransport``, or ``BotocoreTransport`` (on a
    client pooling ``max_connections`` connections, closed with it) when a proxy applies to the endpoint."""
    transport = SESTransport(
        region, endpoint_url, session, api, connect_timeout=connect_timeout, read_timeout=read_timeout
    )
    if transport.proxy() is None:
        return transport
    transport.close()
    import boto3

    client = build_client(
        session or boto3.session.Session(),
        api,
        transport.region,
        endpoint_url,
        pool=max(max_connections, 10),
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    return BotocoreTransport(client, owns_client=True)


def choose_transport(
    transport: Transport | None,
    *,
    region: str | None,
    endpoint_url: str | None,
    session: boto3.Session | None,
    api: str | None,
    connect_timeout: float,
    read_timeout: float,
    max_connections: int,
) -> Transport:
    """The transport a Mailer sends through: ``transport`` when given (and then none of the settings that
    would build one), else the one ``open_transport`` builds from them."""
    if transport is None:
        return open_transport(
            region,
            endpoint_url,
            session,
            api or "v2",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_connections=max_connections,
        )
    settings = {"region": region, "endpoint_url": endpoint_url, "session": session, "api": api}
    given = [name for name, value in settings.items() if value is not None]
    if given:
        raise ConfigError(
            f"Pass either a transport or {', '.join(given)}, not both: the transport decides them.",
            hint="Mailer(region=..., ...) builds its own transport; Mailer(transport) uses yours.",
        )
    if not isinstance(transport, Transport):
        raise ConfigError(
            f"transport must have send_raw/asend_raw/close/aclose, not {type(transport).__name__}"
        )
    return transport


def resolve_region(region: str | None, session: Any, endpoint_url: str | None) -> str:
    """The region to use: ``region``, else the session's, else the environment's (``AWS_DEFAULT_REGION``,
    ``AWS_REGION``), else us-east-1 when an endpoint is given (an emulator); ConfigError when none is."""
    found = region or (session.region_name if session is not None else None) or ""
    if not found:
        import boto3

        # botocore reads AWS_DEFAULT_REGION; the newer SDKs and the CLI v2 also read AWS_REGION.
        found = boto3.session.Session().region_name or os.environ.get("AWS_REGION", "")
    if not found:
        if endpoint_url is None:
            raise ConfigError("No AWS region for SES.", hint="Pass region= (--region) or set AWS_REGION.")
        found = "us-east-1"
    _check("region", check_region, found, "--region, or AWS_REGION")
    if endpoint_url is not None:
        _check("endpoint_url", check_endpoint_url, endpoint_url, "--endpoint-url")
    return found


def _check(name: str, check: Callable[[str], str], value: str, where: str) -> None:
    try:
        check(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}", hint=f"Fix it where it was given ({where}).") from None


__all__ = ["SESTransport", "choose_transport", "open_transport", "resolve_region"]
