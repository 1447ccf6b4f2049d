"""Units of measures, and the one way amounts and rates are written for people."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    EUROS = "euros", _("euros")
    PLACES = "places", _("places")
    PERSONS = "persons", _("personnes")
    HOUSEHOLDS = "households", _("ménages")
    PROJECTS = "projects", _("projets")

    @property
    def is_whole(self):
        """Places, persons, households and projects are counted, not measured."""
        return self != Unit.EUROS


# Written after the number; euros take their symbol.
_SUFFIXES = {
    Unit.EUROS: ("€", "€"),
    Unit.PLACES: ("place", "places"),
    Unit.PERSONS: ("personne", "personnes"),
    Unit.HOUSEHOLDS: ("ménage", "ménages"),
    Unit.PROJECTS: ("projet", "projets"),
}

NO_VALUE = "—"


def format_number(value):
    """`1500000` -> `1 500 000`, `1234.5` -> `1 234,50` (French grouping, non-breaking)."""
    if value is None:
        return NO_VALUE
    value = Decimal(value)
    decimals = 0 if value == value.to_integral_value() else 2
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_amount(value, unit):
    """An amount with its unit, the French way: `1 500 000 €`, `3 000 places`."""
    if value is None:
        return NO_VALUE
    singular, plural = _SUFFIXES[Unit(unit)]
    suffix = singular if abs(Decimal(value)) <= 1 and unit != Unit.EUROS else plural
    return f"{format_number(value)}\N{NO-BREAK SPACE}{suffix}"


def format_rate(rate):
    """A delivery rate (a Decimal fraction) as a whole percentage, rounded half up:
    `0.75` -> `75 %`, `0.125` -> `13 %`."""
    if rate is None:
        return NO_VALUE
    percent = (Decimal(rate) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{format_number(percent)}\N{NO-BREAK SPACE}%"
