"""The admin's figures for a departmental agent are its territory's: the totals of the
measures, actors and commitments, an actor's commitments, the filter by territory, the
review counter of the index; and its pages' query counts do not grow with the rows."""

from decimal import Decimal

import pytest
from django.urls import reverse

from actors.models import Actor
from commitments.admin_totals import WithinTerritoryFilter
from commitments.models import Delivery
from strategy.models import Measure, Territory
from strategy.units import Unit, format_amount
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    MeasureFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.helpers import NBSP, count_queries, text_of

pytestmark = pytest.mark.django_db

PREFECTURE = "prefecture-region-hauts-de-france"
# Planned per territory: only Nord's and Lille's (111 + 222) are the Nord agent's.
PLANNED = {
    "nord": 111,
    "metropole-europeenne-de-lille": 222,
    "somme": 4444,
    "hauts-de-france": 55555,
}


def amount(value):
    """As text_of reads it: no-break spaces as spaces."""
    return format_amount(Decimal(value), Unit.PERSONS).replace(NBSP, " ")


@pytest.fixture
def measure(forum):
    return MeasureFactory(name="Petits déjeuners", unit=Unit.PERSONS)


@pytest.fixture
def spread(measure):
    """One commitment of the prefecture (a regional actor) per territory of PLANNED, each
    with a delivery waiting for review."""
    prefecture = Actor.objects.get(slug=PREFECTURE)
    for slug, planned in PLANNED.items():
        territory = Territory.objects.get(slug=slug)
        commitment = CommitmentFactory(
            actor=prefecture,
            measure=measure,
            territory=territory,
            title=f"Petits déjeuners à {territory.name}",
            planned_amount=Decimal(planned),
        )
        DeliveryFactory(commitment=commitment, amount=Decimal(1))


def planned_of(obj):
    return [row["planned"] for row in obj.unit_totals]


# Measures and actors (UnitTotalsMixin)


def test_a_nord_agent_s_measure_list_counts_only_nord_commitments(nord_client, measure, spread):
    response = nord_client.get(reverse("admin:strategy_measure_changelist"))
    [row] = [m for m in response.context["cl"].result_list if m.pk == measure.pk]
    assert planned_of(row) == [Decimal(333)]
    assert f"{amount(333)} / {amount(0)}" in text_of(response)
    assert amount(55555 + 4444 + 333) not in text_of(response)


def test_a_nord_agent_s_measure_page_counts_only_nord_commitments(nord_client, measure, spread):
    response = nord_client.get(reverse("admin:strategy_measure_change", args=[measure.pk]))
    assert response.status_code == 200
    assert planned_of(response.context["original"]) == [Decimal(333)]
    assert f"{amount(333)} / {amount(0)}" in text_of(response)


def test_the_regional_agent_s_measure_page_counts_everything(staff_client, measure, spread):
    response = staff_client.get(reverse("admin:strategy_measure_change", args=[measure.pk]))
    assert f"{amount(sum(PLANNED.values()))} / {amount(0)}" in text_of(response)


def test_a_nord_agent_s_actor_list_counts_only_nord_commitments(nord_client, measure, spread):
    response = nord_client.get(reverse("admin:actors_actor_changelist"))
    [row] = [a for a in response.context["cl"].result_list if a.slug == PREFECTURE]
    # The forum's own commitments of the prefecture are the region's: not counted.
    assert [(r["unit"], r["planned"]) for r in row.unit_totals] == [(Unit.PERSONS, Decimal(333))]


def test_a_nord_agent_s_regional_actor_page_shows_only_nord_commitments(
    nord_client, measure, spread
):
    prefecture = Actor.objects.get(slug=PREFECTURE)
    response = nord_client.get(reverse("admin:actors_actor_change", args=[prefecture.pk]))
    assert response.status_code == 200
    assert [(r["unit"], r["planned"]) for r in response.context["original"].unit_totals] == [
        (Unit.PERSONS, Decimal(333))
    ]
    text = text_of(response)
    assert "Petits déjeuners à Nord" in text
    assert "Petits déjeuners à Métropole Européenne de Lille" in text
    assert "Petits déjeuners à Somme" not in text
    assert "Petits déjeuners à Hauts-de-France" not in text
    assert "Appel à expérimentations régional" not in text  # the forum's, the region's


def test_the_regional_agent_sees_all_of_a_regional_actor_s_commitments(
    staff_client, measure, spread
):
    prefecture = Actor.objects.get(slug=PREFECTURE)
    text = text_of(staff_client.get(reverse("admin:actors_actor_change", args=[prefecture.pk])))
    for name in ("Nord", "Métropole Européenne de Lille", "Somme", "Hauts-de-France"):
        assert f"Petits déjeuners à {name}" in text


# Commitments (FilteredTotalsChangeList, WithinTerritoryFilter)


def test_a_nord_agent_s_commitment_totals_count_only_nord(nord_client, measure, spread):
    response = nord_client.get(reverse("admin:commitments_commitment_changelist"))
    cl = response.context["cl"]
    assert cl.result_count == 2
    assert cl.unit_totals_count == 2
    assert [(r["unit"], r["planned"]) for r in cl.unit_totals] == [(Unit.PERSONS, Decimal(333))]
    assert "(2 engagements comptés)" in text_of(response)


def territory_filter(response):
    [spec] = [
        s for s in response.context["cl"].filter_specs if isinstance(s, WithinTerritoryFilter)
    ]
    return spec


def test_a_nord_agent_s_territory_filter_offers_nord_and_what_it_contains(
    nord_client, inside_lille, spread
):
    response = nord_client.get(reverse("admin:commitments_commitment_changelist"))
    spec = territory_filter(response)
    assert spec.title == "territoire (et ce qu'il contient)"
    assert sorted(name for _pk, name in spec.lookup_choices) == [
        "Métropole Européenne de Lille",
        "Nord",
        "Quartier de Lille",
    ]


def test_the_regional_agent_s_territory_filter_offers_every_territory(staff_client, spread):
    response = staff_client.get(reverse("admin:commitments_commitment_changelist"))
    assert len(territory_filter(response).lookup_choices) == Territory.objects.count()


def test_a_nord_agent_filtering_on_somme_gets_nothing(nord_client, somme, spread):
    response = nord_client.get(
        reverse("admin:commitments_commitment_changelist") + f"?territory={somme.pk}"
    )
    assert response.status_code == 200
    cl = response.context["cl"]
    assert (cl.result_count, cl.unit_totals) == (0, [])


def test_a_nord_agent_filtering_on_lille_gets_lille(nord_client, lille, spread):
    response = nord_client.get(
        reverse("admin:commitments_commitment_changelist") + f"?territory={lille.pk}"
    )
    cl = response.context["cl"]
    assert [c.title for c in cl.result_list] == ["Petits déjeuners à Métropole Européenne de Lille"]
    assert [r["planned"] for r in cl.unit_totals] == [Decimal(222)]


# The index's review counter


INDEX = reverse("admin:index")


def test_a_nord_agent_s_index_counts_only_its_waiting_deliveries(nord_client, spread):
    assert Delivery.objects.awaiting_review().count() == 4
    response = nord_client.get(INDEX)
    assert "2 réalisations à examiner" in text_of(response)


def test_the_regional_agent_s_index_counts_every_waiting_delivery(staff_client, spread):
    assert "4 réalisations à examiner" in text_of(staff_client.get(INDEX))


def test_an_unattached_agent_s_index_has_nothing_to_review(client, unattached_agent, spread):
    client.force_login(unattached_agent)
    text = text_of(client.get(INDEX))
    assert "n'est rattaché à aucun territoire" in text
    assert "à examiner" not in text


def test_a_somme_agent_s_index_counts_somme_s(client, somme_agent, spread):
    client.force_login(somme_agent)
    assert "1 réalisation à examiner" in text_of(client.get(INDEX))


# Query counts for the Nord agent


def populate(size):
    """`size` EPCIs in Nord, each with an actor and a commitment, and as many in Somme;
    the first Nord commitment gets `size` deliveries of each status."""
    nord = Territory.objects.get(slug="nord")
    somme = Territory.objects.get(slug="somme")
    reviewer = UserFactory(username="populate-agent")
    measure = Measure.objects.order_by("pk").first()
    first = None
    for _ in range(size):
        for parent in (nord, somme):
            epci = TerritoryFactory(level=Territory.Level.EPCI, parent=parent)
            commitment = CommitmentFactory(actor=ActorFactory(territory=epci), measure=measure)
            DeliveryFactory(commitment=commitment)
            first = first or commitment
    for _ in range(size):
        DeliveryFactory(commitment=first).validate(by=reviewer)
        DeliveryFactory(commitment=first)
        DeliveryFactory(commitment=first).return_for_revision(by=reviewer, reason="À revoir")


def review_url(page):
    if page == "desk":
        waiting = Delivery.objects.awaiting_review().order_by("pk").first()
        return reverse("admin:commitments_delivery_change", args=[waiting.pk])
    if page == "queue":
        return reverse("admin:commitments_delivery_changelist") + "?examen=en-attente"
    if page == "index":
        return INDEX
    return reverse(f"admin:commitments_{page}_changelist")


# The regional agent's counts (tests/config/test_admin_pages.py): the scope costs nothing
# more, its filters being subqueries of the pages' own queries.
NORD_PINNED = {"commitment": 12, "delivery": 11, "desk": 8, "queue": 12, "index": 7}


@pytest.mark.parametrize("page", NORD_PINNED)
def test_a_nord_agent_s_pages_render_with_a_pinned_query_count(nord_client, forum, page):
    populate(2)
    count_queries(nord_client, review_url(page))  # warms the content-type cache
    small = count_queries(nord_client, review_url(page))
    populate(10)
    large = count_queries(nord_client, review_url(page))
    assert (small, large) == (NORD_PINNED[page],) * 2, f"queries {small} then {large}"
