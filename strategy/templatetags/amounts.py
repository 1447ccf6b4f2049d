from django import template

from strategy.units import Unit, format_amount, format_number, format_rate, is_plural

register = template.Library()


@register.filter
def amount(value, unit):
    """{{ row.planned|amount:row.unit }} -> `1 500 000 €`, `3 000 places`, `—`."""
    return format_amount(value, unit)


@register.simple_tag
def agreed_amount(value, unit, participle):
    """{% agreed_amount row.planned row.unit "prévu" %} -> `4 000 places prévues`."""
    return format_amount(value, unit, participle)


@register.simple_tag
def agreed(participle, value, unit):
    """{% agreed "réalisé" row.delivered row.unit %} -> `réalisées`, after a figure
    written apart."""
    return Unit(unit).agree(participle, value)


@register.filter
def number(value):
    """{{ row.expected|number }} -> `10 000` (a count, grouped the French way)."""
    return format_number(value)


@register.filter
def rate(value):
    """{{ row.rate|rate }} -> `75 %`, or `—` when nothing was planned."""
    return format_rate(value)


@register.filter
def unit_label(value):
    """`persons` -> `personnes`."""
    return Unit(value).label


@register.filter
def fr_plural(count, forms="s"):
    """Django's `pluralize` with the French rule (singular below 2: `0 acteur`):
    {{ n }} acteur{{ n|fr_plural }}, {{ n|fr_plural:"engagement suivi,engagements suivis" }}."""
    singular, plural = forms.split(",") if "," in forms else ("", forms)
    return plural if is_plural(count) else singular
