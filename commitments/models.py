"""Commitments and deliveries, and the one definition of every figure shown about them.

Every page, report, admin list and cache takes its figures from these QuerySets:

- *counted*: a commitment that is not cancelled (`CommitmentQuerySet.counted`). Cancelled
  commitments are listed apart and never added to any figure.
- *public*: a commitment marked public (`CommitmentQuerySet.public`); the public pages show
  public commitments only, reports say in their `public` column and visibility filter.
- *planned*: the sum of `planned_amount` of counted commitments, per unit: euros are never
  added to places (`CommitmentQuerySet.totals`).
- *delivered*: the sum of validated deliveries, kept on each commitment as
  `delivered_amount` (`Commitment.refresh_delivered_amount`), summed like planned.
- *rate*: delivered / planned, rounded half up to four places (`delivery_rate`; the SQL
  writer of reports uses PostgreSQL's `round`, which rounds the same way); None when
  nothing is planned. Shown as a whole percentage, rounded half up (`format_rate`).
- *a territory's figures*: those of the commitments made in it or in any territory it
  contains, at any depth (`CommitmentQuerySet.in_territory`); a breakdown by territory
  (`CommitmentQuerySet.totals_by_area`) adds up to the same figure.
"""

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Abs, Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.scopes import territory_filter
from strategy.models import Territory, areas_under, whole_scope
from strategy.text import stored_fold
from strategy.units import Unit, format_amount, format_rate, is_plural
from strategy.validators import validate_single_line

MIN_YEAR, MAX_YEAR = 2000, 2100
AMOUNT_DIGITS, AMOUNT_DECIMALS = 15, 2
REASON_MAX_LENGTH = 5000
CLOSING_NOTE_MAX_LENGTH = 2000
CANCELLED_REASON = "L'engagement a été annulé."

# When a commitment with validated deliveries is cancelled, what becomes of them.
WITHDRAW, CLOSE = "withdraw", "close"

# The groupings totals() knows, and the value each one is keyed by in its rows.
GROUPINGS = {
    "issue": ("issue_id", "measure__issue_id"),
    "measure": ("measure_id", "measure_id"),
    "actor": ("actor_id", "actor_id"),
    "territory": ("territory_id", "territory_id"),
    "year": ("year", "year"),
    "public": ("is_public", "is_public"),
}


RATE_PLACES = Decimal("0.0001")


def delivery_rate(planned, delivered):
    """delivered / planned as a Decimal fraction rounded half up to four places (0.03125
    gives 0.0313); None when nothing was planned. The one rule for every rate."""
    if not planned:
        return None
    return (Decimal(delivered) / Decimal(planned)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


class CommitmentQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)

    def counted(self):
        """Commitments whose figures count: cancelled ones are shown apart, never counted."""
        return self.exclude(status=Commitment.Status.CANCELLED)

    def cancelled(self):
        return self.filter(status=Commitment.Status.CANCELLED)

    def for_user(self, user):
        """The commitments of the actors this user is a contact of; none for anyone else."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(actor__memberships__user=user)

    def with_awaiting_count(self):
        return self.annotate(
            awaiting_count=Count("deliveries", filter=Q(deliveries__status="reported"))
        )

    def with_list_related_data(self):
        return self.select_related("actor", "measure__issue", "territory")

    def inconsistent(self):
        """Commitments whose status or delivered amount contradicts the rules (see
        Commitment.status_errors): rows written before the rules, or around them.

        Annotated with `inconsistency`, the code of the first rule broken (a key of
        INCONSISTENCIES), and `validated_total`, the sum of the validated deliveries.
        Nothing is rewritten: staff correct them through the change form.
        """
        validated = Delivery.objects.filter(
            commitment=OuterRef("pk"), status=Delivery.Status.VALIDATED
        )
        total = (
            validated.order_by().values("commitment").annotate(total=Sum("amount")).values("total")
        )
        amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
        status = Commitment.Status
        reasons = {
            "planned_delivered": Q(status=status.PLANNED, delivered_amount__gt=0),
            "completed_below": Q(
                status=status.COMPLETED,
                delivered_amount__lt=models.F("planned_amount"),
                closing_note="",
            ),
            "cancelled_delivered": Q(status=status.CANCELLED)
            & (Q(delivered_amount__gt=0) | Q(has_validated=True)),
            # SQLite sums decimals as floats: compare to the half-cent.
            "sum_differs": Q(sum_gap__gte=Decimal("0.005")),
        }
        return self.annotate(
            validated_total=Coalesce(Subquery(total, output_field=amount), Decimal(0)),
            has_validated=Exists(validated),
            sum_gap=Abs(models.F("delivered_amount") - models.F("validated_total")),
            inconsistency=models.Case(
                *(models.When(rule, then=models.Value(code)) for code, rule in reasons.items()),
                default=models.Value(""),
                output_field=models.CharField(),
            ),
        ).exclude(inconsistency="")

    def years(self):
        return list(self.order_by("year").values_list("year", flat=True).distinct())

    def in_territory(self, territory):
        """Commitments of a territory and of the territories it contains, at any depth."""
        return self.filter(territory__in=Territory.objects.within(territory))

    def in_scope(self, scope):
        """What a member of staff with this scope may see (actors.scopes)."""
        return self.filter(territory_filter(scope, "territory"))

    def filtered(self, *, year=None, territory=None, issue=None, measure=None):
        """The public pages' and reports' filters; None means no filter."""
        queryset = self
        if year is not None:
            queryset = queryset.filter(year=year)
        if territory is not None:
            queryset = queryset.in_territory(territory)
        if issue is not None:
            queryset = queryset.filter(measure__issue=issue)
        if measure is not None:
            queryset = queryset.filter(measure=measure)
        return queryset

    def totals(self, *by: str) -> list[dict]:
        """Planned, delivered and rate grouped by any of issue, measure, actor, territory,
        year and public.

        Always grouped by unit as well, so that euros are never added to places, and
        over counted (not cancelled) commitments only. One query whatever the rows.
        Each row: the grouping keys (`issue_id`, `measure_id`, `actor_id`,
        `territory_id`, `year`, `is_public`), `unit`, `planned`, `delivered`, `rate`,
        `count`.
        """
        return [_with_rate(row) for row in self.grouped_totals(*by)]

    def totals_and_count(self, *by: str) -> tuple[list[dict], int]:
        """(totals(*by), how many commitments these are, cancelled ones included), in one
        query: a filtered admin list shows both, and both read the same rows."""
        counted = ~Q(status=Commitment.Status.CANCELLED)
        rows = self._grouped(
            by,
            planned=Sum("planned_amount", filter=counted, default=Decimal(0)),
            delivered=Sum("delivered_amount", filter=counted, default=Decimal(0)),
            count=Count("pk", filter=counted),
            listed=Count("pk"),
        )
        listed = 0
        totals = []
        for row in rows:
            listed += row.pop("listed")
            if row["count"]:  # a unit with cancelled commitments only is in no total
                totals.append(_with_rate(row))
        return totals, listed

    def grouped_totals(self, *by: str, by_unit=True):
        """totals()' query, before the amounts are rounded and the rates computed: the
        rows the database sums (benchmarks copy them as they are). by_unit=False, for a
        grouping by measure that reads the unit from the measure itself: no join to the
        measures, and the same rows."""
        return self.counted()._grouped(
            by,
            by_unit=by_unit,
            planned=Sum("planned_amount", default=Decimal(0)),
            delivered=Sum("delivered_amount", default=Decimal(0)),
            count=Count("pk"),
        )

    def _grouped(self, by, by_unit=True, **aggregates):
        """These commitments' `aggregates` grouped by `by` (keys of GROUPINGS) and unit
        (unless by_unit is false)."""
        unknown = set(by) - GROUPINGS.keys()
        if unknown:
            raise ValueError(f"Unknown grouping: {', '.join(sorted(unknown))}")
        aliases = [GROUPINGS[name][0] for name in by]
        paths = [GROUPINGS[name][1] for name in by]
        plain = [alias for alias, path in zip(aliases, paths, strict=True) if alias == path]
        renamed = {
            alias: models.F(path)
            for alias, path in zip(aliases, paths, strict=True)
            if alias != path
        }
        unit = {"unit": models.F("measure__unit")} if by_unit else {}
        return (
            self.order_by()
            .values(*plain, **renamed, **unit)
            .annotate(**aggregates)
            .order_by(*aliases, *unit)
        )

    def totals_by_area(self, *, scope=None, territories=None) -> list[dict]:
        """The totals broken down by territory, one table per unit: see area_tables().
        One query, plus the territories when the caller has not loaded them."""
        return area_tables(self.totals("territory"), scope=scope, territories=territories)


def area_tables(rows, *, scope=None, territories=None) -> list[dict]:
    """totals("territory") rows broken down by territory, one table per unit.

    The areas are the territories directly under `scope` (the départements under the
    region), each with everything committed within it at any depth, and, apart, what was
    committed at the scope's own level ("Échelon régional"). With no scope, the scope is
    the region (strategy.models.whole_scope). Per unit the rows add up, exactly, to `total`,
    the scope's own figure. Each table: `unit`, `rows` (each: `territory`, `label`,
    `own_level`, and the figures of totals()), `total`, `scope`.
    """
    territories = list(territories if territories is not None else Territory.objects.all())
    if scope is None:
        scope = whole_scope(territories)
        # A territory outside the region (created without a parent) is an area of its own
        # rather than left out: the tables still add up to everything.
        areas = areas_under(None, territories) | areas_under(scope, territories)
    else:
        areas = areas_under(scope, territories)
    by_unit = {}
    for row in rows:
        if row["territory_id"] not in areas:
            continue  # outside the scope: the caller did not filter on it
        area = areas[row["territory_id"]]
        sums = by_unit.setdefault(row["unit"], {})
        key = area.pk if area is not None else None
        if key not in sums:
            sums[key] = {"territory": area or scope, "own_level": area is None}
            sums[key].update(planned=Decimal(0), delivered=Decimal(0), count=0)
        for figure in ("planned", "delivered", "count"):
            sums[key][figure] += row[figure]
    tables = []
    for unit in sorted(by_unit, key=_unit_order):
        area_rows = sorted(
            by_unit[unit].values(), key=lambda r: (r["own_level"], r["territory"].name)
        )
        for row in area_rows:
            row["unit"] = unit
            row["rate"] = delivery_rate(row["planned"], row["delivered"])
            territory = row["territory"]
            row["label"] = territory.own_level_label if row["own_level"] else territory.name
        total = {
            "unit": unit,
            "planned": sum((row["planned"] for row in area_rows), Decimal(0)),
            "delivered": sum((row["delivered"] for row in area_rows), Decimal(0)),
            "count": sum(row["count"] for row in area_rows),
        }
        total["rate"] = delivery_rate(total["planned"], total["delivered"])
        tables.append({"unit": unit, "rows": area_rows, "total": total, "scope": scope})
    return tables


def _unit_order(unit):
    return [choice.value for choice in Unit].index(unit)


# What inconsistent() finds, in French, by code.
INCONSISTENCIES = {
    "planned_delivered": _("« Prévu » alors que du réalisé est validé"),
    "completed_below": _("« Réalisé » sous le prévu, sans note de clôture"),
    "cancelled_delivered": _("« Annulé » avec des réalisations validées"),
    "sum_differs": _("Réalisé différent de la somme des réalisations validées"),
}


def rows_by(rows, key):
    """Totals rows grouped by one of their keys: {value: [rows]}."""
    grouped = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _with_rate(row):
    """A grouped_totals() row with its amounts rounded and its rate."""
    return {
        **row,
        "planned": as_amount(row["planned"]),
        "delivered": as_amount(row["delivered"]),
        "rate": delivery_rate(row["planned"], row["delivered"]),
    }


def as_amount(value):
    # SQLite hands sums back as floats turned Decimal; bring them back to cents.
    return Decimal(value).quantize(Decimal("0.01"))


class Commitment(models.Model):
    """An *engagement*: what an actor promised for a measure, a territory and a year."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Prévu")
        IN_PROGRESS = "in_progress", _("En cours")
        COMPLETED = "completed", _("Réalisé")
        CANCELLED = "cancelled", _("Annulé")

    actor = models.ForeignKey(
        "actors.Actor",
        verbose_name=_("acteur"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    measure = models.ForeignKey(
        "strategy.Measure",
        verbose_name=_("mesure"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    territory = models.ForeignKey(
        "strategy.Territory",
        verbose_name=_("territoire"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    year = models.PositiveSmallIntegerField(
        _("année"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    title = models.CharField(_("intitulé"), max_length=300, validators=[validate_single_line])
    # What the admin search compares, kept by the database (strategy.text.stored_fold).
    title_folded = stored_fold("title", _("intitulé replié"))
    description = models.TextField(_("description"), blank=True)
    planned_amount = models.DecimalField(
        _("prévu"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_DECIMALS,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Dans l'unité de la mesure (euros, places, personnes…)."),
    )
    delivered_amount = models.DecimalField(
        _("réalisé"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_DECIMALS,
        default=Decimal(0),
        editable=False,
        help_text=_("Somme des réalisations validées, tenue à jour automatiquement."),
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    closing_note = models.TextField(
        _("note de clôture"),
        blank=True,
        validators=[MaxLengthValidator(CLOSING_NOTE_MAX_LENGTH)],
        help_text=_(
            "Pour un engagement réalisé sous l'objectif, ou annulé : pourquoi il est clos. "
            "Elle est affichée avec le statut."
        ),
    )
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Affiché sur les pages publiques.")
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = CommitmentQuerySet.as_manager()
    # A generated column is the database's to write: the history keeps the title only.
    history = HistoricalRecords(excluded_fields=["title_folded"])

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["-year", "title", "pk"]
        permissions = [("export_reports", _("Peut télécharger les rapports"))]
        indexes = [
            models.Index(fields=["year"], name="commitment_year_idx"),
            models.Index(fields=["status"], name="commitment_status_idx"),
            models.Index(fields=["measure", "year"], name="commitment_measure_year_idx"),
            models.Index(fields=["territory", "year"], name="commitment_territory_year_idx"),
            models.Index(fields=["actor", "year"], name="commitment_actor_year_idx"),
            # The admin list's order (the model's), read page by page from the index.
            models.Index(fields=["-year", "title", "id"], name="commitment_list_order_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_amount__gte=0),
                name="commitment_planned_not_negative",
                violation_error_message=_("Le montant prévu ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(delivered_amount__gte=0),
                name="commitment_delivered_not_negative",
                violation_error_message=_("Le montant réalisé ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_YEAR, year__lte=MAX_YEAR),
                name="commitment_year_in_range",
                violation_error_message=_("L'année doit être comprise entre 2000 et 2100."),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if (
            isinstance(self.planned_amount, Decimal)
            and self.measure_id
            and not _is_whole(self.planned_amount)
            and Unit(self.measure.unit).is_whole
        ):
            raise ValidationError({"planned_amount": _whole_units_message(self.measure.unit)})
        errors = self.status_errors(self.status, self.closing_note)
        if errors:
            raise ValidationError(errors)

    def status_errors(self, status, closing_note) -> dict:
        """What the rules of statuses say against `status` with `closing_note`, given
        this commitment's planned and delivered amounts: {field: message}, empty if fine.

        - Prévu: nothing validated yet; the first validated delivery makes it En cours.
        - En cours: any delivered amount.
        - Réalisé: delivered reaches planned, or a closing note says why it was closed
          below target.
        - Annulé: nothing validated counts (cancelling withdraws them, see change_status).
        - The closing note goes with Réalisé or Annulé only.
        """
        Status = Commitment.Status
        closing_note = (closing_note or "").strip()
        delivered = self.delivered_amount or Decimal(0)
        planned = self.planned_amount if isinstance(self.planned_amount, Decimal) else None
        errors = {}
        if status == Status.PLANNED and delivered > 0:
            errors["status"] = _(
                "« Prévu » veut dire que rien n'est encore réalisé, or %(delivered)s sont "
                "déjà validés : choisissez « En cours » ou « Réalisé »."
            ) % {"delivered": self._amount(delivered)}
        elif status == Status.COMPLETED and planned is not None and delivered < planned:
            if not closing_note:
                errors["closing_note"] = _(
                    "Le réalisé validé (%(delivered)s) n'atteint pas le prévu (%(planned)s) : "
                    "pour dire cet engagement « Réalisé », expliquez dans la note de clôture "
                    "pourquoi il est clos sous l'objectif."
                ) % {"delivered": self._amount(delivered), "planned": self._amount(planned)}
        elif status == Status.CANCELLED and delivered > 0:
            errors["status"] = _(
                "Cet engagement a %(delivered)s de réalisations validées : il ne peut être "
                "annulé qu'en décidant ce qu'elles deviennent (les retirer, ou le clore comme "
                "« Réalisé » avec une note de clôture), depuis sa fiche dans l'administration."
            ) % {"delivered": self._amount(delivered)}
        if closing_note and status in (Status.PLANNED, Status.IN_PROGRESS):
            errors["closing_note"] = _(
                "La note de clôture ne va qu'avec un engagement « Réalisé » ou « Annulé » : "
                "videz-la, ou changez le statut."
            )
        return errors

    def _amount(self, amount):
        return format_amount(amount, self.measure.unit) if self.measure_id else str(amount)

    @property
    def unit(self):
        return self.measure.unit

    @property
    def rate(self):
        return delivery_rate(self.planned_amount, self.delivered_amount)

    def report_delivery(
        self, *, amount, date, by, comment="", submission_key=None, confirmed=False, evidence=None
    ) -> "Delivery":
        """An actor's contact (or staff) reports what was delivered; staff validate it later.

        A form posted twice carries the same `submission_key`: the second post gets the
        delivery the first one created (with `already_recorded` set), and nothing new.
        Unusual figures (Delivery.points_to_confirm) are refused until `confirmed`. An
        `evidence` file is attached in the same transaction (commitments.evidence).
        """
        # The file is stored before the lock is taken, so that a slow store holds none.
        prepared = Evidence.stored(evidence, by=by) if evidence is not None else None
        try:
            with transaction.atomic():
                commitment = (
                    Commitment.objects.select_for_update().select_related("measure").get(pk=self.pk)
                )
                if submission_key is not None:
                    existing = Delivery.objects.filter(submission_key=submission_key).first()
                    if existing is not None:
                        existing.already_recorded = True
                        if prepared is not None:
                            prepared.discard()
                        return existing
                commitment.check_open_for_deliveries()
                check_period_open(commitment.pk, date)
                delivery = Delivery(
                    commitment=commitment,
                    amount=amount,
                    date=date,
                    comment=comment,
                    reported_by=by,
                    status=Delivery.Status.REPORTED,
                    submission_key=submission_key,
                )
                delivery.full_clean()
                delivery.check_confirmed(confirmed)
                delivery._history_user = by
                delivery.save()
                if prepared is not None:
                    prepared.save_on(delivery, by=by)
        except BaseException:
            if prepared is not None:
                prepared.discard()
            raise
        return delivery

    def check_status_change(self, new_status, *, closing_note="", validated_deliveries=None):
        """Raise the French ValidationError that change_status would, writing nothing.

        `validated_deliveries` (WITHDRAW or CLOSE) is required to cancel a commitment that
        has validated deliveries; with CLOSE it is closed as Réalisé instead.
        """
        closing_note = (closing_note or "").strip()
        if new_status not in Commitment.Status.values:
            raise ValidationError({"status": _("Statut inconnu.")})
        if new_status == Commitment.Status.CANCELLED:
            validated = self.deliveries.validated().aggregate(
                count=Count("pk"), total=Sum("amount", default=Decimal(0))
            )
            if validated["count"] and validated_deliveries not in (WITHDRAW, CLOSE):
                words = (
                    _("réalisations validées")
                    if is_plural(validated["count"])
                    else _("réalisation validée")
                )
                raise ValidationError(
                    {
                        "validated_deliveries": _(
                            "Cet engagement a %(count)s %(words)s (%(total)s) : choisissez "
                            "ce qu'elles deviennent avant de l'annuler."
                        )
                        % {
                            "count": validated["count"],
                            "words": words,
                            "total": self._amount(validated["total"]),
                        }
                    },
                    code="validated_deliveries",
                )
            if validated["count"] and validated_deliveries == CLOSE:
                new_status = Commitment.Status.COMPLETED
            else:
                # Withdrawn, they no longer count: judge the status without them.
                errors = self._with_delivered(Decimal(0)).status_errors(new_status, closing_note)
                if errors:
                    raise ValidationError(errors)
                return new_status
        errors = self.status_errors(new_status, closing_note)
        if errors:
            raise ValidationError(errors)
        return new_status

    def _with_delivered(self, amount):
        copy = Commitment(
            pk=self.pk,
            measure=self.measure,
            planned_amount=self.planned_amount,
            delivered_amount=amount,
        )
        return copy

    def change_status(
        self, new_status, *, by, closing_note="", validated_deliveries=None
    ) -> list["Delivery"]:
        """Every status change goes here: checked under the commitment's row lock,
        saved with its history user.

        Cancelling withdraws the validated deliveries (with WITHDRAW; with CLOSE the
        commitment is closed as Réalisé instead) and returns those awaiting review with
        the reason CANCELLED_REASON. Returns the deliveries so changed, for notifying
        their contacts.
        """
        closing_note = (closing_note or "").strip()
        touched = []
        with transaction.atomic():
            commitment = (
                Commitment.objects.select_for_update(of=("self",))
                .select_related("measure")
                .get(pk=self.pk)
            )
            new_status = commitment.check_status_change(
                new_status, closing_note=closing_note, validated_deliveries=validated_deliveries
            )
            if new_status == Commitment.Status.CANCELLED:
                touched = commitment._set_deliveries_aside(by=by)
                commitment.refresh_delivered_amount(by=by)
            commitment.status, commitment.closing_note = new_status, closing_note
            commitment._history_user = by
            commitment.save(update_fields=["status", "closing_note", "updated_at"])
        for field in ("status", "closing_note", "delivered_amount", "updated_at"):
            setattr(self, field, getattr(commitment, field))
        return touched

    def _set_deliveries_aside(self, *, by):
        """On cancelling: validated deliveries withdrawn, reported ones returned.

        One by one, so that each change is in the history; the caller holds the lock."""
        now = timezone.now()
        moves = {
            Delivery.Status.VALIDATED: Delivery.Status.WITHDRAWN,
            Delivery.Status.REPORTED: Delivery.Status.RETURNED,
        }
        touched = []
        deliveries = (
            self.deliveries.select_for_update(of=("self",))
            .filter(status__in=moves)
            .select_related("reported_by")
            .order_by("pk")
        )
        for delivery in deliveries:
            delivery.status = moves[delivery.status]
            delivery.reviewed_by, delivery.reviewed_at = by, now
            delivery.return_reason = CANCELLED_REASON
            delivery._history_user = by
            delivery.save()
            delivery.commitment = self
            touched.append(delivery)
        return touched

    def check_open_for_deliveries(self):
        if self.status == Commitment.Status.CANCELLED:
            raise ValidationError(
                _("Cet engagement est annulé : aucune réalisation ne peut y être déclarée."),
                code="cancelled",
            )

    def refresh_delivered_amount(self, *, by=None):
        """Set delivered_amount to the sum of validated deliveries, and save if it moved;
        the status follows it where a rule would break (status_after_delivered): the
        first validated delivery makes a Prévu En cours, and a Réalisé without a closing
        note that falls below target (a validated delivery corrected or deleted) is En
        cours again. Returns whether anything moved.

        Callers hold the commitment's row lock (see lock_commitments) in their transaction.
        """
        total = self.deliveries.filter(status=Delivery.Status.VALIDATED).aggregate(
            total=Sum("amount", default=Decimal(0))
        )["total"]
        total = as_amount(total)
        status = self.status_after_delivered(total)
        changed = total != self.delivered_amount or status != self.status
        if changed:
            self.delivered_amount, self.status = total, status
            self._history_user = by
            self.save(update_fields=["delivered_amount", "status", "updated_at"])
        return changed

    def status_after_delivered(self, delivered):
        """The status this commitment takes when its delivered amount becomes `delivered`."""
        Status = Commitment.Status
        if self.status == Status.PLANNED and delivered > 0:
            return Status.IN_PROGRESS
        below = delivered < (self.planned_amount or Decimal(0))
        if self.status == Status.COMPLETED and below and not self.closing_note.strip():
            return Status.IN_PROGRESS
        return self.status


def lock_commitments(pks: Iterable[int]) -> dict[int, "Commitment"]:
    """Lock these commitments' rows, in primary-key order so that lockers never deadlock."""
    pks = sorted({pk for pk in pks if pk is not None})
    locked = Commitment.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    return {commitment.pk: commitment for commitment in locked}


def _is_whole(amount):
    try:
        return amount == amount.to_integral_value()
    except (InvalidOperation, AttributeError):
        return True


def _whole_units_message(unit):
    return _("Ce montant se compte en %(unit)s : saisissez un nombre entier.") % {
        "unit": Unit(unit).label
    }


# A declaration that brings validated and waiting deliveries above this share of planned
# is confirmed by its author (Delivery.points_to_confirm).
OVER_PLANNED_TO_CONFIRM = Decimal("1.5")
TO_CONFIRM = "to_confirm"  # the code of the errors a confirmation lifts
NO_LONGER_WAITING = _(
    "La réalisation du %(date)s n'est plus en attente de validation : elle est "
    "« %(status)s ». Elle ne peut plus être modifiée ni retirée ; renvoyée pour correction, "
    "elle se corrige avec « Corriger », sur la page de l'engagement."
)


class DeliveryQuerySet(models.QuerySet):
    def validated(self):
        return self.filter(status=Delivery.Status.VALIDATED)

    def public(self):
        """What the public may see: validated deliveries of public, counted commitments."""
        return (
            self.validated()
            .filter(commitment__is_public=True)
            .exclude(commitment__status=Commitment.Status.CANCELLED)
        )

    def cumulative_by_month(self) -> list[dict]:
        """[{"month": date, "amount": delivered that month, "cumulative": so far}], one query."""
        rows = (
            self.order_by()
            .annotate(month=TruncMonth("date"))
            .values("month")
            .annotate(amount=Sum("amount"))
            .order_by("month")
        )
        cumulative = Decimal(0)
        months = []
        for row in rows:
            amount = as_amount(row["amount"])
            cumulative += amount
            months.append({"month": row["month"], "amount": amount, "cumulative": cumulative})
        return months

    def awaiting_review(self):
        return self.filter(status=Delivery.Status.REPORTED)

    def validated_on(self):
        """The day (in Paris) the latest of these deliveries was validated: the date the
        figures made of them were last validated ("Données validées au …"), or None.
        One query."""
        latest = self.validated().aggregate(latest=Max("reviewed_at"))["latest"]
        return timezone.localdate(latest) if latest else None

    def in_scope(self, scope):
        """The deliveries of the commitments a member of staff may see (actors.scopes)."""
        return self.filter(territory_filter(scope, "commitment__territory"))

    def queue_summary(self) -> dict:
        """{"count": deliveries awaiting review, "oldest": when the oldest was reported}."""
        return self.awaiting_review().aggregate(count=Count("pk"), oldest=Min("reported_at"))

    def totals_by_unit(self) -> list[dict]:
        """Per unit of their measures, in the order of totals(): how many deliveries, their
        amount, and how much of it counts (validated, on a commitment not cancelled, as
        a commitment's delivered amount). One query."""
        rows = (
            self.order_by()
            .values(unit=models.F("commitment__measure__unit"))
            .annotate(
                count=Count("pk"),
                total=Sum("amount", default=Decimal(0)),
                validated_total=Sum(
                    "amount",
                    filter=Q(status=Delivery.Status.VALIDATED)
                    & ~Q(commitment__status=Commitment.Status.CANCELLED),
                    default=Decimal(0),
                ),
            )
        )
        return [
            {
                "unit": row["unit"],
                "count": row["count"],
                "amount": as_amount(row["total"]),
                "validated": as_amount(row["validated_total"]),
            }
            for row in rows.order_by("unit")
        ]

    def with_list_related_data(self):
        return self.select_related(
            "commitment__actor", "commitment__measure", "reported_by", "reviewed_by"
        )


class Delivery(models.Model):
    """A *réalisation*: an amount delivered on a commitment, reported then reviewed."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Déclarée, en attente de validation")
        VALIDATED = "validated", _("Validée")
        RETURNED = "returned", _("Renvoyée pour correction")
        WITHDRAWN = "withdrawn", _("Retirée (engagement annulé)")
        # The contact took back a declaration before it was reviewed (Delivery.retract).
        RETRACTED = "retracted", _("Retirée par l'acteur")

    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("engagement"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    date = models.DateField(_("date de réalisation"))
    amount = models.DecimalField(
        _("montant réalisé"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_DECIMALS,
        help_text=_("Dans l'unité de la mesure (euros, places, personnes…)."),
    )
    comment = models.TextField(_("commentaire"), blank=True, max_length=5000)
    comment_folded = stored_fold("comment", _("commentaire replié"))
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.REPORTED
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déclarée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_deliveries",
    )
    reported_at = models.DateTimeField(_("déclarée le"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("examinée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_deliveries",
    )
    reviewed_at = models.DateTimeField(_("examinée le"), null=True, blank=True)
    return_reason = models.TextField(_("motif du renvoi"), blank=True, max_length=REASON_MAX_LENGTH)
    submission_key = models.UUIDField(
        _("clé de soumission"),
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("Identifie le formulaire qui l'a créée, contre les doubles envois."),
    )

    objects = DeliveryQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["comment_folded"])

    # What a commitment's figures hold once reviewed, or may hold soon.
    COUNTED_OR_WAITING = [Status.VALIDATED, Status.REPORTED]

    # Those awaiting review first, then those returned, then the rest; the latest
    # reported first, so that an agent finds what was just declared at the top.
    REVIEW_ORDERING = [
        models.Case(
            models.When(status=Status.REPORTED, then=models.Value(0)),
            models.When(status=Status.RETURNED, then=models.Value(1)),
            default=models.Value(2),
        ).asc(),
        "-reported_at",
        "-pk",
    ]
    # Within one status the rank is constant: the same order, which the index on
    # (status, reported_at, id) serves when the list is filtered by status.
    STATUS_REVIEW_ORDERING = ["-reported_at", "-pk"]
    # The review queue: the longest waiting first.
    QUEUE_ORDERING = ["reported_at", "pk"]

    class Meta:
        verbose_name = _("réalisation")
        verbose_name_plural = _("réalisations")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["status"], name="delivery_status_idx"),
            models.Index(fields=["commitment", "status"], name="delivery_commitment_status_idx"),
            models.Index(fields=["date"], name="delivery_date_idx"),
            # The admin list's default order (REVIEW_ORDERING), and the order within a
            # status (the review queue, the status filter), read from the index.
            models.Index(
                models.Case(
                    models.When(status="reported", then=models.Value(0)),
                    models.When(status="returned", then=models.Value(1)),
                    default=models.Value(2),
                ),
                models.F("reported_at").desc(),
                models.F("id").desc(),
                name="delivery_review_order_idx",
            ),
            models.Index(fields=["status", "reported_at", "id"], name="delivery_status_order_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="delivery_amount_positive",
                violation_error_message=_("Le montant réalisé doit être strictement positif."),
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="delivery_returned_has_reason",
                violation_error_message=_("Une réalisation renvoyée doit avoir un motif."),
            ),
        ]

    def __str__(self):
        if self.commitment_id is None or not isinstance(self.amount, Decimal):
            return f"Réalisation du {self.date:%d/%m/%Y}" if self.date else "Réalisation"
        return (
            f"{format_amount(self.amount, self.commitment.measure.unit)} "
            f"le {self.date:%d/%m/%Y} — {self.commitment}"
        )

    def clean(self):
        errors = {}
        if isinstance(self.amount, Decimal):
            if self.amount <= 0:
                errors["amount"] = _("Le montant réalisé doit être strictement positif.")
            elif self.commitment_id and not _is_whole(self.amount):
                unit = self.commitment.measure.unit
                if Unit(unit).is_whole:
                    errors["amount"] = _whole_units_message(unit)
        # A date before the commitment's year is not refused: it is confirmed
        # (points_to_confirm), as work begun early may well be.
        if isinstance(self.date, datetime.date) and self.date > timezone.localdate():
            errors["date"] = _("La date de réalisation ne peut pas être dans le futur.")
        if errors:
            raise ValidationError(errors)

    @property
    def may_be_amended(self):
        """A contact may edit or retract it: it waits for review on an open commitment."""
        return not self.why_not_amended

    @property
    def why_not_amended(self) -> str:
        """Why a contact may no longer edit or retract it, in French ("" if they may);
        what amend() and retract() would answer, read without a lock for the pages."""
        if self.status != Delivery.Status.REPORTED:
            return NO_LONGER_WAITING % {
                "date": f"{self.date:%d/%m/%Y}",
                "status": self.get_status_display(),
            }
        if self.commitment.status == Commitment.Status.CANCELLED:
            return str(_("Cet engagement est annulé : ses réalisations ne sont plus à modifier."))
        return ""

    @property
    def may_be_corrected(self):
        """A contact may correct it and report it again: returned, on an open commitment."""
        return (
            self.status == Delivery.Status.RETURNED
            and self.commitment.status != Commitment.Status.CANCELLED
        )

    def points_to_confirm(self) -> dict[str, str]:
        """What is unusual enough in this declaration that its author confirms it, by field:
        a date before the commitment's year; an amount that brings what is validated or
        waiting for review on the commitment, this one included, above 150 % of planned.

        The one place of these rules; check_confirmed enforces them, under the commitment's
        row lock in report_delivery, resubmit and amend, so that the figures are current.
        """
        points = {}
        commitment = self.commitment
        if isinstance(self.date, datetime.date) and self.date.year < commitment.year:
            points["date"] = _(
                "La date du %(date)s précède l'année de l'engagement (%(year)s). Confirmez-vous ?"
            ) % {"date": f"{self.date:%d/%m/%Y}", "year": commitment.year}
        planned = commitment.planned_amount
        if isinstance(self.amount, Decimal) and planned and planned > 0:
            others = (
                commitment.deliveries.filter(status__in=Delivery.COUNTED_OR_WAITING)
                .exclude(pk=self.pk)
                .aggregate(total=Sum("amount", default=Decimal(0)))["total"]
            )
            total = as_amount(others) + self.amount
            if total > planned * OVER_PLANNED_TO_CONFIRM:
                unit = commitment.measure.unit
                points["amount"] = _(
                    "Avec cette déclaration, le réalisé (validé ou en attente de validation) "
                    "atteindrait %(total)s sur %(planned)s (%(rate)s). Confirmez-vous ?"
                ) % {
                    "total": format_amount(total, unit),
                    "planned": format_amount(planned, unit, "prévu"),
                    "rate": format_rate(delivery_rate(planned, total)),
                }
        return points

    def check_confirmed(self, confirmed):
        """Refuse, on their fields, the points to confirm that were not confirmed."""
        if confirmed:
            return
        points = self.points_to_confirm()
        if points:
            raise ValidationError(
                {
                    field: ValidationError(message, code=TO_CONFIRM)
                    for field, message in points.items()
                }
            )

    def validate(self, *, by):
        """Staff accept a reported delivery: it now counts in the commitment's delivered amount."""
        with transaction.atomic():
            commitment, delivery = self._lock_for_review()
            if commitment.status == Commitment.Status.CANCELLED:
                raise ValidationError(
                    _(
                        "Cet engagement est annulé : aucune réalisation ne peut y être validée. "
                        "Renvoyez-la à l'acteur, ou rouvrez d'abord l'engagement."
                    ),
                    code="cancelled",
                )
            delivery.status = Delivery.Status.VALIDATED
            delivery.reviewed_by = by
            delivery.reviewed_at = timezone.now()
            delivery.return_reason = ""
            delivery._history_user = by
            delivery.save()
            commitment.refresh_delivered_amount(by=by)  # a Prévu becomes En cours
        self._copy_review_from(delivery)

    def return_for_revision(self, *, by, reason):
        """Staff send a reported delivery back to the actor, saying what to correct."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(
                {
                    "return_reason": _(
                        "Indiquez le motif du renvoi pour que l'acteur puisse corriger."
                    )
                }
            )
        if len(reason) > REASON_MAX_LENGTH:
            raise ValidationError(
                {
                    "return_reason": _("Le motif du renvoi est limité à %(max)s caractères.")
                    % {"max": REASON_MAX_LENGTH}
                }
            )
        with transaction.atomic():
            commitment, delivery = self._lock_for_review()
            delivery.status = Delivery.Status.RETURNED
            delivery.reviewed_by = by
            delivery.reviewed_at = timezone.now()
            delivery.return_reason = reason
            delivery._history_user = by
            delivery.save()
            commitment.refresh_delivered_amount(by=by)
        self._copy_review_from(delivery)

    def resubmit(self, *, amount, date, by, comment="", confirmed=False):
        """The actor corrects a returned delivery and reports it again for review."""
        with transaction.atomic():
            commitment = lock_commitments([self.commitment_id])[self.commitment_id]
            delivery = Delivery.objects.select_for_update().get(pk=self.pk)
            if delivery.status != Delivery.Status.RETURNED:
                raise ValidationError(
                    _("Cette réalisation n'est plus à corriger : elle est « %(status)s ».")
                    % {"status": delivery.get_status_display()},
                    code="not_returned",
                )
            commitment.check_open_for_deliveries()
            check_period_open(commitment.pk, date)
            delivery.commitment = commitment
            delivery.amount, delivery.date, delivery.comment = amount, date, comment
            delivery.status = Delivery.Status.REPORTED
            delivery.reported_by = by
            delivery.reported_at = timezone.now()
            delivery.reviewed_by, delivery.reviewed_at = None, None
            delivery.full_clean(exclude=["submission_key"])
            delivery.check_confirmed(confirmed)
            delivery._history_user = by
            delivery.save()
        for field in ("amount", "date", "comment", "status", "reported_by", "reported_at"):
            setattr(self, field, getattr(delivery, field))
        self.reviewed_by = self.reviewed_at = None

    def amend(self, *, amount, date, by, comment="", confirmed=False):
        """The contact edits a declaration still waiting for review. It keeps its place in
        the queue (reported_at) and its reporter; the history says who changed what."""
        with transaction.atomic():
            commitment, delivery = self._lock_for_review(NO_LONGER_WAITING)
            commitment.check_open_for_deliveries()
            check_period_open(commitment.pk, date)
            delivery.commitment = commitment
            delivery.amount, delivery.date, delivery.comment = amount, date, comment
            delivery.full_clean(exclude=["submission_key"])
            delivery.check_confirmed(confirmed)
            delivery._history_user = by
            delivery.save()
        for field in ("amount", "date", "comment"):
            setattr(self, field, getattr(delivery, field))

    def retract(self, *, by):
        """The contact takes back a declaration still waiting for review: it leaves the
        queue and counts nowhere; the history keeps it. It counted nowhere before either,
        so the commitment's delivered amount does not move."""
        with transaction.atomic():
            _commitment, delivery = self._lock_for_review(NO_LONGER_WAITING)
            delivery.status = Delivery.Status.RETRACTED
            delivery._history_user = by
            delivery.save(update_fields=["status"])
        self.status = delivery.status

    def _lock_for_review(self, message=None):
        # The commitment first, as everywhere, then this delivery: read its status fresh.
        commitment = lock_commitments([self.commitment_id])[self.commitment_id]
        delivery = Delivery.objects.select_for_update().get(pk=self.pk)
        if delivery.status != Delivery.Status.REPORTED:
            message = message or _(
                "Seule une réalisation en attente de validation peut être examinée : "
                "celle du %(date)s est déjà « %(status)s »."
            )
            raise ValidationError(
                message
                % {"date": f"{delivery.date:%d/%m/%Y}", "status": delivery.get_status_display()},
                code="not_waiting",
            )
        return commitment, delivery

    def _copy_review_from(self, delivery):
        for field in ("status", "reviewed_by", "reviewed_at", "return_reason"):
            setattr(self, field, getattr(delivery, field))


# The reporting campaigns' models live in their own module (commitments.campaigns).
from commitments.campaigns import Campaign, ExpectedReport, check_period_open  # noqa: E402, F401
from commitments.evidence import Evidence  # noqa: E402, F401, I001
from commitments.mails import MailFailure  # noqa: E402, F401
from commitments.reminders import ReminderSent  # noqa: E402, F401
