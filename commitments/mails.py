"""Mails leave through a task queue (Django's Tasks API, the django-tasks backport), so
that no request waits on the mail server.

`queue_mails(messages, territory_id)` hands each message to the `deliver_mail` task:
- with the database backend (TASK_BACKEND=database: `make serve`, production), the task
  is a row written in the caller's transaction (both are saved, or neither), and a worker
  (`manage.py db_worker`) sends it;
- with the immediate backend (the default: `make run`, the tests), it is sent in the
  process once the transaction is committed, as before.

A mail the server refuses is tried again (MAIL_ATTEMPTS in all, 2, 4, 8… minutes apart
with the database backend, at once in the process), then recorded as a `MailFailure`,
which the staff of its territory see in the admin (« Échecs d'envoi »), and the task
fails (its row in django_tasks_db keeps the traceback).
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task
from django_tasks_db import DatabaseBackend

logger = logging.getLogger(__name__)


class MailFailure(models.Model):
    """A mail that could not leave after every attempt: the staff learn whom it did not
    reach, and why, to reach them otherwise."""

    failed_at = models.DateTimeField(_("échoué le"), auto_now_add=True)
    subject = models.CharField(_("objet"), max_length=300)
    recipients = models.TextField(_("destinataires"))
    body = models.TextField(_("texte"), blank=True)
    error = models.TextField(_("erreur"))
    attempts = models.PositiveSmallIntegerField(_("tentatives"))
    territory = models.ForeignKey(
        "strategy.Territory",
        verbose_name=_("territoire"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Aucun : le courriel ne concerne que l'équipe régionale."),
    )

    class Meta:
        verbose_name = _("échec d'envoi")
        verbose_name_plural = _("échecs d'envoi")
        ordering = ["-failed_at", "-pk"]

    def __str__(self):
        return f"{self.subject} — {self.recipients}"


def payload(message):
    """What the task receives of a message: JSON, as every task argument."""
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
    }


def queued_in_database():
    return isinstance(deliver_mail.get_backend(), DatabaseBackend)


def queue_mails(messages, territory_id=None):
    """Hand the messages to the queue: in the caller's transaction with the database
    backend, after its commit when they are sent in the process."""
    payloads = [payload(message) for message in messages]
    if not payloads:
        return
    if queued_in_database():
        for mail in payloads:
            deliver_mail.enqueue(mail, territory_id)
    else:
        transaction.on_commit(
            lambda: [deliver_mail.enqueue(mail, territory_id) for mail in payloads]
        )


def retry_delay(attempt):
    return datetime.timedelta(minutes=2**attempt)


@task()
def deliver_mail(mail, territory_id=None, attempt=1):
    """Send one mail; refused, try again later, and at the last attempt record it."""
    message = EmailMessage(
        subject=mail["subject"],
        body=mail["body"],
        from_email=mail["from_email"] or settings.DEFAULT_FROM_EMAIL,
        to=mail["to"],
    )
    try:
        get_connection().send_messages([message])
    except Exception as error:
        if attempt < settings.MAIL_ATTEMPTS:
            logger.warning(
                "Courriel « %s » refusé (tentative %s) : %s", mail["subject"], attempt, error
            )
            again = deliver_mail
            if deliver_mail.get_backend().supports_defer:
                again = deliver_mail.using(run_after=timezone.now() + retry_delay(attempt))
            again.enqueue(mail, territory_id, attempt + 1)
            return "retried"
        MailFailure.objects.create(
            subject=mail["subject"][:300],
            recipients=", ".join(mail["to"]),
            body=mail["body"],
            error=f"{type(error).__name__}: {error}"[:2000],
            attempts=attempt,
            territory_id=territory_id,
        )
        raise
    return "sent"
