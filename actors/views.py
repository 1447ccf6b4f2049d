from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from actors.forms import ActorFilterForm
from actors.models import Actor
from commitments.figures import cached, cached_public_page
from commitments.models import Commitment
from strategy.models import Territory
from strategy.pagination import get_page

PAGE_SIZE = 30
CANCELLED_SHOWN = 50


@require_safe
@cached_public_page
def actor_list(request):
    filters = ActorFilterForm(
        request.GET, territories=Territory.objects.order_by("parent_id", "name", "pk")
    )
    actors = (
        Actor.objects.filtered(**filters.values)
        .with_public_commitment_count()
        .select_related("territory")
        .order_by("name", "pk")
    )
    page = get_page(request, actors, PAGE_SIZE)
    return render(
        request,
        "actors/actor_list.html",
        {
            "nav": "actors",
            "filters": filters,
            "page_obj": page,
            "breadcrumb_data": {"current": "Acteurs"},
        },
    )


@require_safe
@cached_public_page
def actor_detail(request, slug):
    actor = get_object_or_404(Actor.objects.select_related("territory"), slug=slug)
    public = Commitment.objects.public().filter(actor=actor)
    listed = public.counted().with_list_related_data().order_by("-year", "title", "pk")
    page = get_page(request, listed, PAGE_SIZE)
    return render(
        request,
        "actors/actor_detail.html",
        {
            "nav": "actors",
            "actor": actor,
            "page_obj": page,
            "cancelled": list(
                public.cancelled()
                .with_list_related_data()
                .order_by("-year", "pk")[:CANCELLED_SHOWN]
            ),
            "totals": cached("actor", public.totals, actor.pk),
            "forums": list(actor.forums.order_by("-date", "pk")),
            "breadcrumb_data": {
                "links": [{"url": reverse("actor_list"), "title": "Acteurs"}],
                "current": actor.name,
            },
        },
    )
