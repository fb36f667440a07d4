"""Running the emulator: ``Emulator`` (uvicorn in a background thread, for tests and the demo) and
``serve`` (the foreground server behind ``sesflow emulator``).
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sesflow.emulator.app import CONNECTION_EXTENSION, EmulatorApp, create_app
from sesflow.emulator.config import EmulatorConfig
from sesflow.errors import ConfigError, EmulatorError


class _QuietTruncation(logging.Filter):
    """Drop uvicorn's complaint about the download we cut short on purpose (the truncate fault)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietTruncation())


class DroppableProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that lets the app close a connection without answering.

    Each request's scope carries ``extensions["sesflow.connection"]["abort"]``: it resets the TCP connection
    (SO_LINGER 0, so the client sees a reset rather than an orderly close) for the ``drop_connection`` fault.
    """

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {CONNECTION_EXTENSION: {"abort": self._abort}}

    def _abort(self) -> None:
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only turns Nagle off (TCP_NODELAY) for sockets that do, and with Nagle on
    # every keep-alive response waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EmulatorError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="Pick another --port (0 picks a free one) or stop what uses this one.",
        ) from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _uvicorn_server(app: EmulatorApp, config: EmulatorConfig) -> Any:
    import uvicorn

    server_config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        http=DroppableProtocol,
        loop="asyncio",
        timeout_keep_alive=30,
    )
    return uvicorn.Server(server_config)


def _iso(value: datetime | str | float) -> str | float:
    return value.isoformat() if isinstance(value, datetime) else value


class Emulator:
    """A local SES on a background thread.

    ``with Emulator(port=0, max_send_rate=50) as ses: boto3.client("sesv2", endpoint_url=ses.endpoint_url)``.
    Options are the CLI flags with underscores (see ``EmulatorConfig``).
    """

    def __init__(self, port: int = 0, **options: Any) -> None:
        if "credentials" in options:
            options["credentials"] = tuple(tuple(pair) for pair in options["credentials"])
        if options.get("data_dir") is not None:
            options["data_dir"] = Path(options["data_dir"])
        try:
            self.config = EmulatorConfig(port=port, **options)
        except TypeError as exc:
            raise ConfigError(f"Emulator: {exc}") from None
        self.app: EmulatorApp | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = port

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT`` of the running emulator."""
        host = self.config.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def start(self) -> Emulator:
        """Start serving and wait until the emulator answers.

        A fixed port still held by an emulator that is shutting down is retried for up to 5 seconds.
        """
        deadline = time.monotonic() + 5
        while True:
            try:
                sock = _bind(self.config.host, self.config.port)
                break
            except EmulatorError:
                if self.config.port == 0 or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.port = sock.getsockname()[1]
        self.app = create_app(self.config)
        self._server = _uvicorn_server(self.app, self.config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sesflow-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise EmulatorError("the emulator did not start", hint="Run with --debug to see why.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving (and close the data directory)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.endpoint_url + path,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:
                result: dict[str, Any] = json.loads(answer.read())
                return result
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
            raise ConfigError(f"emulator {path}: {detail}") from None

    def seed(
        self,
        count: int | None = None,
        start: datetime | str | float | None = None,
        end: datetime | str | float | None = None,
        seed: int | None = None,
        per_day: int | None = None,
        from_: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> int:
        """Create synthetic history (see ``POST /_sesflow/seed``); returns how many messages were made."""
        if start is None or end is None:
            raise ConfigError("Emulator.seed: 'start' and 'end' are required.")
        body: dict[str, Any] = {"start": _iso(start), "end": _iso(end)}
        for key, value in (
            ("count", count),
            ("seed", seed),
            ("per_day", per_day),
            ("from", from_),
            ("tags", tags),
        ):
            if value is not None:
                body[key] = value
        return int(self._post("/_sesflow/seed", body)["seeded"])

    def faults(self, **fault: Any) -> None:
        """Inject a fault (see ``POST /_sesflow/faults``)."""
        self._post("/_sesflow/faults", fault)


def serve(config: EmulatorConfig, ready: Any = None) -> None:
    """Serve in the foreground until interrupted; ``ready(endpoint_url)`` is called once listening."""
    sock = _bind(config.host, config.port)
    port = sock.getsockname()[1]
    app = create_app(config)
    server = _uvicorn_server(app, config)
    host = f"[{config.host}]" if ":" in config.host else config.host
    if ready is not None:
        ready(f"http://{host}:{port}")
    server.run(sockets=[sock])
