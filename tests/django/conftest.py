"""Fixtures: Django set up with the test project's settings module (``tests/django/settings.py``), pointed at
an emulator running in its own process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import django
import pytest
from django.conf import settings
from django.test.utils import override_settings

from sesflow.process_mailer import close_process_mailers
from tests.emulator_process import EmulatorProcess, emulator_process


@pytest.fixture(scope="session", autouse=True)
def django_project() -> None:
    """Django, set up once per session from ``tests.django.settings`` (the variable is put back after).

    Autouse: a test of this folder that needs no emulator may be the first one a pytest-xdist worker runs.
    """
    if settings.configured:
        return
    previous = os.environ.get("DJANGO_SETTINGS_MODULE")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django.settings"
    try:
        django.setup()
    finally:
        if previous is None:
            del os.environ["DJANGO_SETTINGS_MODULE"]
        else:
            os.environ["DJANGO_SETTINGS_MODULE"] = previous


@pytest.fixture(scope="module")
def emulator(django_project: None) -> Iterator[EmulatorProcess]:
    """An emulator process; the project's AWS_SES_REGION_ENDPOINT_URL points at it for the module."""
    with emulator_process("--max-send-rate", "1000", "--max-24h-send", "1000000") as ses:
        pointed = override_settings(AWS_SES_REGION_ENDPOINT_URL=ses.url)
        pointed.enable()
        try:
            yield ses
        finally:
            pointed.disable()
            close_process_mailers()


@pytest.fixture
def ses(emulator: EmulatorProcess) -> EmulatorProcess:
    """The module's emulator, emptied of messages, sends and faults."""
    emulator.reset()
    return emulator
