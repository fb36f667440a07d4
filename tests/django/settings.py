"""The Django settings module of the Django tests: a project that sends its mail with sesflow.

Written as a django-ses project would be, with ``EMAIL_BACKEND`` changed. The emulator's URL, the broker
and the DKIM key file come from ``SESFLOW_TEST_*`` variables when a Celery worker loads this module; the
tests in the pytest process point it at their emulator with ``override_settings``.
"""

from __future__ import annotations

import os
from pathlib import Path

SECRET_KEY = "sesflow-django-tests"
USE_TZ = True
INSTALLED_APPS: list[str] = []
DEFAULT_FROM_EMAIL = "Shop <shop@example.com>"

EMAIL_BACKEND = "sesflow.django.EmailBackend"
AWS_SES_REGION_NAME = "us-east-1"
AWS_SES_REGION_ENDPOINT_URL = os.environ.get("SESFLOW_TEST_ENDPOINT", "http://127.0.0.1:9")
AWS_SES_ACCESS_KEY_ID = "AKIDDJANGOTEST"
AWS_SES_SECRET_ACCESS_KEY = "django-secret-never-shown-4f1c"
SESFLOW_RATE = "auto"
SESFLOW_MAX_CONNECTIONS = 4
SESFLOW_MAX_ATTEMPTS = 2

if os.environ.get("SESFLOW_TEST_DKIM_KEY_FILE"):
    DKIM_DOMAIN = "example.com"
    DKIM_SELECTOR = "worker"
    DKIM_PRIVATE_KEY = Path(os.environ["SESFLOW_TEST_DKIM_KEY_FILE"]).read_text()

# The Celery app (tests/django/celery_app.py) reads these, as a Django project's Celery app does.
CELERY_BROKER_URL = os.environ.get("SESFLOW_TEST_BROKER", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": os.environ.get("SESFLOW_TEST_PREFIX", "")}
CELERY_INCLUDE = ["sesflow.celery"]
CELERY_RESULT_EXTENDED = True
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
