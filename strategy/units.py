"""Units of measures, and the one way amounts and rates are written for people and read
from what people type.

Words next to a figure agree with it, the French way: a unit knows its noun for one and
for many and its gender, and the participles written after an amount (`prévu`, `réalisé`,
`validé`) agree with both: `1 place prévue`, `3 000 places prévues`, `12 ménages réalisés`,
`1 500 000 € prévus`. Singular below 2 in absolute value (`0 personne`, `1,5 ménage`).
"""

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

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

    @property
    def is_feminine(self):
        return _WORDS[self].feminine

    def noun(self, value):
        """The word written after `value`: `place` or `places`; euros take their symbol."""
        words = _WORDS[self]
        return words.plural if is_plural(value) else words.singular

    def agree(self, participle, value):
        """`prévu` after `value` of this unit: `prévue`, `prévus`, `prévues` or `prévu`.

        For the regular participles the pages use (`prévu`, `réalisé`, `validé`). People
        and households are not "réalisés" but "accompagnés": `réalisé` takes the unit's
        own word for what was delivered."""
        if participle == DELIVERED:
            participle = _WORDS[self].delivered
        return f"{participle}{'e' if self.is_feminine else ''}{'s' if is_plural(value) else ''}"


DELIVERED = "réalisé"


class _Words(NamedTuple):
    singular: str
    plural: str
    feminine: bool
    delivered: str = DELIVERED  # the participle of what was delivered


# Written after the number; euros take their symbol, and agree as "euros" (masculine).
_WORDS = {
    Unit.EUROS: _Words("€", "€", feminine=False),
    Unit.PLACES: _Words("place", "places", feminine=True),
    Unit.PERSONS: _Words("personne", "personnes", feminine=True, delivered="accompagné"),
    Unit.HOUSEHOLDS: _Words("ménage", "ménages", feminine=False, delivered="accompagné"),
    Unit.PROJECTS: _Words("projet", "projets", feminine=False),
}

NO_VALUE = "—"


def is_plural(value):
    """French grammar: plural from 2 on; `0 personne`, `1,5 ménage`, `2 ménages`."""
    return value is not None and abs(Decimal(value)) >= 2


def shown_decimals(value):
    """How many decimals a figure is written with: none when it is whole, else two (the
    pages, and the reports' Excel CSV)."""
    value = Decimal(value)
    return 0 if value == value.to_integral_value() else 2


def rate_percent(rate):
    """A delivery rate (a Decimal fraction) as a whole percentage, rounded half up:
    `0.375` -> `38` (the pages, and the reports' Excel CSV)."""
    return (Decimal(rate) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def format_number(value):
    """`1500000` -> `1 500 000`, `1234.5` -> `1 234,50` (French grouping, non-breaking)."""
    if value is None:
        return NO_VALUE
    value = Decimal(value)
    decimals = shown_decimals(value)
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_amount(value, unit, participle=None):
    """An amount with its unit, the French way: `1 500 000 €`, `3 000 places`, `1 place`;
    with a participle, agreed: `3 000 places prévues`, `1 500 000 € réalisés`."""
    if value is None:
        return NO_VALUE
    unit = Unit(unit)
    text = f"{format_number(value)}\N{NO-BREAK SPACE}{unit.noun(value)}"
    return f"{text} {unit.agree(participle, value)}" if participle else text


def format_short(value, unit):
    """A figure where room is short (a chart's axis and bars), the French way: `0`,
    `750`, `9 500 €`, `250 k€`, `12,5 k€`, `1,5 M€`; for places, `1 200` and `25 k`.

    Thousands from 10 000 (one decimal at most), millions from 1 000 000 (two at most);
    the exact figure stays in the table beside the chart. Euros take their symbol, other
    units are named by the chart's caption."""
    if value is None:
        return NO_VALUE
    value = Decimal(value)
    symbol = "€" if Unit(unit) == Unit.EUROS else ""
    thousands = _rounded(value / 1000, 1)
    if abs(thousands) >= 1000:  # 999 999 is `1 M€`, not `1 000 k€`
        millions = _rounded(value / 10**6, 2)
        text, after = _trimmed(millions), f"M{symbol}"
    elif abs(value) >= 10**4:
        text, after = _trimmed(thousands), f"k{symbol}"
    else:
        text, after = format_number(value), symbol
    return f"{text}\N{NO-BREAK SPACE}{after}" if after else text


def _rounded(value, places):
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _trimmed(value):
    """`1.50` -> `1,5`, `2.00` -> `2`: no trailing zero after the comma."""
    value = value.normalize()
    decimals = max(-value.as_tuple().exponent, 0)
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_rate(rate):
    """A delivery rate (a Decimal fraction) as a whole percentage, rounded half up:
    `0.75` -> `75 %`, `0.125` -> `13 %`."""
    if rate is None:
        return NO_VALUE
    return f"{format_number(rate_percent(rate))}\N{NO-BREAK SPACE}%"


# Reading amounts typed by people (forms) or written in files (imports)

AMOUNT_MAX_LENGTH = 40
# Thousands are separated by a space: a normal one, a no-break space (U+00A0, what this
# application and Excel write) or a narrow no-break space (U+202F, what Word and macOS
# write in French). A dot is NOT a thousands separator: it is read as a decimal point,
# as a comma is, so that `1000.50` pasted from a spreadsheet in English works; `1.500`
# (three decimals) is refused rather than silently read as one and a half.
_AMOUNT = re.compile(
    r"(?P<sign>[-\N{MINUS SIGN}]?)"
    r"(?P<whole>[0-9]{1,3}(?:[ \N{NO-BREAK SPACE}\N{NARROW NO-BREAK SPACE}][0-9]{3})+|[0-9]+)"
    r"(?:[,.](?P<fraction>[0-9]+))?"
    r"(?:[ \N{NO-BREAK SPACE}\N{NARROW NO-BREAK SPACE}]?€)?"
)


class AmountError(ValueError):
    """Why a text is not an amount; `code` is `too_long`, `invalid` or `max_decimal_places`."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def parse_amount(text, *, decimals=2):
    """What a French user types, as a Decimal: `1 000`, `1 000,50`, `1000,5`, `1000.50`,
    `1 500 000 €`, with spaces around; raises AmountError otherwise."""
    text = str(text)
    if len(text) > AMOUNT_MAX_LENGTH:
        raise AmountError("too_long")
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise AmountError("invalid")
    fraction = match["fraction"] or ""
    if len(fraction) > decimals:
        raise AmountError("max_decimal_places")
    sign = "-" if match["sign"] else ""
    whole = re.sub(r"[^0-9]", "", match["whole"])
    return Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")
