"""The Celery app of the Django test project, as ``celery -A tests.django.celery_app worker`` loads it:
configured from the Django settings (``CELERY_*``), the way Celery's Django guide sets one up."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.settings")

app = Celery("sesflow-django-tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
