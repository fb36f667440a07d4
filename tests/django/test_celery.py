"""``SESFLOW_CELERY = True``: Django's mail API queues each message to the ``sesflow.send_message`` task, and
a real ``celery worker`` of the project (its app configured from the Django settings) sends it, with the
worker's own settings: its DKIM key signs, and no key travels through the broker."""

from __future__ import annotations

import base64
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest
from celery import Celery
from django.core import mail
from django.test.utils import override_settings

from tests.celery.workers import Worker, start_worker
from tests.emulator_process import EmulatorProcess

TIMEOUT = 120


@pytest.fixture(scope="module")
def worker_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(PEM file the worker signs with, its base64 DER public key)."""
    private = tmp_path_factory.mktemp("worker-dkim") / "key.pem"
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(private), "2048"], check=True, capture_output=True
    )
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return private, base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def queue(redis_prefix: str) -> str:
    return f"{redis_prefix}django-mail-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def worker(
    emulator: EmulatorProcess,
    redis_url: str,
    redis_prefix: str,
    queue: str,
    worker_key: tuple[Path, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Worker, Celery]]:
    """A prefork worker of the Django project's Celery app, and the app this process queues with."""
    prefix = f"{redis_prefix}django:"
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.django.settings",
        "SESFLOW_TEST_ENDPOINT": emulator.url,
        "SESFLOW_TEST_BROKER": redis_url,
        "SESFLOW_TEST_PREFIX": prefix,
        "SESFLOW_TEST_DKIM_KEY_FILE": str(worker_key[0]),
    }
    started = start_worker("tests.django.celery_app", [queue], tmp_path_factory.mktemp("logs"), env)
    app = Celery("sesflow-django-client", broker=redis_url, backend=redis_url, include=["sesflow.celery"])
    app.conf.update(broker_transport_options={"global_keyprefix": prefix}, result_extended=True)
    app.set_current()
    try:
        yield started, app
    finally:
        started.stop()


def dns(public: str) -> object:
    def lookup(name: bytes | str, timeout: int = 5) -> bytes | None:
        key = name.decode() if isinstance(name, bytes) else name
        return (
            f"v=DKIM1; k=rsa; p={public}".encode()
            if key.rstrip(".") == "worker._domainkey.example.com"
            else None
        )

    return lookup


def test_with_sesflow_celery_a_message_is_queued_and_a_worker_sends_it(
    ses: EmulatorProcess, worker: tuple[Worker, Celery], queue: str, worker_key: tuple[Path, str]
) -> None:
    message = mail.EmailMultiAlternatives(
        "Queued", "Plain.", "shop@example.com", ["ann@example.com"], bcc=["audit@example.com"]
    )
    message.attach_alternative("<p>HTML</p>", "text/html")
    with override_settings(SESFLOW_CELERY=True, SESFLOW_CELERY_OPTIONS={"queue": queue}):
        assert message.send() == 1  # queued
    task = message.sesflow_task  # type: ignore[attr-defined]
    outcome = task.get(timeout=TIMEOUT)

    assert outcome["status"] == "sent"
    [stored] = ses.messages()
    assert outcome["response"] == stored["MessageId"]
    assert sorted(stored["Destination"]) == ["ann@example.com", "audit@example.com"]
    raw = ses.raw(stored["MessageId"])
    assert dkim.verify(raw, dnsfunc=dns(worker_key[1]))  # signed by the worker's DKIM settings
    assert task.kwargs == {"settings": "django"}
    assert "dkim" not in task.args[0]  # the key stays with the worker


def test_send_mass_mail_queues_every_message(
    ses: EmulatorProcess, worker: tuple[Worker, Celery], queue: str
) -> None:
    datatuples = [(f"Mass {n}", "x", "shop@example.com", [f"m{n}@example.com"]) for n in range(6)]
    with override_settings(SESFLOW_CELERY=True, SESFLOW_CELERY_OPTIONS={"queue": queue}):
        assert mail.send_mass_mail(datatuples) == 6
    subjects: list[str] = []
    deadline = time.monotonic() + TIMEOUT
    while len(subjects) < 6 and time.monotonic() < deadline:
        time.sleep(0.2)
        subjects = sorted(m["Subject"] for m in ses.messages())
    assert subjects == [f"Mass {n}" for n in range(6)]
