"""Keep-alive HTTP(S) connections to one SES endpoint, one per sending thread, and what a failure on them
means for a send.

The line that matters is whether the request was completely handed to the socket:

- before that (DNS, connect, TLS handshake, a write that failed or timed out), SES cannot have acted on the
  request, because it needs the whole signed body: ``ConnectionFailedError``, safe to retry;
- after that (read timeout, connection reset or closed, a garbled answer), SES may have accepted the message:
  ``OutcomeUnknownError``, never resent.

A kept-alive connection the server has already closed would turn a healthy send into "unknown". So a
connection is reopened before use when it has been idle for longer than ``IDLE_REOPEN_S`` (servers close
idle connections after a few seconds: uvicorn after 5 s) or when its socket is readable, which on an idle
HTTP/1.1 connection means the peer closed it (or sent something we cannot use). What stays ambiguous: the
server closing the connection while our request is on its way (the check passed, then its close crossed our
request on the wire), or a middlebox that silently dropped the connection. Both end as "unknown", as they do
with botocore, which also gives up on a connection that breaks after the request was sent.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from sesflow.send.error_codes import connection_failed, outcome_unknown

IDLE_REOPEN_S = 4.0
"""Reopen a connection idle for longer than this before sending on it (under uvicorn's 5 s keep-alive)."""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (lower-case names) and the whole body."""

    status: int
    headers: dict[str, str]
    body: bytes


class _Slot:
    """One thread's connection and when it was last used (``time.monotonic``)."""

    __slots__ = ("connection", "last_used")

    def __init__(self) -> None:
        self.connection: http.client.HTTPConnection | None = None
        self.last_used = 0.0


class ThreadConnections:
    """One keep-alive connection per calling thread to the endpoint at ``url`` (``http`` or ``https``).

    ``connect_timeout`` bounds the TCP connect and TLS handshake, ``read_timeout`` every later socket
    operation. ``close`` closes every connection made so far; a thread that sends again opens a new one.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._ssl_context = ssl_context if ssl_context is not None else ssl.create_default_context()
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._local = threading.local()
        self._slots: set[_Slot] = set()
        self._slots_lock = threading.Lock()

    def exchange(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        """Send one request on this thread's connection and read the whole answer.

        Raises ConnectionFailedError when the request was not completely written, OutcomeUnknownError when
        it was and no complete answer came.
        """
        slot = self._slot()
        connection = self._ready(slot)
        try:
            connection.request(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            # The single sendall of headers + body did not complete: SES never had the whole request.
            self._discard(slot)
            raise connection_failed(exc) from exc
        try:
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._discard(slot)
            raise outcome_unknown(_describe(exc, self._read_timeout)) from exc
        slot.last_used = time.monotonic()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def close(self) -> None:
        """Close every connection opened so far."""
        with self._slots_lock:
            slots, self._slots = self._slots, set()
        for slot in slots:
            self._discard(slot)

    def _slot(self) -> _Slot:
        slot: _Slot | None = getattr(self._local, "slot", None)
        if slot is None:
            slot = self._local.slot = _Slot()
        return slot

    def _ready(self, slot: _Slot) -> http.client.HTTPConnection:
        connection = slot.connection
        if connection is not None and (
            connection.sock is None
            or time.monotonic() - slot.last_used > IDLE_REOPEN_S
            or _peer_closed(connection.sock)
        ):
            self._discard(slot)
            connection = None
        if connection is None:
            connection = self._connect()
            slot.connection = connection
            with self._slots_lock:
                self._slots.add(slot)
        return connection

    def _connect(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if self._https:
            connection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._connect_timeout, context=self._ssl_context
            )
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._connect_timeout)
        try:
            connection.connect()  # TCP connect (+ TLS handshake), under connect_timeout
        except OSError as exc:  # refused, unreachable, DNS (gaierror), timeout, TLS (SSLError)
            connection.close()
            raise connection_failed(f"{self._host}:{self._port}: {exc}") from exc
        assert connection.sock is not None
        connection.sock.settimeout(self._read_timeout)
        return connection

    @staticmethod
    def _discard(slot: _Slot) -> None:
        connection, slot.connection = slot.connection, None
        if connection is not None:
            connection.close()


def _peer_closed(sock: socket.socket) -> bool:
    """True when an idle connection's socket is readable: the peer closed it (or it is in a state we
    cannot send on)."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):
        return True


def _describe(exc: BaseException, read_timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within the read timeout of {read_timeout:g} s"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


__all__ = ["IDLE_REOPEN_S", "Answer", "ThreadConnections"]
