"""Every admin page renders for a staff agent, with a query count that does not grow."""

import pytest
from django.urls import reverse

from actors.models import Actor, Forum, Membership
from commitments.models import Commitment, Delivery, Evidence
from strategy.models import Issue, Measure, Territory
from strategy.units import Unit
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    ForumFactory,
    IssueFactory,
    MeasureFactory,
    MembershipFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.helpers import count_queries, upload

pytestmark = pytest.mark.django_db

MODELS = [Territory, Issue, Measure, Actor, Membership, Forum, Commitment, Delivery]

# Queries per page for a staff agent, the same with 2 or 12 rows of everything. Each
# counts one for the agent's territory (actors.scopes). The measure, actor, commitment and
# delivery lists count their rows once (strategy.admin_lists): unfiltered, the whole
# list's total is the list's own count, not a second COUNT(*).
PINNED = {
    # model:       changelist, add, change, history
    "territory": (8, 5, 6, 8),
    "issue": (8, 5, 7, 8),
    "measure": (9, 5, 8, 8),
    "actor": (9, 5, 12, 8),  # change: + its latest commitments
    "membership": (8, 5, 10, 12),
    "forum": (10, 5, 8, 12),
    # changelist: +1, the totals of the listed rows; change: +1, the validated
    # deliveries the status choice is about (count and sum)
    "commitment": (12, 5, 11, 8),
    # changelist: +1, the totals per unit of the listed rows; change: its commitment is
    # read only, no choices to load; +1, its evidence files
    "delivery": (11, 5, 7, 12),
}
PAGES = ["changelist", "add", "change", "history"]


def populate(size):
    """`size` rows of every model; the first commitment gets `size` deliveries of each status."""
    agent = UserFactory(username="populate-agent")
    issue = IssueFactory()
    for index in range(size):
        territory = TerritoryFactory()
        measure = MeasureFactory(issue=issue, unit=[Unit.EUROS, Unit.PLACES][index % 2])
        actor = ActorFactory(territory=territory)
        MembershipFactory(actor=actor)
        ForumFactory().participants.add(actor)
        commitment = CommitmentFactory(actor=actor, measure=measure, year=2021)
    first = Commitment.objects.order_by("pk").first()
    for _ in range(size):
        validated = DeliveryFactory(commitment=first)
        Evidence.attach(validated, upload(), by=agent)
        validated.validate(by=agent)
        Evidence.attach(DeliveryFactory(commitment=first), upload(), by=agent)
        DeliveryFactory(commitment=commitment).return_for_revision(by=agent, reason="À revoir")
    first.title = "Engagement modifié"
    first.save()


def url(model_name, page):
    model = next(m for m in MODELS if m._meta.model_name == model_name)
    name = f"admin:{model._meta.app_label}_{model_name}_{page}"
    if page in ("change", "history"):
        return reverse(name, args=[model.objects.order_by("pk").first().pk])
    return reverse(name)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("model_name", PINNED)
def test_admin_page_renders_with_a_pinned_query_count(staff_client, model_name, page):
    populate(2)
    count_queries(staff_client, url(model_name, page))  # warms the content-type cache
    small = count_queries(staff_client, url(model_name, page))
    populate(10)
    large = count_queries(staff_client, url(model_name, page))
    pinned = PINNED[model_name][PAGES.index(page)]
    assert (small, large) == (pinned, pinned), f"queries {small} then {large}"


# The review desk (a delivery awaiting review: its change page with the commitment's figures
# and its other deliveries), the queue "À examiner" and the index that counts what waits.
# desk: the validated delivery's change page (7) and one for the other deliveries, however
# many (at most 20 shown); queue: the delivery changelist's; index: +1, the count waiting
# and the oldest's date, in one aggregate. The desk's evidence files: +1.
REVIEW_PINNED = {"desk": 8, "queue": 12, "index": 7}


def review_url(page):
    if page == "desk":
        waiting = Delivery.objects.awaiting_review().order_by("pk").first()
        return reverse("admin:commitments_delivery_change", args=[waiting.pk])
    if page == "queue":
        return reverse("admin:commitments_delivery_changelist") + "?examen=en-attente"
    return reverse("admin:index")


@pytest.mark.parametrize("page", REVIEW_PINNED)
def test_review_pages_render_with_a_pinned_query_count(staff_client, page):
    populate(2)
    count_queries(staff_client, review_url(page))  # warms the content-type cache
    small = count_queries(staff_client, review_url(page))
    populate(10)
    large = count_queries(staff_client, review_url(page))
    assert (small, large) == (REVIEW_PINNED[page],) * 2, f"queries {small} then {large}"
