"""The delivery list's totals row: per unit, how many deliveries are listed (every page,
with the filters), their amount, and the part that counts, as the commitments count it."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from commitments.models import Commitment, Delivery
from strategy.units import Unit
from tests.factories import CommitmentFactory, DeliveryFactory, MeasureFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db
LIST = "/admin/commitments/delivery/"


@pytest.fixture
def deliveries(staff_agent):
    euros = CommitmentFactory(measure=MeasureFactory(unit=Unit.EUROS), planned_amount=1000)
    places = CommitmentFactory(measure=MeasureFactory(unit=Unit.PLACES), planned_amount=50)
    cancelled = CommitmentFactory(measure=euros.measure, planned_amount=1000)
    for amount in (Decimal("100.50"), Decimal(200)):
        DeliveryFactory(commitment=euros, amount=amount).validate(by=staff_agent)
    DeliveryFactory(commitment=euros, amount=Decimal(40))  # waiting
    DeliveryFactory(commitment=places, amount=Decimal(7)).validate(by=staff_agent)
    DeliveryFactory(commitment=cancelled, amount=Decimal(1000)).validate(by=staff_agent)
    Commitment.objects.filter(pk=cancelled.pk).update(status=Commitment.Status.CANCELLED)
    return {"euros": euros, "places": places, "cancelled": cancelled}


def totals(response):
    return {row["unit"]: row for row in response.context["cl"].unit_totals}


def test_the_totals_count_every_listed_delivery_per_unit_and_what_of_it_counts(
    staff_client, deliveries
):
    response = staff_client.get(LIST)
    rows = totals(response)
    assert rows[Unit.EUROS] == {
        "unit": Unit.EUROS,
        "count": 4,
        "amount": Decimal("1340.50"),
        "validated": Decimal("300.50"),  # not the waiting one, nor the cancelled commitment's
    }
    assert rows[Unit.PLACES]["count"] == 1 and rows[Unit.PLACES]["validated"] == Decimal(7)
    assert list(rows) == [Unit.EUROS, Unit.PLACES]  # as the commitment list orders them
    text = text_of(response)
    assert "Total des réalisations listées (5 réalisations)" in text
    assert "1 340,50 €" in text and "300,50 €" in text


def test_what_counts_is_the_sum_of_the_commitments_delivered_amounts(staff_client, deliveries):
    counted = Commitment.objects.exclude(status=Commitment.Status.CANCELLED)
    by_unit = {
        unit: counted.filter(measure__unit=unit).aggregate(total=Sum("delivered_amount"))["total"]
        for unit in (Unit.EUROS, Unit.PLACES)
    }
    rows = totals(staff_client.get(LIST))
    assert {unit: rows[unit]["validated"] for unit in by_unit} == by_unit


def test_the_totals_follow_the_filters_and_the_queue(staff_client, deliveries):
    rows = totals(staff_client.get(LIST, {"examen": "en-attente"}))
    assert rows == {
        Unit.EUROS: {
            "unit": Unit.EUROS,
            "count": 1,
            "amount": Decimal(40),
            "validated": Decimal(0),
        }
    }
    rows = totals(staff_client.get(LIST, {"q": "inexistant-nulle-part"}))
    assert rows == {}
    assert "Aucune réalisation listée." in text_of(staff_client.get(LIST, {"q": "inexistant"}))


def test_a_contact_never_sees_the_delivery_list(client, contact_a, deliveries):
    client.force_login(contact_a)
    response = client.get(LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Delivery.objects.count() == 5


def test_both_lists_give_their_units_in_the_same_order(staff_client, deliveries, staff_agent):
    persons = CommitmentFactory(measure=MeasureFactory(unit=Unit.PERSONS), planned_amount=10)
    DeliveryFactory(commitment=persons, amount=Decimal(3)).validate(by=staff_agent)
    commitments = staff_client.get("/admin/commitments/commitment/").context["cl"].unit_totals
    delivered = staff_client.get(LIST).context["cl"].unit_totals
    assert [row["unit"] for row in delivered] == [row["unit"] for row in commitments]
    assert len(delivered) == 3
