"""Reminders of the reporting campaigns, sent once (`manage.py send_reminders`, daily).

Each day the command opens the draft campaigns whose opening date has come, then, for
each open campaign, finds the reminder due today (the latest of its milestones already
reached):
- on opening (its opening day);
- `reminder_days` days before the deadline (14 and 3 when the campaign says none);
- the day after the deadline;
and mails it to the contacts of every actor with a report still waiting for an answer
(expected, or returned for correction): one mail per contact, per campaign, per reminder,
listing all the reports its actor owes. A day the command did not run is caught up by
the next run, with the latest reminder only (never a burst of stale ones).

When staff move an open campaign's deadline (Campaign.move_deadline), the contacts are
told at once (`notify_deadline_moved`), and the reminders follow the new date: those
already sent stay sent (a « J-3 » of the former date is not sent again), those of the new
date that fall on the day of the move or before are not caught up, the later ones go.
When staff reopen a closed campaign for an actor (Campaign.reopen_for), its contacts are
told (`notify_reopened`), then reminded before and after the actor's own deadline, from
the day of the reopening.

Each week (the first run of the week: Mondays, with a daily cron), the agents of each
territory get a digest of what is late within it (actors.scopes), the regional team of
everything.

A reminder is recorded (`ReminderSent`, unique per reminder, actor or territory, campaign
and milestone day) before its mails are queued, in the same transaction: the rows a run
inserted are the ones it mails, so that a second run, even at the same time on
PostgreSQL (where the second insert waits for the first transaction, then yields), sends
nothing again.
"""

import datetime
import uuid
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import Count, Max, Min, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.models import Membership, StaffTerritory
from actors.roles import AGENTS
from actors.scopes import EVERYTHING, StaffScope
from commitments.campaigns import Campaign, ExpectedReport, today
from commitments.mails import queue_mails
from commitments.notifications import one_line
from strategy.models import Territory

DEFAULT_REMINDER_DAYS = [14, 3]
DIGEST_WEEKDAY = 0  # Monday
DIGEST_MAX_ACTORS = 300  # lines of a digest; the rest is counted
REOPENED_CATCH_UP_DAYS = 7  # the day after a reopening's deadline, caught up that long


class ReminderSent(models.Model):
    """A reminder that went out (its mails queued): never sent again."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("Ouverture de la campagne")
        BEFORE = "before", _("Rappel avant la date limite")
        AFTER = "after", _("Relance après la date limite")
        DIGEST = "digest", _("Récapitulatif hebdomadaire des retards")
        DEADLINE = "deadline", _("Date limite déplacée")
        REOPENED = "reopened", _("Campagne rouverte pour l'acteur")

    kind = models.CharField(_("relance"), max_length=10, choices=Kind.choices)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campagne"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    actor = models.ForeignKey(
        "actors.Actor",
        verbose_name=_("acteur"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    territory = models.ForeignKey(
        "strategy.Territory",
        verbose_name=_("territoire"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    milestone = models.DateField(_("échéance"))
    run = models.UUIDField(_("passage"))
    sent_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("relance envoyée")
        verbose_name_plural = _("relances envoyées")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "campaign", "actor", "milestone"],
                condition=Q(actor__isnull=False),
                name="reminder_once_per_actor",
            ),
            models.UniqueConstraint(
                fields=["kind", "territory", "milestone"],
                condition=Q(territory__isnull=False),
                name="reminder_digest_once_per_territory",
            ),
            models.CheckConstraint(
                condition=(Q(kind="digest", territory__isnull=False, actor__isnull=True))
                | (
                    ~Q(kind="digest")
                    & Q(actor__isnull=False, campaign__isnull=False, territory__isnull=True)
                ),
                name="reminder_names_its_recipient",
            ),
        ]
        indexes = [models.Index(fields=["run"], name="reminder_run_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.milestone:%d/%m/%Y}"


def _day_of(moment):
    return timezone.localdate(moment) if moment else None


def schedule(told, deadline, reminder_days):
    """[(day, kind)] of the reminders of a deadline the contacts were told of on `told`
    (the campaign's opening, the day it moved, an actor's reopening), in order: the days
    before it that come after `told` (a reminder due on that day or earlier is not
    caught up: the contacts just learnt the date), the day after it."""
    days = reminder_days or DEFAULT_REMINDER_DAYS
    points = sorted(
        {
            deadline - datetime.timedelta(days=d)
            for d in days
            if deadline - datetime.timedelta(days=d) > told
        }
    )
    reminders = [(when, ReminderSent.Kind.BEFORE) for when in points]
    after = deadline + datetime.timedelta(days=1)
    if after > told:
        reminders.append((after, ReminderSent.Kind.AFTER))
    return reminders


def milestones(campaign):
    """[(day, kind)] of an open campaign, in order: its opening, the reminders before
    its deadline, the day after it. Once its deadline moved, those of the new deadline
    from the day after the move (the move's notice told the date)."""
    opened = _day_of(campaign.opened_at) or campaign.opens_on
    told = max(opened, _day_of(campaign.deadline_moved_at) or opened)
    return [
        (opened, ReminderSent.Kind.OPENING),
        *schedule(told, campaign.deadline, campaign.reminder_days),
    ]


def latest_reached(points, day):
    """(kind, milestone day) of the latest of `points` reached on `day`, or None: a day
    the command did not run is caught up with the latest reminder only."""
    reached = [(when, kind) for when, kind in points if when <= day]
    if not reached:
        return None
    when, kind = reached[-1]
    return kind, when


def due_reminder(campaign, day):
    """(kind, milestone day) of the reminder due on `day`: the latest milestone reached."""
    return latest_reached(milestones(campaign), day)


def site_link(name):
    return f"{settings.SITE_URL}{reverse(name)}"


def _plural(count, one, many):
    return one if count == 1 else many


SUBJECTS = {
    ReminderSent.Kind.OPENING: (
        "Campagne de remontée ouverte : {title} — à remettre d'ici le {deadline}"
    ),
    ReminderSent.Kind.BEFORE: "Rappel : {count} {reports} à remettre d'ici le {deadline} — {title}",
    ReminderSent.Kind.AFTER: "Date limite dépassée : {count} {reports} en retard — {title}",
    ReminderSent.Kind.DEADLINE: "Nouvelle date limite : {title} — à remettre d'ici le {deadline}",
    ReminderSent.Kind.REOPENED: (
        "Campagne de remontée rouverte : {title} — à remettre d'ici le {deadline}"
    ),
}


CORRECTIONS_SUBJECT = "Date limite dépassée : {count} {reports} à corriger — {title}"


def _actor_reminders(campaign, kind, milestone, run, *, deadline=None, actors=None, context=None):
    """Record the reminder of each actor that owes reports and has none of this kind for
    this milestone yet; then return the mails of those this run recorded. `deadline`: the
    one the mails speak of (the campaign's by default); `actors`: those reminded (all by
    default), of their reports reopened until `deadline`; `context`: more for the mail."""
    reports = ExpectedReport.objects.filter(campaign=campaign)
    if actors is not None:
        reports = reports.filter(commitment__actor__in=actors, reopened_until=deadline)
    deadline = deadline or campaign.deadline
    waiting = list(
        reports.waiting_for_answer()
        .order_by("commitment__actor_id", "commitment__year", "commitment__title", "pk")
        .values(
            "status",
            "commitment__actor_id",
            "commitment__actor__name",
            "commitment__actor__territory_id",
            "commitment__title",
            "commitment__year",
            "commitment__measure__name",
            "return_reason",
        )
    )
    owed = defaultdict(list)
    for row in waiting:
        owed[row["commitment__actor_id"]].append(row)
    if not owed:
        return []
    ReminderSent.objects.bulk_create(
        [
            ReminderSent(kind=kind, campaign=campaign, actor_id=actor, milestone=milestone, run=run)
            for actor in owed
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    mine = ReminderSent.objects.filter(run=run, kind=kind, campaign=campaign, milestone=milestone)
    if actors is not None:  # a few actors: others may share the milestone in this run
        mine = mine.filter(actor__in=list(owed))
    contacts = (
        Membership.objects.filter(actor__in=mine.values("actor"), user__is_active=True)
        .exclude(user__email="")
        .order_by("actor_id", "user_id")
        .values_list("actor_id", "user__email", "user__first_name", "user__last_name")
    )
    statuses = dict(ExpectedReport.Status.choices)
    link = site_link("space:home")
    mails = []
    for actor_id, email, first_name, last_name in contacts.iterator(chunk_size=2000):
        reports = owed[actor_id]
        count = len(reports)
        to_correct = sum(row["status"] == ExpectedReport.Status.RETURNED for row in reports)
        # Past the deadline, returned reports alone are to correct, not late to ask for.
        # (Not after a reopening's deadline: the campaign is closed, both wait for a new one.)
        corrections_only = (
            kind == ReminderSent.Kind.AFTER and to_correct == count and actors is None
        )
        subject = (CORRECTIONS_SUBJECT if corrections_only else SUBJECTS[kind]).format(
            title=campaign.title,
            deadline=f"{deadline:%d/%m/%Y}",
            count=count,
            reports=_plural(count, "déclaration", "déclarations"),
        )
        body = render_to_string(
            "commitments/email/reminder.txt",
            {
                "kind": kind,
                "campaign": campaign,
                "deadline": deadline,
                "actor": reports[0]["commitment__actor__name"],
                "name": f"{first_name} {last_name}".strip(),
                "reports": [
                    row
                    | {
                        "status_label": statuses[row["status"]],
                        "reason": one_line(row["return_reason"], 300)
                        if row["status"] == ExpectedReport.Status.RETURNED
                        else "",
                    }
                    for row in reports
                ],
                "count": count,
                "to_submit": count - to_correct,
                "to_correct": to_correct,
                "link": link,
                **(context or {}),
            },
        )
        mails.append(
            (_message(subject, body, email), reports[0]["commitment__actor__territory_id"])
        )
    return mails


def _message(subject, body, to):
    return EmailMessage(
        subject=one_line(subject), body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )


def _queue(mails):
    by_territory = defaultdict(list)
    for message, territory_id in mails:
        by_territory[territory_id].append(message)
    for territory_id, messages in by_territory.items():
        queue_mails(messages, territory_id)


def notify_deadline_moved(campaign, former):
    """The contacts of the actors that still owe the campaign a report learn its new
    deadline (once per actor and deadline in force); in the caller's transaction, as the
    move. Returns the number of mails queued.

    The notices of other dates are no longer in force: forgotten, so that a deadline moved
    back to a date told before is told again (the contacts were last told another)."""
    ReminderSent.objects.filter(campaign=campaign, kind=ReminderSent.Kind.DEADLINE).exclude(
        milestone=campaign.deadline
    ).delete()
    mails = _actor_reminders(
        campaign,
        ReminderSent.Kind.DEADLINE,
        campaign.deadline,
        uuid.uuid4(),
        context={"former": former},
    )
    _queue(mails)
    return len(mails)


def notify_reopened(campaign, actor, deadline):
    """The contacts of an actor a closed campaign was reopened for learn until when, and
    what it still owes (once per actor and deadline: the same reopening posted twice is
    told once); in the caller's transaction. Returns the number of mails queued."""
    mails = _actor_reminders(
        campaign,
        ReminderSent.Kind.REOPENED,
        deadline,
        uuid.uuid4(),
        deadline=deadline,
        actors=[actor.pk],
        context={"reopened": True},
    )
    _queue(mails)
    return len(mails)


def reopened_reminders_due(day):
    """{(campaign, kind, milestone, deadline): [actor ids]} of the reminders due on `day`
    to the actors a closed campaign was reopened for: before and after their own
    deadline, counted from the day of the reopening (whose notice told the date). The
    day after is caught up for a week, then the reopening is over."""
    rows = (
        ExpectedReport.objects.filter(
            campaign__state=Campaign.State.CLOSED,
            reopened_until__gte=day - datetime.timedelta(days=REOPENED_CATCH_UP_DAYS),
        )
        .waiting_for_answer()
        .order_by()
        .values("campaign_id", "commitment__actor_id", "reopened_until")
        .annotate(told=Max("reopened_on"))
        .order_by("campaign_id", "commitment__actor_id", "reopened_until")
    )
    rows = list(rows)
    campaigns = Campaign.objects.in_bulk({row["campaign_id"] for row in rows})
    due = defaultdict(list)
    for row in rows:
        campaign = campaigns[row["campaign_id"]]
        told = row["told"] or _day_of(campaign.closed_at) or campaign.deadline
        points = schedule(told, row["reopened_until"], campaign.reminder_days)
        if reached := latest_reached(points, day):
            kind, milestone = reached
            key = (campaign, kind, milestone, row["reopened_until"])
            due[key].append(row["commitment__actor_id"])
    return due


def remind_reopened(day, run):
    """The reminders due to the actors a closed campaign was reopened for:
    {kind: mails queued}."""
    counts = defaultdict(int)
    for (campaign, kind, milestone, deadline), actors in reopened_reminders_due(day).items():
        with transaction.atomic():
            mails = _actor_reminders(
                campaign,
                kind,
                milestone,
                run,
                deadline=deadline,
                actors=actors,
                context={"reopened": True},
            )
            _queue(mails)
        counts[kind] += len(mails)
    return counts


def open_due_campaigns(day):
    """Open the draft campaigns whose opening date has come; returns how many."""
    opened = 0
    for campaign in Campaign.objects.filter(state=Campaign.State.DRAFT, opens_on__lte=day):
        try:
            campaign.open(by=None)
        except ValidationError:  # opened meanwhile, by staff or another run
            continue
        opened += 1
    return opened


def remind_contacts(day, run):
    """Per open campaign, the reminder due: {kind: mails queued}."""
    counts = defaultdict(int)
    for campaign in Campaign.objects.open().order_by("pk"):
        due = due_reminder(campaign, day)
        if due is None:
            continue
        kind, milestone = due
        with transaction.atomic():
            mails = _actor_reminders(campaign, kind, milestone, run)
            _queue(mails)
        counts[kind] += len(mails)
    return counts


def late_in(scope, day):
    """What is late in a scope, per campaign and actor: the open campaigns' reports and
    those reopened for an actor."""
    return (
        ExpectedReport.objects.late(day)
        .in_scope(scope)
        .filter(Q(campaign__state=Campaign.State.OPEN) | Q(reopened_until__isnull=False))
        .order_by()
        .values(
            "campaign_id",
            "campaign__title",
            "commitment__actor_id",
            "commitment__actor__name",
        )
        .annotate(late=Count("pk"), due_on_min=Min("due_on"))
        .order_by("campaign__title", "campaign_id", "commitment__actor__name")
    )


def week_of(day):
    return day - datetime.timedelta(days=(day.weekday() - DIGEST_WEEKDAY) % 7)


def digest_agents():
    """{territory: [emails]} of the active agents attached to a territory."""
    rows = (
        StaffTerritory.objects.filter(
            user__is_active=True, user__is_staff=True, user__groups__name=AGENTS
        )
        .exclude(user__email="")
        .select_related("territory", "user")
        .order_by("territory_id", "user_id")
        .distinct()
    )
    agents = defaultdict(list)
    territories = {}
    for attachment in rows:
        territories[attachment.territory_id] = attachment.territory
        agents[attachment.territory_id].append(attachment.user.email)
    return [(territories[pk], emails) for pk, emails in agents.items()]


def send_digests(day, run):
    """The week's digest to the agents of each territory with something late, once a
    week; returns the number of mails queued."""
    week = week_of(day)
    sent = 0
    for territory, emails in digest_agents():
        regional = territory.level == Territory.Level.REGION
        scope = EVERYTHING if regional else StaffScope(territory)
        rows = list(late_in(scope, day))
        if not rows:
            continue
        with transaction.atomic():
            ReminderSent.objects.bulk_create(
                [
                    ReminderSent(
                        kind=ReminderSent.Kind.DIGEST, territory=territory, milestone=week, run=run
                    )
                ],
                ignore_conflicts=True,
            )
            if not ReminderSent.objects.filter(run=run, territory=territory).exists():
                continue
            total = sum(row["late"] for row in rows)
            subject = (
                f"Retards de la semaine du {week:%d/%m/%Y} : {total} "
                f"{_plural(total, 'déclaration', 'déclarations')} — "
                f"{'toute la région' if regional else territory}"
            )
            body = render_to_string(
                "commitments/email/digest.txt",
                {
                    "territory": "toute la région" if regional else territory,
                    "day": day,
                    "rows": rows[:DIGEST_MAX_ACTORS],
                    "more": max(0, len(rows) - DIGEST_MAX_ACTORS),
                    "total": total,
                    "actors": len({row["commitment__actor_id"] for row in rows}),
                    "link": site_link("admin:commitments_expectedreport_changelist")
                    + "?retard=oui",
                },
            )
            queue_mails([_message(subject, body, email) for email in emails], territory.pk)
            sent += len(emails)
    return sent


def send_reminders(day=None):
    """The daily run: open the campaigns due, remind the contacts, the weekly digests.
    Returns what it did, {what: how many}."""
    day = day or today()
    run = uuid.uuid4()
    counts = {"opened": open_due_campaigns(day)}
    reminded = remind_contacts(day, run)
    for kind, mails in remind_reopened(day, run).items():
        reminded[kind] += mails
    for kind in (ReminderSent.Kind.OPENING, ReminderSent.Kind.BEFORE, ReminderSent.Kind.AFTER):
        counts[kind.value] = reminded.get(kind, 0)
    counts["digest"] = send_digests(day, run)
    return counts


__all__ = [
    "ReminderSent",
    "due_reminder",
    "milestones",
    "notify_deadline_moved",
    "notify_reopened",
    "send_reminders",
]
