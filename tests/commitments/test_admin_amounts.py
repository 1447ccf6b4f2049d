"""In the admin, amounts are typed as French users write them, in the commitment form,
its deliveries inline and the delivery form; an untouched form is accepted again."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from commitments.models import Commitment, Delivery
from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory, UserFactory
from tests.helpers import form_values, text_of

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}"
JUNE_2021 = datetime.date(2021, 6, 1)
EXAMPLE = "Saisissez un montant, par exemple 1 500 000 ou 1 000,50."

SPELLINGS = [
    ("1 000", Decimal(1000)),
    (f"1{NBSP}000", Decimal(1000)),
    (f"1{NNBSP}000", Decimal(1000)),
    ("1 000,50", Decimal("1000.50")),
    (f"  1{NBSP}000,50 ", Decimal("1000.50")),
    ("1000,5", Decimal("1000.50")),
    ("1000.50", Decimal("1000.50")),
    ("1 500 000 €", Decimal(1_500_000)),
]
BAD = [
    ("beaucoup", EXAMPLE),
    ("1.000,50", EXAMPLE),
    ("1.500", "Au plus deux décimales"),
    ("1 000,505", "Au plus deux décimales"),
    ("9" * 41, "Ce montant est trop long"),
    ("10 000 000 000 000", "Ce montant est trop grand."),
]


@pytest.fixture
def commitment():
    return CommitmentFactory(
        year=2021, measure=MeasureFactory(unit=Unit.EUROS), planned_amount=Decimal("1234567.50")
    )


@pytest.fixture
def delivery(commitment):
    """Validated: a delivery awaiting review is read only in the admin (the review desk)."""
    delivery = commitment.report_delivery(
        amount=Decimal("2500.25"), date=JUNE_2021, by=UserFactory(username="referent")
    )
    delivery.validate(by=UserFactory(username="agent-relecteur"))
    return delivery


def change_page(commitment):
    return reverse("admin:commitments_commitment_change", args=[commitment.pk])


def test_the_commitment_form_shows_amounts_the_french_way_in_text_inputs(
    staff_client, commitment, delivery
):
    response = staff_client.get(change_page(commitment))
    values = form_values(response, "planned_amount")
    assert values["planned_amount"] == f"1{NBSP}234{NBSP}567,50"
    assert values["deliveries-0-amount"] == f"2{NBSP}500,25"
    # A type="number" input would refuse "1 000,50" in the browser itself.
    for name in ("planned_amount", "deliveries-0-amount"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.content.decode())[0]
        assert 'type="text"' in tag and 'inputmode="decimal"' in tag, tag


def test_a_commitment_saved_untouched_keeps_its_amounts(staff_client, commitment, delivery):
    address = change_page(commitment)
    response = staff_client.post(address, form_values(staff_client.get(address), "planned_amount"))
    assert response.status_code == 302, response.context["errors"]
    commitment.refresh_from_db()
    delivery.refresh_from_db()
    assert (commitment.planned_amount, delivery.amount) == (
        Decimal("1234567.50"),
        Decimal("2500.25"),
    )


@pytest.mark.parametrize(("typed", "saved"), SPELLINGS)
def test_staff_type_a_planned_amount_the_french_way(staff_client, commitment, typed, saved):
    address = change_page(commitment)
    values = form_values(staff_client.get(address), "planned_amount")
    response = staff_client.post(address, values | {"planned_amount": typed})
    assert response.status_code == 302, response.context["errors"]
    commitment.refresh_from_db()
    assert commitment.planned_amount == saved


@pytest.mark.parametrize(("typed", "saved"), SPELLINGS)
def test_staff_type_an_inline_delivery_amount_the_french_way(
    staff_client, commitment, delivery, typed, saved
):
    address = change_page(commitment)
    values = form_values(staff_client.get(address), "planned_amount")
    response = staff_client.post(address, values | {"deliveries-0-amount": typed})
    assert response.status_code == 302, response.context["errors"]
    delivery.refresh_from_db()
    assert delivery.amount == saved


@pytest.mark.parametrize(("typed", "message"), BAD)
def test_a_badly_typed_planned_amount_gets_a_french_message_and_saves_nothing(
    staff_client, commitment, delivery, typed, message
):
    address = change_page(commitment)
    values = form_values(staff_client.get(address), "planned_amount")
    response = staff_client.post(
        address, values | {"planned_amount": typed, "deliveries-0-amount": "3 000", "title": "Neuf"}
    )
    assert response.status_code == 200
    assert message in text_of(response)
    commitment.refresh_from_db()
    delivery.refresh_from_db()
    assert commitment.title != "Neuf"
    assert (commitment.planned_amount, delivery.amount) == (
        Decimal("1234567.50"),
        Decimal("2500.25"),
    )


def test_a_negative_planned_amount_is_refused_in_french(staff_client, commitment):
    address = change_page(commitment)
    values = form_values(staff_client.get(address), "planned_amount")
    response = staff_client.post(address, values | {"planned_amount": "-1 000"})
    assert "supérieure ou égale à 0" in text_of(response)
    commitment.refresh_from_db()
    assert commitment.planned_amount == Decimal("1234567.50")


@pytest.mark.parametrize(("typed", "saved"), SPELLINGS)
def test_staff_add_a_delivery_typed_the_french_way(staff_client, commitment, typed, saved):
    response = staff_client.post(
        reverse("admin:commitments_delivery_add"),
        {"commitment": commitment.pk, "date": "01/06/2021", "amount": typed, "comment": ""},
    )
    assert response.status_code == 302, response.context["errors"]
    assert commitment.deliveries.get().amount == saved


def test_a_delivery_saved_untouched_keeps_its_amount(staff_client, delivery):
    address = reverse("admin:commitments_delivery_change", args=[delivery.pk])
    values = form_values(staff_client.get(address), "amount")
    assert values["amount"] == f"2{NBSP}500,25"
    assert staff_client.post(address, values).status_code == 302
    delivery.refresh_from_db()
    assert delivery.amount == Decimal("2500.25")


@pytest.mark.parametrize(("typed", "message"), [*BAD, ("-3", "strictement positif")])
def test_a_badly_typed_delivery_amount_gets_a_french_message_and_saves_nothing(
    staff_client, delivery, typed, message
):
    address = reverse("admin:commitments_delivery_change", args=[delivery.pk])
    values = form_values(staff_client.get(address), "amount")
    response = staff_client.post(address, values | {"amount": typed, "comment": "Changé"})
    assert response.status_code == 200
    assert message in text_of(response)
    delivery.refresh_from_db()
    assert (delivery.amount, delivery.comment) == (Decimal("2500.25"), "")
    assert Delivery.objects.count() == 1


def test_a_manager_cannot_change_an_amount_however_well_typed(client, manager, commitment):
    client.force_login(manager)
    address = change_page(commitment)
    assert client.get(address).status_code == 200
    assert client.post(address, {"planned_amount": "1 000"}).status_code == 403
    assert Commitment.objects.get(pk=commitment.pk).planned_amount == Decimal("1234567.50")
