"""Reporting campaigns (*campagnes de remontée*): every actor accounts for each of its
commitments over a period, by a deadline.

Staff create a campaign in the admin: its period, opening date, deadline and scope (all
commitments, or chosen issues, measures, territories and actor kinds). Opening it creates
one expected report (*déclaration attendue*) per commitment in scope that is not
cancelled. A contact answers each in the actor area: the deliveries of the period (as
always), or "nothing delivered" with a comment, and a short narrative; then submits it.
Staff accept it or return it with a reason, as they review deliveries. Once the campaign
is closed, nothing dated within its period is declared on its commitments, unless staff
reopened it for that actor with a new deadline.

States: draft → open → closed (`Campaign.open`, `close`, `reopen_for`); an expected
report: expected → submitted → accepted, or returned → submitted again. The completeness
(`ExpectedReportQuerySet.completeness`) counts them as DHIS2's reporting rate does: the
share of expected reports received (submitted or accepted).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from actors.models import Actor
from actors.scopes import territory_filter
from commitments.models import Commitment, Delivery, lock_commitments
from strategy.models import Territory
from strategy.validators import validate_single_line

NARRATIVE_MAX_LENGTH = 4000
RATE_PLACES = Decimal("0.0001")


def today():
    """The prefecture's day (Europe/Paris), which deadlines are counted in."""
    return timezone.localdate()


class CampaignQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=Campaign.State.OPEN)


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        OPEN = "open", _("Ouverte")
        # With a context: Django's own catalogue translates a bare "Close" as « Fermer ».
        CLOSED = "closed", pgettext_lazy("état d'une campagne", "Close")

    title = models.CharField(_("intitulé"), max_length=300, validators=[validate_single_line])
    period_start = models.DateField(_("période couverte : du"))
    period_end = models.DateField(_("au"))
    opens_on = models.DateField(_("date d'ouverture"))
    deadline = models.DateField(_("date limite de remise"))
    state = models.CharField(
        _("état"), max_length=10, choices=State.choices, default=State.DRAFT, editable=False
    )
    issues = models.ManyToManyField(
        "strategy.Issue",
        verbose_name=_("enjeux"),
        blank=True,
        related_name="+",
        help_text=_("Aucun : tous les enjeux."),
    )
    measures = models.ManyToManyField(
        "strategy.Measure",
        verbose_name=_("mesures"),
        blank=True,
        related_name="+",
        help_text=_("Aucune : toutes les mesures."),
    )
    territories = models.ManyToManyField(
        "strategy.Territory",
        verbose_name=_("territoires"),
        blank=True,
        related_name="+",
        help_text=_("Aucun : tous ; un territoire compte ceux qu'il contient."),
    )
    actor_kinds = models.JSONField(
        _("types d'acteurs"),
        default=list,
        blank=True,
        help_text=_("Aucun : tous les types d'acteurs."),
    )
    reminder_days = models.JSONField(
        _("relances (jours avant la date limite)"),
        default=list,
        blank=True,
        help_text=_("Par exemple [14, 3] : une relance 14 jours, puis 3 jours avant."),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    opened_at = models.DateTimeField(_("ouverte le"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True, editable=False)
    deadline_moved_at = models.DateTimeField(
        _("date limite déplacée le"), null=True, blank=True, editable=False
    )

    objects = CampaignQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[issues, measures, territories])

    class Meta:
        verbose_name = _("campagne de remontée")
        verbose_name_plural = _("campagnes de remontée")
        ordering = ["-deadline", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="campaign_period_ordered",
                violation_error_message=_("La période se termine avant de commencer."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("opens_on")),
                name="campaign_deadline_after_opening",
                violation_error_message=_("La date limite précède la date d'ouverture."),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        kinds = dict(Actor.Kind.choices)
        if not isinstance(self.actor_kinds, list) or any(k not in kinds for k in self.actor_kinds):
            raise ValidationError(
                {"actor_kinds": _("Types d'acteurs inconnus : choisissez parmi la liste.")}
            )
        days = self.reminder_days
        if not isinstance(days, list) or any(
            not isinstance(d, int) or isinstance(d, bool) or not 0 < d <= 365 for d in days
        ):
            raise ValidationError(
                {"reminder_days": _("Des nombres de jours entre 1 et 365, comme [14, 3].")}
            )

    def commitments_in_scope(self):
        """The commitments it asks a report of: in its scope, not cancelled, of a year
        its period covers."""
        queryset = Commitment.objects.exclude(status=Commitment.Status.CANCELLED).filter(
            year__gte=self.period_start.year, year__lte=self.period_end.year
        )
        if self.pk is None:
            return queryset
        issues = list(self.issues.values_list("pk", flat=True))
        measures = list(self.measures.values_list("pk", flat=True))
        territories = list(self.territories.all())
        if issues:
            queryset = queryset.filter(measure__issue__in=issues)
        if measures:
            queryset = queryset.filter(measure__in=measures)
        if territories:
            within = Q()
            for territory in territories:
                within |= Q(territory__in=Territory.objects.within(territory))
            queryset = queryset.filter(within)
        if self.actor_kinds:
            queryset = queryset.filter(actor__kind__in=self.actor_kinds)
        return queryset

    def _locked(self):
        return Campaign.objects.select_for_update().get(pk=self.pk)

    def open(self, *, by):
        """Draft → open: one expected report per commitment in scope. Returns how many."""
        with transaction.atomic():
            campaign = self._locked()
            if campaign.state != Campaign.State.DRAFT:
                raise ValidationError(
                    _("Seule une campagne en brouillon s'ouvre : celle-ci est « %(state)s ».")
                    % {"state": campaign.get_state_display()},
                    code="not_draft",
                )
            reports = [
                ExpectedReport(campaign=campaign, commitment_id=pk)
                for pk in campaign.commitments_in_scope().values_list("pk", flat=True)
            ]
            # With their first version, as every audited row has (who opened it).
            bulk_create_with_history(reports, ExpectedReport, batch_size=2000, default_user=by)
            campaign.state, campaign.opened_at = Campaign.State.OPEN, timezone.now()
            campaign._history_user = by
            campaign.save(update_fields=["state", "opened_at"])
        self.state, self.opened_at = campaign.state, campaign.opened_at
        return len(reports)

    def close(self, *, by):
        """Open → closed: nothing dated within the period is declared any more on its
        commitments, unless it is reopened for an actor."""
        with transaction.atomic():
            campaign = self._locked()
            if campaign.state != Campaign.State.OPEN:
                raise ValidationError(
                    _("Seule une campagne ouverte se clôt : celle-ci est « %(state)s ».")
                    % {"state": campaign.get_state_display()},
                    code="not_open",
                )
            campaign.state, campaign.closed_at = Campaign.State.CLOSED, timezone.now()
            campaign._history_user = by
            campaign.save(update_fields=["state", "closed_at"])
        self.state, self.closed_at = campaign.state, campaign.closed_at

    def reopen_for(self, actor, *, deadline, by):
        """A closed campaign, reopened for one actor until `deadline`: its reports not yet
        accepted may be answered again, its deliveries of the period declared. Returns
        how many reports are reopened. Its contacts are told by
        reminders.notify_reopened, and reminded before and after `deadline`
        (reminders.remind_reopened)."""
        if deadline < today():
            raise ValidationError(
                _("La nouvelle date limite est déjà passée."), code="deadline_passed"
            )
        with transaction.atomic():
            campaign = self._locked()
            if campaign.state != Campaign.State.CLOSED:
                raise ValidationError(
                    _("Seule une campagne close se rouvre pour un acteur."), code="not_closed"
                )
            reports = list(
                ExpectedReport.objects.select_for_update()
                .filter(campaign=campaign, commitment__actor=actor)
                .exclude(status=ExpectedReport.Status.ACCEPTED)
            )
            for report in reports:
                report.reopened_until, report.reopened_on = deadline, today()
                report._history_user = by
                report.save(update_fields=["reopened_until", "reopened_on"])
        return len(reports)

    def deadline_refusal(self, deadline) -> str:
        """Why `deadline` may not become this open campaign's deadline, in French ("" if
        it may)."""
        if deadline < today():
            return str(
                _("La nouvelle date limite du %(date)s est déjà passée.")
                % {"date": f"{deadline:%d/%m/%Y}"}
            )
        if deadline < self.opens_on:
            return str(
                _("La date limite ne peut pas précéder la date d'ouverture du %(date)s.")
                % {"date": f"{self.opens_on:%d/%m/%Y}"}
            )
        return ""

    def edit(self, *, title, reminder_days, by):
        """An opened campaign's title and reminder days, which change nothing it expects:
        written from the row as it is (held), so that its history shows only these."""
        with transaction.atomic():
            campaign = self._locked()
            campaign.title, campaign.reminder_days = title, reminder_days
            campaign._history_user = by
            campaign.save(update_fields=["title", "reminder_days"])

    def move_deadline(self, deadline, *, by):
        """An open campaign's deadline, moved (sooner or later, never into the past nor
        before its opening). Returns the former deadline, or None if it was the same.

        The reminders follow the new deadline (reminders.milestones): those already sent
        stay sent, those of the new deadline that fall on the day of the move or before
        it are not caught up (the notice of the move, reminders.notify_deadline_moved,
        tells the contacts the new date), the later ones go on their day."""
        with transaction.atomic():
            campaign = self._locked()
            if campaign.state != Campaign.State.OPEN:
                raise ValidationError(
                    _(
                        "Seule la date limite d'une campagne ouverte se déplace : celle-ci "
                        "est « %(state)s »."
                    )
                    % {"state": campaign.get_state_display()},
                    code="not_open",
                )
            if refusal := campaign.deadline_refusal(deadline):
                raise ValidationError({"deadline": refusal}, code="bad_deadline")
            former = campaign.deadline
            if deadline == former:
                return None
            campaign.deadline, campaign.deadline_moved_at = deadline, timezone.now()
            campaign._history_user = by
            campaign.save(update_fields=["deadline", "deadline_moved_at"])
        self.deadline, self.deadline_moved_at = campaign.deadline, campaign.deadline_moved_at
        return former

    @property
    def is_open(self):
        return self.state == Campaign.State.OPEN


class ExpectedReportQuerySet(models.QuerySet):
    def in_scope(self, scope):
        """The reports of the commitments a member of staff sees (actors.scopes)."""
        return self.filter(territory_filter(scope, "commitment__territory"))

    def for_user(self, user):
        """The reports of the actors this user is a contact of."""
        return self.filter(commitment__actor__memberships__user=user)

    def with_deadline(self):
        """Annotated with `due_on`: the day it is due, a reopening's or the campaign's."""
        return self.annotate(due_on=Coalesce("reopened_until", "campaign__deadline"))

    def waiting_for_answer(self):
        """Not yet received: expected, or returned for correction."""
        return self.filter(
            status__in=[ExpectedReport.Status.EXPECTED, ExpectedReport.Status.RETURNED]
        )

    def late(self, day=None):
        """Not received, and past their deadline (the day after it, in Paris)."""
        return self.with_deadline().waiting_for_answer().filter(due_on__lt=day or today())

    def awaiting_review(self):
        return self.filter(status=ExpectedReport.Status.SUBMITTED)

    def current(self, day=None):
        """Those of open campaigns, and of closed ones reopened for their actor until
        `day` (today) or later: what the actor area lists."""
        return self.filter(
            Q(campaign__state=Campaign.State.OPEN)
            | Q(campaign__state=Campaign.State.CLOSED, reopened_until__gte=day or today())
        )

    def for_area(self, user, day=None):
        """The actor area's list for a contact: their actors' current reports, those
        waiting for an answer first, the soonest due first; with their campaign,
        commitment, actor and measure. One query."""
        waiting = [ExpectedReport.Status.EXPECTED, ExpectedReport.Status.RETURNED]
        return (
            self.for_user(user)
            .current(day)
            .with_deadline()
            .select_related("campaign", "commitment__actor", "commitment__measure")
            .order_by(
                models.Case(
                    models.When(status__in=waiting, then=models.Value(0)),
                    default=models.Value(1),
                ),
                "due_on",
                "campaign__title",
                "commitment__actor__name",
                "commitment__title",
                "pk",
            )
        )

    def completeness(self, *by, day=None):
        """Per group (`by`: field names, e.g. "commitment__territory",
        "commitment__actor"): expected, submitted (waiting for review), accepted,
        returned, late, and the reporting rate, received (submitted or accepted) over
        expected, rounded half up to 4 places. One query."""
        status = ExpectedReport.Status
        rows = (
            self.with_deadline()
            .order_by()
            .values(*by)
            .annotate(
                expected=Count("pk"),
                submitted=Count("pk", filter=Q(status=status.SUBMITTED)),
                accepted=Count("pk", filter=Q(status=status.ACCEPTED)),
                returned=Count("pk", filter=Q(status=status.RETURNED)),
                late=Count(
                    "pk",
                    filter=Q(status__in=[status.EXPECTED, status.RETURNED])
                    & Q(due_on__lt=day or today()),
                ),
            )
            .order_by(*by)
        )
        return [row | {"rate": reporting_rate(row)} for row in rows]


def reporting_rate(row):
    """Received (submitted or accepted) over expected, or None when nothing is expected."""
    if not row["expected"]:
        return None
    received = Decimal(row["submitted"] + row["accepted"])
    return (received / Decimal(row["expected"])).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


class ExpectedReport(models.Model):
    """A *déclaration attendue*: what an actor owes a campaign about one commitment."""

    class Status(models.TextChoices):
        EXPECTED = "expected", _("Attendue")
        SUBMITTED = "submitted", _("Remise, à examiner")
        ACCEPTED = "accepted", _("Acceptée")
        RETURNED = "returned", _("Renvoyée pour correction")

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campagne"),
        on_delete=models.CASCADE,
        related_name="expected_reports",
    )
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("engagement"),
        on_delete=models.CASCADE,
        related_name="expected_reports",
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.EXPECTED
    )
    nothing_delivered = models.BooleanField(_("rien de réalisé sur la période"), default=False)
    narrative = models.TextField(_("récit"), blank=True, max_length=NARRATIVE_MAX_LENGTH)
    submitted_at = models.DateTimeField(_("remise le"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("remise par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("examinée le"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("examinée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    return_reason = models.TextField(_("motif du renvoi"), blank=True)
    reopened_until = models.DateField(
        _("rouverte jusqu'au"),
        null=True,
        blank=True,
        help_text=_("Après la clôture, la nouvelle date limite accordée à l'acteur."),
    )
    reopened_on = models.DateField(_("rouverte le"), null=True, blank=True, editable=False)

    objects = ExpectedReportQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("déclaration attendue")
        verbose_name_plural = _("déclarations attendues")
        ordering = ["campaign", "commitment"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "commitment"],
                name="expected_report_unique_campaign_commitment",
                violation_error_message=_(
                    "Cette campagne attend déjà une déclaration de cet engagement."
                ),
            ),
        ]
        indexes = [models.Index(fields=["status"], name="expected_report_status_idx")]

    def __str__(self):
        return f"{self.campaign} — {self.commitment}"

    @property
    def due_on(self):
        """The day it is due: a reopening's, or the campaign's deadline (read from the
        `due_on` annotation of with_deadline() when the row carries it)."""
        if (annotated := self.__dict__.get("_due_on")) is not None:
            return annotated
        return self.reopened_until or self.campaign.deadline

    @due_on.setter
    def due_on(self, value):
        # with_deadline() annotates rows with `due_on`: Django sets it on each instance.
        self.__dict__["_due_on"] = value

    @property
    def days_left(self):
        """Days until the deadline (0 on the day, negative once late)."""
        return (self.due_on - today()).days

    @property
    def deadline_phrase(self) -> str:
        """The days left, as the actor area says them: "J-3", "dernier jour", "en retard
        de 2 jours"."""
        days = self.days_left
        if days > 0:
            return f"J-{days}"
        if days == 0:
            return str(_("dernier jour"))
        if days == -1:
            return str(_("en retard d'un jour"))
        return str(_("en retard de %(days)s jours")) % {"days": -days}

    @property
    def is_waiting(self):
        """Not yet received: expected, or returned for correction."""
        return self.status in (self.Status.EXPECTED, self.Status.RETURNED)

    @property
    def is_late(self):
        return self.status in (self.Status.EXPECTED, self.Status.RETURNED) and self.days_left < 0

    @property
    def is_closed_for_actor(self):
        """Its campaign is closed and not reopened for the actor (or no longer)."""
        reopened = self.reopened_until is not None and self.reopened_until >= today()
        return self.campaign.state == Campaign.State.CLOSED and not reopened

    @property
    def may_be_answered(self):
        return not self.why_not_answerable

    @property
    def why_not_answerable(self) -> str:
        """Why its contact may not submit it now, in French ("" if they may)."""
        if self.status == self.Status.SUBMITTED:
            return str(_("Cette déclaration est remise : elle attend l'examen de la préfecture."))
        if self.status == self.Status.ACCEPTED:
            return str(_("Cette déclaration est acceptée : elle ne se modifie plus."))
        campaign = self.campaign
        if campaign.state == Campaign.State.DRAFT:
            return str(_("Cette campagne n'est pas encore ouverte."))
        if self.is_closed_for_actor:
            return str(
                _(
                    "Cette campagne est close : demandez à la préfecture de la rouvrir pour "
                    "votre structure."
                )
            )
        # The deadline is the first answer's: a report returned for correction (often
        # after it, since review follows) is corrected while the campaign is open.
        if self.status == self.Status.EXPECTED and self.days_left < 0:
            return str(
                _(
                    "La date limite du %(date)s est passée : demandez à la préfecture un "
                    "nouveau délai pour votre structure."
                )
                % {"date": f"{self.due_on:%d/%m/%Y}"}
            )
        return ""

    def deliveries_of_period(self, *, counted_only=True):
        """The commitment's deliveries dated within the campaign's period, that count or
        wait to (or all of them, returned and retracted ones too, if not `counted_only`)."""
        deliveries = Delivery.objects.filter(
            commitment=self.commitment_id,
            date__gte=self.campaign.period_start,
            date__lte=self.campaign.period_end,
        )
        if counted_only:
            deliveries = deliveries.filter(
                status__in=[Delivery.Status.REPORTED, Delivery.Status.VALIDATED]
            )
        return deliveries

    def _locked(self):
        # The commitment first, as everywhere, then this report: read fresh.
        lock_commitments([self.commitment_id])
        return ExpectedReport.objects.select_for_update().select_related("campaign").get(pk=self.pk)

    def submit(self, *, by, narrative="", nothing_delivered=False):
        """The contact submits it: the period's deliveries, or nothing delivered with a
        comment; once only, until it is returned."""
        narrative = (narrative or "").strip()
        with transaction.atomic():
            report = self._locked()
            if refusal := report.why_not_answerable:
                raise ValidationError(refusal, code="not_answerable")
            if nothing_delivered and not narrative:
                raise ValidationError(
                    {"narrative": _("Dites en quelques mots pourquoi rien n'a été réalisé.")},
                    code="narrative_required",
                )
            if not nothing_delivered and not report.deliveries_of_period().exists():
                raise ValidationError(
                    _(
                        "Aucune réalisation n'est déclarée sur la période du %(start)s au "
                        "%(end)s : déclarez-en une, ou cochez « Rien de réalisé sur la "
                        "période »."
                    )
                    % {
                        "start": f"{report.campaign.period_start:%d/%m/%Y}",
                        "end": f"{report.campaign.period_end:%d/%m/%Y}",
                    },
                    code="nothing_declared",
                )
            report.status = self.Status.SUBMITTED
            report.narrative, report.nothing_delivered = narrative, nothing_delivered
            report.submitted_at, report.submitted_by = timezone.now(), by
            report.reviewed_at = report.reviewed_by = None
            report.full_clean(exclude=["campaign", "commitment"], validate_constraints=False)
            report._history_user = by
            report.save()
        self._copy_from(report)

    def accept(self, *, by):
        self._review(by=by, status=self.Status.ACCEPTED)

    def return_for_revision(self, *, by, reason):
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(
                {"return_reason": _("Indiquez le motif du renvoi.")}, code="reason_required"
            )
        self._review(by=by, status=self.Status.RETURNED, reason=reason)

    def _review(self, *, by, status, reason=""):
        with transaction.atomic():
            report = self._locked()
            if report.status != self.Status.SUBMITTED:
                raise ValidationError(
                    _("Seule une déclaration remise s'examine : celle-ci est « %(status)s ».")
                    % {"status": report.get_status_display()},
                    code="not_submitted",
                )
            report.status, report.return_reason = status, reason
            report.reviewed_at, report.reviewed_by = timezone.now(), by
            report._history_user = by
            report.save()
        self._copy_from(report)

    def _copy_from(self, report):
        for field in (
            "status",
            "narrative",
            "nothing_delivered",
            "submitted_at",
            "submitted_by",
            "reviewed_at",
            "reviewed_by",
            "return_reason",
            "reopened_until",
            "reopened_on",
        ):
            setattr(self, field, getattr(report, field))


def check_period_open(commitment_id, date, *, day=None):
    """Refuse, in French, a delivery dated within the period of a closed campaign that
    expected a report of this commitment, unless it was reopened for its actor."""
    day = day or today()
    closed = (
        ExpectedReport.objects.filter(
            commitment_id=commitment_id,
            campaign__state=Campaign.State.CLOSED,
            campaign__period_start__lte=date,
            campaign__period_end__gte=date,
        )
        .exclude(reopened_until__gte=day)
        .select_related("campaign")
        .first()
    )
    if closed is not None:
        raise ValidationError(
            _(
                "La campagne « %(campaign)s » est close : rien de daté du %(start)s au "
                "%(end)s ne se déclare plus sur cet engagement, sauf si la préfecture la "
                "rouvre pour votre structure."
            )
            % {
                "campaign": closed.campaign.title,
                "start": f"{closed.campaign.period_start:%d/%m/%Y}",
                "end": f"{closed.campaign.period_end:%d/%m/%Y}",
            },
            code="campaign_closed",
        )


__all__ = ["Campaign", "ExpectedReport", "check_period_open", "reporting_rate", "today"]
