"""In the actor area, a cancelled commitment's deliveries are not offered for correction,
and the closing note is shown with the status."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from commitments.models import CANCELLED_REASON, WITHDRAW, Commitment
from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory
from tests.helpers import count_queries, text_of

pytestmark = pytest.mark.django_db

MAY_2021 = datetime.date(2021, 5, 1)


@pytest.fixture
def commitment_a(actor_a):
    return CommitmentFactory(
        actor=actor_a,
        title="Places de A",
        year=2021,
        measure=MeasureFactory(unit=Unit.PLACES),
        planned_amount=Decimal(100),
    )


@pytest.fixture
def cancelled_a(commitment_a, contact_a, staff_agent):
    """Cancelled with one delivery validated (now withdrawn) and one awaiting (returned)."""
    validated = commitment_a.report_delivery(amount=Decimal(10), date=MAY_2021, by=contact_a)
    validated.validate(by=staff_agent)
    waiting = commitment_a.report_delivery(amount=Decimal(4), date=MAY_2021, by=contact_a)
    commitment_a.change_status(
        Commitment.Status.CANCELLED,
        by=staff_agent,
        closing_note="Locaux perdus.",
        validated_deliveries=WITHDRAW,
    )
    return commitment_a, validated, waiting


def test_a_returned_delivery_of_a_cancelled_commitment_is_not_offered_for_correction(
    client, contact_a, cancelled_a
):
    commitment, _validated, waiting = cancelled_a
    client.force_login(contact_a)
    response = client.get(reverse("space:commitment", args=[commitment.pk]))
    page = text_of(response)
    assert "Corriger" not in page
    assert reverse("space:correct_delivery", args=[waiting.pk]) not in response.content.decode()
    assert f"Motif : {CANCELLED_REASON}" in page
    assert "Retirée (engagement annulé)" in page
    assert "Annulé · public" in page
    assert "Note de clôture : Locaux perdus." in page


def test_a_returned_delivery_of_an_open_commitment_is_still_offered_for_correction(
    client, contact_a, commitment_a, staff_agent
):
    delivery = commitment_a.report_delivery(amount=Decimal(4), date=MAY_2021, by=contact_a)
    delivery.return_for_revision(by=staff_agent, reason="Justificatif ?")
    client.force_login(contact_a)
    response = client.get(reverse("space:commitment", args=[commitment_a.pk]))
    assert reverse("space:correct_delivery", args=[delivery.pk]) in response.content.decode()


def test_the_correction_page_of_a_cancelled_commitment_sends_back_with_a_message(
    client, contact_a, cancelled_a
):
    commitment, _validated, waiting = cancelled_a
    client.force_login(contact_a)
    address = reverse("space:correct_delivery", args=[waiting.pk])
    for response in (
        client.get(address),
        client.post(address, {"amount": "5", "date": "01/05/2021", "comment": ""}),
    ):
        assert response.status_code == 302
        assert response.url == reverse("space:commitment", args=[commitment.pk])
        assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
            "Cet engagement est annulé : ses réalisations ne sont plus à corriger."
        )
    waiting.refresh_from_db()
    assert waiting.status == "returned"


def test_another_actors_contact_gets_404_on_the_correction_page(client, contact_b, cancelled_a):
    _commitment, _validated, waiting = cancelled_a
    client.force_login(contact_b)
    response = client.get(reverse("space:correct_delivery", args=[waiting.pk]))
    assert response.status_code == 404


def test_the_area_home_shows_closing_notes_with_the_status(
    client, contact_a, commitment_a, cancelled_a, actor_a, staff_agent
):
    closed = CommitmentFactory(
        actor=actor_a, title="Accueil de jour", measure=commitment_a.measure, year=2021
    )
    closed.change_status(
        Commitment.Status.COMPLETED, by=staff_agent, closing_note="Faute de public."
    )
    client.force_login(contact_a)
    page = text_of(client.get(reverse("space:home")))
    assert "Réalisé Note de clôture : Faute de public." in page
    assert "Places de A (2021) — note de clôture : Locaux perdus." in page


def test_the_commitment_page_query_count_does_not_grow_with_deliveries(
    client, contact_a, cancelled_a, staff_agent
):
    commitment, _validated, _waiting = cancelled_a
    client.force_login(contact_a)
    address = reverse("space:commitment", args=[commitment.pk])
    few = count_queries(client, address)
    Commitment.objects.filter(pk=commitment.pk).update(status=Commitment.Status.IN_PROGRESS)
    for _ in range(5):
        commitment.report_delivery(amount=Decimal(1), date=MAY_2021, by=contact_a)
    Commitment.objects.filter(pk=commitment.pk).update(status=Commitment.Status.CANCELLED)
    assert count_queries(client, address) == few
