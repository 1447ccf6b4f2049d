from django import template
from django.contrib import admin

from actors.scopes import scope_of
from commitments.models import Delivery

register = template.Library()


@register.inclusion_tag("admin/commitments/delivery/queue_summary.html", takes_context=True)
def review_queue(context):
    """On the admin index, for those who review deliveries: how many wait, and since when.
    Counted through the delivery admin's own queryset, so that it counts what its list
    shows to this user; with the territory the user works on (actors.scopes)."""
    model_admin = admin.site.get_model_admin(Delivery)
    request = context["request"]
    return {
        "queue": model_admin.queue_summary(request),
        "scope": scope_of(request.user),
    }
