"""The staff's lists at scale keep their answers: the search forgives accents through
the related tables, the status filter keeps the list's order, the count is shown (an
estimate, said so, on a large PostgreSQL table) and the delivery totals are bounded."""

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from actors.models import Actor
from actors.roles import AGENTS
from commitments import admin_totals
from commitments.models import Commitment, Delivery
from strategy.admin_lists import ESTIMATE_FROM_ROWS
from strategy.units import format_number
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    TerritoryFactory,
    UserFactory,
    staff_member,
)
from tests.helpers import count_queries, postgresql_only, text_of

pytestmark = pytest.mark.django_db

COMMITMENTS = reverse("admin:commitments_commitment_changelist")
DELIVERIES = reverse("admin:commitments_delivery_changelist")
ACTORS = reverse("admin:actors_actor_changelist")


@pytest.fixture
def rows():
    school = ActorFactory(name="École des Parents du Nord")
    plain = ActorFactory(name="Association Sans Rapport")
    by_title = CommitmentFactory(actor=plain, title="Repas à l'ÉCOLE primaire")
    by_actor = CommitmentFactory(actor=school, title="Accueil de jour")
    other = CommitmentFactory(actor=plain, title="Places d'hébergement")
    return {
        "actors": (school, plain),
        "commitments": (by_title, by_actor, other),
        "deliveries": (
            DeliveryFactory(commitment=by_title),
            DeliveryFactory(commitment=by_actor),
            DeliveryFactory(commitment=other, comment="Cantine de l'école Jules-Ferry"),
            DeliveryFactory(commitment=other, comment="Rien à voir"),
        ),
    }


def listed(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def test_an_accentless_search_finds_accented_commitments_by_title_or_actor(staff_client, rows):
    by_title, by_actor, _other = rows["commitments"]
    assert listed(staff_client.get(COMMITMENTS, {"q": "ecole"})) == {by_title.pk, by_actor.pk}


def test_an_accentless_search_finds_deliveries_through_commitment_actor_and_comment(
    staff_client, rows
):
    found = listed(staff_client.get(DELIVERIES, {"q": "ECOLE"}))
    assert found == {delivery.pk for delivery in rows["deliveries"][:3]}


def test_the_search_gives_the_rows_of_an_or_across_the_fields(staff_client, rows):
    """The UNION per relation is only a faster way to the rows of Django's own OR."""
    for term in ("ecole", "école jules", "accueil", "nord", "zzz"):
        expected = Delivery.objects.all()
        for word in term.split():
            expected = expected.filter(
                Q(commitment__title__fold_contains=word)
                | Q(commitment__actor__name__fold_contains=word)
                | Q(comment__fold_contains=word)
            )
        response = staff_client.get(DELIVERIES, {"q": term})
        assert listed(response) == set(expected.values_list("pk", flat=True)), term
        actors = Actor.objects.filter(Q(name__fold_contains=term.split()[0]))
        found = listed(staff_client.get(ACTORS, {"q": term.split()[0]}))
        assert found == set(actors.values_list("pk", flat=True)), term


def test_the_status_filter_keeps_the_review_order(staff_client, staff_agent):
    for index in range(6):
        delivery = DeliveryFactory()
        if index % 2:
            delivery.validate(by=staff_agent)
    response = staff_client.get(DELIVERIES, {"status__exact": "validated"})
    expected = Delivery.objects.filter(status="validated").order_by(*Delivery.REVIEW_ORDERING)
    assert [d.pk for d in response.context["cl"].result_list] == [d.pk for d in expected]


def test_an_outsider_gets_no_list(client, rows):
    client.force_login(UserFactory())
    response = client.get(DELIVERIES, {"q": "ecole"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_small_list_shows_its_exact_count(staff_client, rows):
    assert "4 réalisations" in text_of(staff_client.get(DELIVERIES))
    assert "environ" not in text_of(staff_client.get(DELIVERIES))


@postgresql_only("pg_class.reltuples is PostgreSQL's estimate")
def test_a_large_unfiltered_list_shows_the_estimate_and_says_so(staff_client, rows):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_class SET reltuples = %s WHERE oid = 'commitments_commitment'::regclass",
            [ESTIMATE_FROM_ROWS * 2],
        )
    estimate = format_number(ESTIMATE_FROM_ROWS * 2).replace("\xa0", " ")  # « 100 000 »
    page = text_of(staff_client.get(COMMITMENTS))
    assert f"environ {estimate} engagements" in page
    # Searched, the count is exact again; the table's total beside it is the estimate.
    page = text_of(staff_client.get(COMMITMENTS, {"q": "ecole"}))
    assert f"2 résultats ( environ {estimate} au total )" in page  # the total is a link
    assert "2 engagements" in page


def test_delivery_totals_beyond_the_bound_are_not_summed(staff_client, rows, monkeypatch):
    summed = count_queries(staff_client, DELIVERIES)
    monkeypatch.setattr(admin_totals, "DELIVERY_TOTALS_UP_TO", 3)
    assert count_queries(staff_client, DELIVERIES) == summed - 1
    page = text_of(staff_client.get(DELIVERIES))
    assert "Totaux non calculés au-delà de 3 réalisations listées" in page
    page = text_of(staff_client.get(DELIVERIES, {"q": "ecole"}))  # 3 listed: summed
    assert "Total des réalisations listées (3 réalisations)" in page
    assert Commitment.objects.count() == 3


def filter_choices(response):
    return {
        spec.title: {str(pk) for pk, _name in spec.lookup_choices}
        for spec in response.context["cl"].filter_specs
        if hasattr(spec, "lookup_choices") and spec.title in ("enjeu", "mesure")
    }


def test_the_delivery_filters_offer_the_measures_of_the_commitments_in_scope(client, roles):
    """Walked over the commitments in the agent's scope, not the deliveries (four times
    as many): a measure of the scope is offered even before its first delivery; one
    of another territory's commitments is not."""
    nord, somme = TerritoryFactory(name="Nord"), TerritoryFactory(name="Somme")
    listed_measure = DeliveryFactory(
        commitment=CommitmentFactory(territory=nord)
    ).commitment.measure
    idle = CommitmentFactory(territory=nord).measure  # in scope, no delivery yet
    elsewhere = DeliveryFactory(commitment=CommitmentFactory(territory=somme)).commitment.measure
    client.force_login(staff_member("agent.nord", AGENTS, territory=nord))
    choices = filter_choices(client.get(DELIVERIES))
    assert {str(listed_measure.pk), str(idle.pk)} <= choices["mesure"]
    assert str(elsewhere.pk) not in choices["mesure"]
    assert str(listed_measure.issue.pk) in choices["enjeu"]
    assert str(elsewhere.issue.pk) not in choices["enjeu"]


def test_the_commitment_filters_offer_only_the_measures_of_listed_rows(staff_client, rows):
    listed_measure = rows["commitments"][0].measure
    choices = filter_choices(staff_client.get(COMMITMENTS))
    assert str(listed_measure.pk) in choices["mesure"]
    assert len(choices["mesure"]) == len({c.measure_id for c in rows["commitments"]})
