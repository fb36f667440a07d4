"""Sending through Celery workers: the ``sesflow.send_message`` task.

::

    from sesflow.celery import queue_message
    result = queue_message(Message(from_="shop@example.com", to="ann@example.com", subject="Hi", text="..."))
    result.get()   # the SendResult as a dict: {"status": "sent", "message_id": "<...>", ...}

The task takes a JSON-safe message description (``sesflow.payload``: every ``Message`` field; attachments
by path, URL or base64 bytes), checks it and composes it in the worker, and sends it through the worker
process's Mailer (``sesflow.process_mailer``: built after the pool forks, shared by the tasks of that
process, sharing the account's rate with every other process through Redis when ``sesflow_redis_url`` is
set). Its result is the ``SendResult`` as a dict, whatever the outcome:

- ``sent``; ``unknown`` (the request went out and no answer came: SES may have sent it, so it is a result,
  never retried); ``failed`` for what SES refused for good (``MessageRejected``, the daily quota, ...);
- a failure SES certainly did not accept (throttling, a 5xx, no connection) is retried by Celery with
  exponential backoff and jitter (``max_retries`` 5), after the Mailer's own quick retries; when those run
  out the result is the ``failed`` dict;
- a payload that is not a message, or a bad setting, fails the task with ``MessageError`` / ``ConfigError``
  naming the field or setting; nothing is sent.

The worker's Mailer is configured from Celery's config (``sesflow_region``, ``sesflow_endpoint_url``,
``sesflow_api``, ``sesflow_rate``, ``sesflow_redis_url``, ``sesflow_redis_key``,
``sesflow_max_connections``), else the ``SESFLOW_*`` environment variables of the same names, else
boto3's defaults; the rate defaults to ``"auto"``. Messages queued by ``sesflow.django`` are sent with
the Django settings of the worker's project instead.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from sesflow.errors import ConfigError
from sesflow.extras import optional_imports
from sesflow.mime import Message
from sesflow.payload import message_from_payload, message_to_payload
from sesflow.process_mailer import (
    ENVIRONMENT,
    MailerSettings,
    close_process_mailers,
    process_mailer,
    settings_from,
    settings_from_environment,
)

with optional_imports("celery"):
    from celery import Celery, Task, shared_task
    from celery.result import AsyncResult
    from celery.signals import worker_process_shutdown
    from celery.utils.time import get_exponential_backoff_interval

CONFIG = {name: variable.lower() for name, variable in ENVIRONMENT.items()}
"""MailerSettings field -> the Celery config key that sets it (``sesflow_rate``, ...)."""

SettingsSource = Literal["celery", "django"]


def worker_settings(app: Celery) -> MailerSettings:
    """The MailerSettings of a worker of ``app``: its config first, then ``SESFLOW_*`` variables."""
    values = settings_from_environment()
    values.update(settings_from(app.conf, CONFIG))
    return MailerSettings(**values)


def _message_and_settings(task: Task, payload: Any, source: str) -> tuple[Message, MailerSettings]:
    message = message_from_payload(payload)
    if source == "celery":
        return message, worker_settings(task.app)
    if source == "django":
        from sesflow import django_settings

        read = django_settings.read()
        if message.dkim is None and read.dkim is not None:
            message = dataclasses.replace(message, dkim=read.dkim)
        return message, read.mailer
    raise ConfigError(f"settings: expected 'celery' or 'django', not {source!r}")


def _send(task: Task, payload: Any, settings: SettingsSource = "celery") -> dict[str, Any]:
    message, mailer_settings = _message_and_settings(task, payload, settings)
    result = process_mailer(mailer_settings).send(message)
    error = result.error
    if (
        result.status == "failed"
        and getattr(error, "retryable", False)
        and task.request.retries < task.max_retries
    ):
        countdown = get_exponential_backoff_interval(
            factor=task.retry_backoff,
            retries=task.request.retries,
            maximum=task.retry_backoff_max,
            full_jitter=task.retry_jitter,
        )
        raise task.retry(exc=error, countdown=countdown)
    return result.to_dict()


send_message: Any = shared_task(
    bind=True,
    name="sesflow.send_message",
    max_retries=5,
    retry_backoff=1,
    retry_backoff_max=300,
    retry_jitter=True,
)(_send)
"""The Celery task ``sesflow.send_message(payload, settings="celery")`` (see the module docstring)."""


def queue_message(message: Message, **options: Any) -> AsyncResult:
    """Queue ``message`` for ``send_message``; ``options`` go to ``apply_async`` (``queue=``, ...).

    The payload is built (and checked to be JSON-safe) here, so a message that cannot travel fails in the
    caller with a ``MessageError``, before anything is queued.
    """
    payload = message_to_payload(message)
    message_from_payload(payload)  # what the worker will do: refuse here what it would refuse there
    return send_message.apply_async(args=[payload], **options)


def _close_mailers(**_: Any) -> None:
    # A pool process that stops finishes the sends it queued and closes its connections.
    close_process_mailers()


worker_process_shutdown.connect(_close_mailers, weak=False)


__all__ = ["CONFIG", "message_to_payload", "queue_message", "send_message", "worker_settings"]
