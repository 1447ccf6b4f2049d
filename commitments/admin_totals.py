"""Totals per unit in the changelists and change pages of measures and actors."""

from collections import defaultdict

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from actors.scopes import scope_of
from commitments.models import Commitment, Delivery
from strategy.admin_lists import EstimatedCountChangeList
from strategy.models import Territory
from strategy.units import format_amount, format_rate


class UnitTotalsChangeList(EstimatedCountChangeList):
    def get_results(self, request):
        super().get_results(request)
        self.model_admin.attach_unit_totals(self.result_list, scope_of(request.user))


class FilteredTotalsChangeList(EstimatedCountChangeList):
    """A commitment list with the totals of every listed row (all its pages, with its
    filters and search), from totals(): the figures of the public pages for the same
    filters when "public" is chosen. One query: a filtered list counts its rows in it
    too (totals_and_count()), rather than in a COUNT(*) that reads the same rows again;
    the unfiltered list keeps the estimate of its count."""

    unit_totals = None

    def listed_count(self, paginator):
        if not self.is_filtered():
            return super().listed_count(paginator)
        self.unit_totals, paginator.count = self.queryset.totals_and_count()
        return paginator.count

    def get_results(self, request):
        super().get_results(request)
        if self.unit_totals is None:
            self.unit_totals = self.queryset.totals()
        self.unit_totals_count = sum(row["count"] for row in self.unit_totals)


# Above this many listed deliveries the totals are not summed: at 600 000 the sum reads
# every row (0.4 s of PostgreSQL alone), on every page of the list; a filter brings them back.
DELIVERY_TOTALS_UP_TO = 50_000


class DeliveryTotalsChangeList(EstimatedCountChangeList):
    """A delivery list with, per unit, the count and amount of every listed row (all its
    pages, with its filters and search) and the validated part. One query, and none
    beyond DELIVERY_TOTALS_UP_TO listed rows (the page says so)."""

    def get_results(self, request):
        super().get_results(request)
        self.unit_totals_limit = f"{DELIVERY_TOTALS_UP_TO:,}".replace(",", "\u202f")
        if self.result_count > DELIVERY_TOTALS_UP_TO:
            self.unit_totals = None
            return
        self.unit_totals = self.queryset.totals_by_unit()
        self.unit_totals_count = sum(row["count"] for row in self.unit_totals)


class WithinTerritoryFilter(admin.SimpleListFilter):
    """A territory with every territory it contains, at any depth, as everywhere else."""

    title = "territoire (et ce qu'il contient)"
    parameter_name = "territory"

    def lookups(self, request, model_admin):
        return [
            (str(territory.pk), territory.name)
            for territory in scope_of(request.user)
            .territories()
            .order_by("parent_id", "name", "pk")
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        value = self.value()
        # ASCII digits only: "²" is a digit to Python, not to int().
        is_id = value.isascii() and value.isdigit() and len(value) < 19
        territory = Territory.objects.filter(pk=value).first() if is_id else None
        if territory is None:
            return queryset.none()
        return queryset.in_territory(territory)


class CommitmentsAwaitingReviewFilter(admin.SimpleListFilter):
    """Commitments with deliveries waiting for an agent, or without any."""

    title = "réalisations à examiner"
    parameter_name = "a_examiner"

    def lookups(self, request, model_admin):
        return [("oui", "Avec des réalisations à examiner"), ("non", "Sans")]

    def queryset(self, request, queryset):
        waiting = Delivery.objects.awaiting_review().filter(commitment=OuterRef("pk"))
        if self.value() == "oui":
            return queryset.filter(Exists(waiting))
        if self.value() == "non":
            return queryset.exclude(Exists(waiting))
        return queryset


class UnitTotalsMixin:
    """Adds `unit_totals_display`: planned / delivered (rate) per unit, from totals().

    On a changelist the totals of the whole page come from one query; on a change page,
    get_object attaches them. Both count only the commitments of the user's territory.
    """

    totals_grouping = None  # "measure" or "actor": the Commitment field they hang on

    def get_changelist(self, request, **kwargs):
        return UnitTotalsChangeList

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            self.attach_unit_totals([obj], scope_of(request.user))
        return obj

    def attach_unit_totals(self, objects, scope):
        key = f"{self.totals_grouping}_id"
        rows = (
            Commitment.objects.in_scope(scope)
            .filter(**{f"{self.totals_grouping}__in": [obj.pk for obj in objects]})
            .totals(self.totals_grouping)
        )
        by_pk = defaultdict(list)
        for row in rows:
            by_pk[row[key]].append(row)
        for obj in objects:
            obj.unit_totals = by_pk[obj.pk]

    @admin.display(description="Prévu / réalisé (taux), hors annulés")
    def unit_totals_display(self, obj):
        if obj.pk is not None and not hasattr(obj, "unit_totals"):
            # A past version (its page asks no get_object): today's figures are not its.
            return "Non repris dans une version passée."
        if not getattr(obj, "unit_totals", None):
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            "{} / {} ({})",
            (
                (
                    format_amount(row["planned"], row["unit"]),
                    format_amount(row["delivered"], row["unit"]),
                    format_rate(row["rate"]),
                )
                for row in obj.unit_totals
            ),
        )
