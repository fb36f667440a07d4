"""The ``Emulator`` class: a background server on a free or fixed port."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from sesflow.emulator import Emulator
from sesflow.errors import ConfigError


def test_free_port_and_endpoint_url() -> None:
    with Emulator(port=0) as ses:
        assert ses.endpoint_url.startswith("http://127.0.0.1:") and ses.port > 0
        assert httpx.get(f"{ses.endpoint_url}/_sesflow/health").json()["status"] == "ok"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{ses.endpoint_url}/_sesflow/health")


def test_unknown_or_bad_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="max_send_rat"):
        Emulator(port=0, max_send_rat=3)
    with pytest.raises(ConfigError, match="--auth"):
        Emulator(port=0, auth="maybe")


def test_fixed_port_waits_for_a_previous_emulator_to_let_go() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first = Emulator(port=port).start()
    threading.Timer(0.5, first.stop).start()
    with Emulator(port=port) as second:
        assert httpx.get(f"{second.endpoint_url}/_sesflow/health").status_code == 200
