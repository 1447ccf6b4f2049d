from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from strategy.text import Fold
from strategy.units import Unit
from strategy.validators import validate_single_line

__all__ = ["Issue", "Measure", "Territory", "Unit", "areas_under", "whole_scope"]


class TerritoryQuerySet(models.QuerySet):
    def within(self, territory):
        """This territory and every territory it contains, at any depth.

        One recursive subquery, so that filtering by it adds no query to a page.
        """
        table = connection.ops.quote_name(Territory._meta.db_table)
        descendants = RawSQL(
            "WITH RECURSIVE within_territory(id) AS ("
            f"SELECT id FROM {table} WHERE id = %s "
            f"UNION SELECT t.id FROM {table} t JOIN within_territory w ON t.parent_id = w.id"
            ") SELECT id FROM within_territory",
            [territory.pk],
        )
        return self.filter(pk__in=descendants)

    def containing(self, territory_id):
        """This territory and every territory that contains it, up to the region."""
        table = connection.ops.quote_name(Territory._meta.db_table)
        ancestors = RawSQL(
            "WITH RECURSIVE containing_territory(id, parent_id) AS ("
            f"SELECT id, parent_id FROM {table} WHERE id = %s "
            f"UNION SELECT t.id, t.parent_id FROM {table} t "
            "JOIN containing_territory c ON t.id = c.parent_id"
            ") SELECT id FROM containing_territory",
            [territory_id],
        )
        return self.filter(pk__in=ancestors)

    def for_choices(self):
        """Drop-down order: the region, then the others by name in French order."""
        return self.order_by(models.F("parent_id").asc(nulls_first=True), Fold("name"), "pk")


class Territory(models.Model):
    class Level(models.TextChoices):
        REGION = "region", _("Région")
        DEPARTEMENT = "departement", _("Département")
        EPCI = "epci", _("Intercommunalité (EPCI, métropole)")

    level = models.CharField(_("niveau"), max_length=20, choices=Level.choices)
    code = models.CharField(
        _("code INSEE"),
        max_length=9,
        help_text=_("Code officiel géographique (région, département) ou SIREN de l'EPCI."),
    )
    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(_("identifiant d'URL"), max_length=200, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("territoire parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    objects = TerritoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = [Fold("name"), "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code"],
                name="territory_unique_level_code",
                violation_error_message=_("Un territoire de ce niveau porte déjà ce code."),
            ),
        ]

    def __str__(self):
        return self.name

    OWN_LEVEL_LABELS = {
        Level.REGION: _("Échelon régional"),
        Level.DEPARTEMENT: _("Échelon départemental"),
        Level.EPCI: _("Échelon intercommunal"),
    }

    @property
    def own_level_label(self):
        """How a breakdown names what was committed at this territory's own level."""
        return self.OWN_LEVEL_LABELS[self.level]


def whole_scope(territories):
    """The territory a breakdown of everything is made under: the only root, or else the
    only region among the roots (territories created on their own are roots too); None
    when there is no such single territory."""
    roots = [territory for territory in territories if territory.parent_id is None]
    if len(roots) != 1:
        roots = [territory for territory in roots if territory.level == Territory.Level.REGION]
    return roots[0] if len(roots) == 1 else None


def areas_under(scope, territories):
    """{territory id: its area} for a breakdown of `scope` into the territories directly
    under it: each territory maps to the one of them that contains it, at any depth, and
    `scope` itself to None (its own level). With no scope, the areas are the roots.
    Territories outside the scope are left out. `territories` is the whole tree, loaded
    once by the caller."""
    by_pk = {territory.pk: territory for territory in territories}
    areas = {}
    for territory in territories:
        path = [territory]
        while path[-1].parent_id is not None and path[-1].parent_id in by_pk:
            path.append(by_pk[path[-1].parent_id])
        path.reverse()  # from the root down to the territory
        if scope is None:
            areas[territory.pk] = path[0]
        elif territory.pk == scope.pk:
            areas[territory.pk] = None
        elif any(step.pk == scope.pk for step in path):
            areas[territory.pk] = path[[step.pk for step in path].index(scope.pk) + 1]
    return areas


class Issue(models.Model):
    """An *enjeu* of the strategy (social emergency, education, insertion, levers)."""

    slug = models.SlugField(_("identifiant d'URL"), max_length=100, unique=True)
    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    summary = models.TextField(_("résumé"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enjeu")
        verbose_name_plural = _("enjeux")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("issue_detail", args=[self.slug])


class Measure(models.Model):
    """A *mesure* or *dispositif*; every amount of its commitments is in its unit."""

    issue = models.ForeignKey(
        Issue, verbose_name=_("enjeu"), on_delete=models.PROTECT, related_name="measures"
    )
    slug = models.SlugField(_("identifiant d'URL"), max_length=200, unique=True)
    name = models.CharField(_("nom"), max_length=300, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unité"), max_length=20, choices=Unit.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("mesure")
        verbose_name_plural = _("mesures")
        ordering = ["issue__position", "position", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("measure_detail", args=[self.slug])
