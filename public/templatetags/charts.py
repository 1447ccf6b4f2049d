from django import template

from public import charts

register = template.Library()


@register.filter
def meter(rate):
    """{% with bar=row.rate|meter %}: a rate's progress bar, drawn by public.charts."""
    return charts.meter(rate)
