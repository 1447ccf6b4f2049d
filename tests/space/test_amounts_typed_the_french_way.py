"""In the actor area, amounts are typed as French users write them, and shown back so."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory, UserFactory
from tests.helpers import form_values, text_of

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}"


@pytest.fixture
def in_euros(actor_a):
    return CommitmentFactory(
        actor=actor_a,
        year=2021,
        measure=MeasureFactory(unit=Unit.EUROS),
        planned_amount=Decimal(2_000_000),
    )


def report(client, commitment, amount):
    return client.post(
        reverse("space:commitment", args=[commitment.pk]),
        {
            "amount": amount,
            "date": "2021-06-01",
            "comment": "",
            "submission_key": str(uuid.uuid4()),
        },
    )


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("1 000", Decimal(1000)),
        (f"1{NBSP}000", Decimal(1000)),
        (f"1{NNBSP}000", Decimal(1000)),
        ("1 000,50", Decimal("1000.50")),
        (f" 1{NNBSP}000,50 ", Decimal("1000.50")),
        ("1000,5", Decimal("1000.50")),
        ("1000.50", Decimal("1000.50")),
        ("1 500 000 €", Decimal(1_500_000)),
    ],
)
def test_a_contact_reports_an_amount_typed_the_french_way(
    client, contact_a, in_euros, typed, saved
):
    client.force_login(contact_a)
    response = report(client, in_euros, typed)
    assert response.status_code == 302
    assert list(in_euros.deliveries.values_list("amount", flat=True)) == [saved]


def test_places_are_typed_with_spaces_between_thousands(client, contact_a, actor_a):
    commitment = CommitmentFactory(
        actor=actor_a, year=2021, measure=MeasureFactory(unit=Unit.PLACES)
    )
    client.force_login(contact_a)
    assert report(client, commitment, f"1{NBSP}500").status_code == 302
    assert commitment.deliveries.get().amount == Decimal(1500)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("mille", "Saisissez un montant, par exemple 1 500 000 ou 1 000,50."),
        ("1.000,50", "Saisissez un montant, par exemple 1 500 000 ou 1 000,50."),
        ("1 00", "Saisissez un montant, par exemple 1 500 000 ou 1 000,50."),
        ("1.500", "Au plus deux décimales, après une virgule"),
        ("1 000,505", "Au plus deux décimales, après une virgule"),
        ("-1 000", "strictement positif"),
        ("1" * 41, "Ce montant est trop long"),
        ("1" * 100_000, "Ce montant est trop long"),
        ("10 000 000 000 000", "Ce montant est trop grand."),
    ],
)
def test_a_badly_typed_amount_gets_a_french_message_and_saves_nothing(
    client, contact_a, in_euros, typed, message
):
    client.force_login(contact_a)
    response = report(client, in_euros, typed)
    assert response.status_code == 200
    assert message in text_of(response)
    assert in_euros.deliveries.count() == 0
    assert mail.outbox == []


def test_another_actors_contact_cannot_report_even_a_well_typed_amount(client, contact_b, in_euros):
    client.force_login(contact_b)
    assert report(client, in_euros, "1 000,50").status_code == 404
    assert in_euros.deliveries.count() == 0


@pytest.fixture
def returned(in_euros, contact_a):
    delivery = in_euros.report_delivery(
        amount=Decimal("1234567.50"), date=datetime.date(2021, 5, 1), by=contact_a
    )
    delivery.return_for_revision(by=UserFactory(username="relecteur"), reason="Justificatif ?")
    return delivery


def test_a_correction_shows_the_amount_the_french_way_and_takes_it_back_unchanged(
    client, contact_a, returned
):
    client.force_login(contact_a)
    address = reverse("space:correct_delivery", args=[returned.pk])
    values = form_values(client.get(address), "amount")
    assert values["amount"] == f"1{NBSP}234{NBSP}567,50"
    response = client.post(address, values)
    assert response.status_code == 302
    returned.refresh_from_db()
    assert (returned.status, returned.amount) == ("reported", Decimal("1234567.50"))


def test_a_correction_typed_the_french_way_is_saved(client, contact_a, returned):
    client.force_login(contact_a)
    address = reverse("space:correct_delivery", args=[returned.pk])
    values = form_values(client.get(address), "amount") | {"amount": f"2{NNBSP}000,5"}
    assert client.post(address, values).status_code == 302
    returned.refresh_from_db()
    assert (returned.status, returned.amount) == ("reported", Decimal("2000.50"))


def test_a_badly_typed_correction_changes_nothing(client, contact_a, returned):
    client.force_login(contact_a)
    address = reverse("space:correct_delivery", args=[returned.pk])
    values = form_values(client.get(address), "amount") | {"amount": "1.234.567,50"}
    response = client.post(address, values)
    assert "Saisissez un montant, par exemple 1 500 000 ou 1 000,50." in text_of(response)
    returned.refresh_from_db()
    assert (returned.status, returned.amount) == ("returned", Decimal("1234567.50"))
