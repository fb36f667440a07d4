"""The Django email backend: ``EMAIL_BACKEND = "sesflow.django.EmailBackend"``.

Django's ``EmailMessage`` and ``EmailMultiAlternatives`` (to, cc, bcc, reply_to, headers, attachments,
alternatives, inline images) are rendered by Django itself, exactly as its other backends send them, and
go to SES raw: every recipient (bcc too) in the envelope, through this process's Mailer
(``sesflow.process_mailer``) on parallel connections at a rate SES accepts, counted per recipient and
shared with other processes through Redis when ``SESFLOW_REDIS_URL`` is set. Settings: django-ses's names
where they exist (see ``sesflow.django_settings``), so a django-ses project changes ``EMAIL_BACKEND`` only.

``send_messages`` returns how many messages SES accepted (with ``SESFLOW_CELERY = True``: how many were
queued to the ``sesflow.send_message`` task, as django-celery-email does). Each message gets
``sesflow_result`` (its ``SendResult``) or, queued, ``sesflow_task`` (the Celery ``AsyncResult``).
``fail_silently=True`` silences failed sends (refused, unreachable, outcome unknown); a setting of the
wrong type is a ``ConfigError`` naming it either way. With ``fail_silently=False`` every message is tried,
then the first failure is raised (a ``sesflow.errors.SendError`` or ``MessageError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sesflow import django_settings
from sesflow.errors import SesflowError
from sesflow.extras import optional_imports
from sesflow.mime import Message
from sesflow.payload import message_to_payload
from sesflow.process_mailer import process_mailer
from sesflow.send import Mailer

with optional_imports("django"):
    from django.core.mail import EmailMessage
    from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):  # type: ignore[misc]  # Django ships no type hints
    """Sends Django email through Amazon SES with sesflow (see the module docstring)."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.settings = django_settings.read()
        self._mailer: Mailer | None = None

    def open(self) -> bool:
        """Make sure this process's Mailer exists (built on first use, kept for later sends).

        Returns True when it was not ready before. With ``SESFLOW_CELERY`` nothing is opened here: the
        workers send.
        """
        if self._mailer is not None or self.settings.celery:
            return False
        try:
            self._mailer = process_mailer(self.settings.mailer)
        except SesflowError:
            if not self.fail_silently:
                raise
            return False
        return True

    def close(self) -> None:
        """Nothing to do: the Mailer's connections stay open for the process's next sends."""
        self._mailer = None

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Send ``email_messages``; the number SES accepted (or that were queued)."""
        if not email_messages:
            return 0
        wanted = [m for m in email_messages if m.recipients()]
        try:
            if self.settings.celery:
                return self._queue(wanted)
            return self._send(wanted)
        except Exception:
            if not self.fail_silently:
                raise
            return 0

    def message(self, email_message: EmailMessage, *, sign: bool = True) -> Message:
        """The sesflow ``Message`` that sends ``email_message`` as Django renders it."""
        options: dict[str, Any] = self.settings.ses_options()
        name = self.settings.configuration_set
        if callable(name):
            dkim = self.settings.dkim
            name = name(
                email_message,
                dkim_domain=dkim.domain if dkim else None,
                dkim_key=dkim.private_key if dkim else None,
                dkim_selector=dkim.selector if dkim else None,
                dkim_headers=dkim.header_fields if dkim else None,
            )
        if name:
            options["ConfigurationSetName"] = name
        return Message(
            raw=email_message.message().as_bytes(),
            envelope={
                "from": self.settings.return_path or email_message.from_email,
                "to": list(email_message.recipients()),
            },
            dkim=self.settings.dkim if sign else None,
            ses=options or None,
        )

    def _send(self, email_messages: list[EmailMessage]) -> int:
        self.open()
        mailer = self._mailer or process_mailer(self.settings.mailer)
        by_message: dict[int, tuple[Message, EmailMessage]] = {}
        for email_message in email_messages:
            message = self.message(email_message)
            by_message[id(message)] = (message, email_message)
        sent = 0
        failure: SesflowError | None = None
        for result in mailer.send_many(message for message, _ in by_message.values()):
            email_message = by_message[id(result.message)][1]
            email_message.sesflow_result = result
            if result.ok:
                sent += 1
            elif failure is None:
                failure = result.error
        if failure is not None and not self.fail_silently:
            raise failure
        return sent

    def _queue(self, email_messages: list[EmailMessage]) -> int:
        from sesflow.celery import send_message  # needs the celery extra only when SESFLOW_CELERY is on

        queued = 0
        for email_message in email_messages:
            # The worker signs with its own DKIM settings: the key never travels through the broker.
            payload = message_to_payload(self.message(email_message, sign=False))
            email_message.sesflow_task = send_message.apply_async(
                args=[payload], kwargs={"settings": "django"}, **self.settings.celery_options
            )
            queued += 1
        return queued


__all__ = ["EmailBackend"]
