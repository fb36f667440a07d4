"""Sending through a boto3 client: ``BotocoreTransport``, the boto3 clients sesflow builds, and the account's
quotas read through botocore.

``BotocoreTransport`` takes a ``sesv2`` or ``ses`` client you built (or one the Mailer built, when a proxy
applies to the endpoint: botocore speaks to proxies, the lean ``SESTransport`` does not). It is the slower way
(botocore's per-call machinery costs about three times the CPU of ``SESTransport``'s) and the one to take for
whatever botocore does that sesflow's own signing does not: proxies, custom event hooks, stubbers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sesflow.errors import ConfigError
from sesflow.send.error_codes import from_exception
from sesflow.send.params import request_params
from sesflow.send.transport import RawEmail, SendQuota

_API_OF_SERVICE = {"sesv2": "v2", "ses": "v1"}


def build_client(
    session: Any,
    api: str,
    region: str,
    endpoint_url: str | None,
    *,
    pool: int,
    connect_timeout: float,
    read_timeout: float,
) -> Any:
    """A thread-safe boto3 client for ``api`` ("v2": ``sesv2``, "v1": ``ses``) from the boto3 ``session``,
    with ``pool`` pooled connections and botocore's own retries off (a timed-out send must never be resent
    behind sesflow's back)."""
    from botocore.config import Config

    config = Config(
        max_pool_connections=pool,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": 1, "mode": "standard"},
        user_agent_extra="sesflow",
    )
    service = "sesv2" if api == "v2" else "ses"
    return session.client(service, region_name=region, endpoint_url=endpoint_url, config=config)


def account_quota(client: Any, api: str) -> SendQuota:
    """The account's limits through ``client`` (v2 GetAccount ``SendQuota``, v1 GetSendQuota)."""
    try:
        answer = client.get_account().get("SendQuota", {}) if api == "v2" else client.get_send_quota()
    except Exception as exc:
        error = from_exception(exc)
        if error is None:
            raise
        raise error from exc
    daily = float(answer.get("Max24HourSend", -1))
    return SendQuota(
        max_send_rate=float(answer.get("MaxSendRate", 0.0)),
        max_24h_send=None if daily < 0 else int(daily),
        sent_last_24h=int(float(answer.get("SentLast24Hours", 0))),
    )


class BotocoreTransport:
    """Sends raw messages through a boto3 ``sesv2`` client (v2 ``SendEmail``) or ``ses`` client (v1
    ``SendRawEmail``); the client's service decides the API. With a ``sesv2`` client it also sends templated
    ``SendEmail`` and ``SendBulkEmail`` (``send_templated``, ``send_bulk``).

    The client is used as is, for every call: build it with ``retries={"total_max_attempts": 1}``, or
    botocore may resend a timed-out message (which SES may have taken). ``close`` leaves a client you passed
    open; with ``owns_client=True`` it closes it too.
    """

    def __init__(self, client: Any, *, owns_client: bool = False) -> None:
        service = getattr(getattr(getattr(client, "meta", None), "service_model", None), "service_name", None)
        if service not in _API_OF_SERVICE:
            raise ConfigError(
                f"BotocoreTransport needs a boto3 'sesv2' or 'ses' client, not {service or type(client)!r}",
                hint="Build it with boto3.client('sesv2') (or 'ses' for the v1 API).",
            )
        self._client = client
        self._api = _API_OF_SERVICE[service]
        self._owns_client = owns_client
        self._closed = False

    @property
    def client(self) -> Any:
        """The boto3 client the messages go through."""
        return self._client

    @property
    def region(self) -> str:
        """The client's region."""
        return str(self._client.meta.region_name)

    @property
    def api(self) -> str:
        """``"v2"`` for a ``sesv2`` client, ``"v1"`` for an ``ses`` client."""
        return self._api

    @property
    def request_timeout(self) -> float:
        """The longest one request can take: the client's connect and read timeouts."""
        config = self._client.meta.config
        return float(config.connect_timeout or 60) + float(config.read_timeout or 60)

    def send_raw(self, email: RawEmail) -> str:
        """Send ``email`` in one request and return the SES MessageId; raise a SendError when not sent."""
        params = request_params(email, self._api)
        try:
            if self._api == "v2":
                answer = self._client.send_email(**params)
            else:
                answer = self._client.send_raw_email(**params)
        except Exception as exc:
            error = from_exception(exc)
            if error is None:
                raise
            raise error from exc
        return str(answer["MessageId"])

    def send_templated(self, params: Mapping[str, Any]) -> str:
        """One v2 ``send_email`` with ``Content.Template``; the SES MessageId, or a SendError. Needs a
        ``sesv2`` client."""
        return str(self._call("send_email", params)["MessageId"])

    def send_bulk(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One v2 ``send_bulk_email``; its ``BulkEmailEntryResults``, or a SendError. Needs a ``sesv2``
        client."""
        return list(self._call("send_bulk_email", params)["BulkEmailEntryResults"])

    def _call(self, method: str, params: Mapping[str, Any]) -> Any:
        if self._api != "v2":
            raise ConfigError(
                "Templated sends are SES v2 operations; this BotocoreTransport has an 'ses' (v1) client.",
                hint="Give it boto3.client('sesv2').",
            )
        try:
            return getattr(self._client, method)(**params)
        except Exception as exc:
            error = from_exception(exc)
            if error is None:
                raise
            raise error from exc

    async def asend_raw(self, email: RawEmail) -> str:
        """``send_raw`` on a worker thread (botocore is synchronous)."""
        return await asyncio.to_thread(self.send_raw, email)

    def send_quota(self) -> SendQuota:
        """The account's limits (v2 GetAccount, v1 GetSendQuota), through the client."""
        return account_quota(self._client, self._api)

    def close(self) -> None:
        """Close the client if this transport owns it (``owns_client=True``); else leave it alone."""
        if self._owns_client and not self._closed:
            self._closed = True
            self._client.close()

    async def aclose(self) -> None:
        """Async twin of ``close``."""
        self.close()


__all__ = ["BotocoreTransport", "account_quota", "build_client"]
