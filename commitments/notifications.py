"""E-mails about deliveries: to the agents when one is reported, to the contact who
reported it when it is validated or returned. They leave through the task queue
(commitments.mails): queued with the transaction, sent by the worker, never in the
request; a refused one is tried again, then shown to the staff as a failure."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from actors.roles import AGENTS
from commitments.mails import queue_mails
from strategy.models import Territory


def _send(messages, territory_id=None):
    """Queued, never sent in the request: what the user did is saved already, and a mail
    server that is slow or refuses must not turn it into a wait or an error page."""
    queue_mails(messages, territory_id)


def one_line(text, limit=200):
    """A mail subject on one line, whatever a title holds (a line break in a subject is
    refused by the mail library)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _message(subject, template, context, to):
    return EmailMessage(
        subject=one_line(subject),
        body=render_to_string(template, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )


def agents_of(commitment):
    """The active agents who review this commitment's deliveries: those attached to its
    territory or to a territory containing it, the regional team included."""
    covering = Territory.objects.containing(commitment.territory_id)
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=AGENTS)
        .filter(
            Q(staff_territory__territory__in=covering)
            | Q(staff_territory__territory__level=Territory.Level.REGION)
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def notify_reported(delivery, request):
    """Each active agent of the commitment's territory gets a link to the delivery in the
    admin."""
    agents = agents_of(delivery.commitment)
    context = {
        "delivery": delivery,
        "commitment": delivery.commitment,
        "link": request.build_absolute_uri(
            reverse("admin:commitments_delivery_change", args=[delivery.pk])
        ),
    }
    subject = f"Réalisation à valider : {delivery.commitment.actor} — {delivery.commitment}"
    _send(
        [
            _message(subject, "commitments/email/reported.txt", context, agent.email)
            for agent in agents
        ],
        delivery.commitment.territory_id,
    )


def notify_reviewed(delivery, request):
    """The contact who reported the delivery learns it was validated, or why it was returned,
    or that it no longer counts because its commitment was cancelled."""
    contact = delivery.reported_by
    if contact is None or not contact.email:
        return
    context = {
        "delivery": delivery,
        "commitment": delivery.commitment,
        "link": request.build_absolute_uri(
            reverse("space:commitment", args=[delivery.commitment_id])
        ),
    }
    if delivery.status == delivery.Status.VALIDATED:
        subject = f"Réalisation validée : {delivery.commitment}"
    elif delivery.commitment.status == delivery.commitment.Status.CANCELLED:
        subject = f"Engagement annulé : {delivery.commitment}"
    else:
        subject = f"Réalisation à corriger : {delivery.commitment}"
    _send(
        [_message(subject, "commitments/email/reviewed.txt", context, contact.email)],
        delivery.commitment.territory_id,
    )


def notify_report_reviewed(report, request):
    """The contact who submitted a campaign's report learns it was accepted, or why it
    was returned."""
    contact = report.submitted_by
    if contact is None or not contact.email:
        return
    context = {
        "report": report,
        "commitment": report.commitment,
        "campaign": report.campaign,
        "link": request.build_absolute_uri(reverse("space:home")),
    }
    if report.status == report.Status.ACCEPTED:
        subject = f"Déclaration acceptée : {report.campaign} — {report.commitment}"
    else:
        subject = f"Déclaration à corriger : {report.campaign} — {report.commitment}"
    _send(
        [_message(subject, "commitments/email/report_reviewed.txt", context, contact.email)],
        report.commitment.territory_id,
    )
