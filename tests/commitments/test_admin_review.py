"""Staff review deliveries in the admin; every admin path keeps delivered = sum(validated)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from commitments.models import Commitment, Delivery
from strategy.units import Unit
from tests.factories import CommitmentFactory, DeliveryFactory, MeasureFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:commitments_delivery_changelist")
JUNE_2021 = datetime.date(2021, 6, 1)


@pytest.fixture
def commitment():
    return CommitmentFactory(year=2021, planned_amount=Decimal(1000))


@pytest.fixture
def reported(commitment):
    contact = UserFactory(username="referent")
    return [
        commitment.report_delivery(amount=Decimal(amount), date=JUNE_2021, by=contact)
        for amount in (100, 30)
    ]


def run_action(client, action, deliveries, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [d.pk for d in deliveries], **extra},
        follow=True,
    )


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def delivered(commitment):
    commitment.refresh_from_db()
    return commitment.delivered_amount


def test_the_changelist_shows_reported_deliveries_first_with_commitment_and_actor(
    staff_client, commitment, reported, staff_agent
):
    reported[1].validate(by=staff_agent)
    response = staff_client.get(CHANGELIST)
    rows = list(response.context["cl"].result_list)
    assert [d.pk for d in rows] == [reported[0].pk, reported[1].pk]
    page = response.content.decode()
    assert commitment.actor.name in page
    assert commitment.title in page


def test_validate_action_validates_and_updates_delivered(
    staff_client, commitment, reported, staff_agent
):
    response = run_action(staff_client, "validate_deliveries", reported)
    assert "2 réalisations validées." in texts(response)
    assert delivered(commitment) == Decimal(130)
    assert {d.reviewed_by for d in Delivery.objects.all()} == {staff_agent}


def test_validating_twice_in_the_admin_says_so_and_counts_once(staff_client, commitment, reported):
    run_action(staff_client, "validate_deliveries", reported[:1])
    response = run_action(staff_client, "validate_deliveries", reported[:1])
    assert response.status_code == 200
    [message] = texts(response)
    assert "déjà « Validée »" in message
    assert delivered(commitment) == Decimal(100)


def test_return_action_asks_for_the_reason_first(staff_client, reported):
    response = run_action(staff_client, "return_deliveries", reported)
    assert response.status_code == 200
    assert "Motif du renvoi" in response.content.decode()
    assert not Delivery.objects.filter(status=Delivery.Status.RETURNED).exists()


def test_return_action_without_a_reason_shows_a_french_error(staff_client, reported):
    response = run_action(staff_client, "return_deliveries", reported, apply="1", reason="   ")
    assert "Indiquez le motif du renvoi" in response.content.decode()
    assert not Delivery.objects.filter(status=Delivery.Status.RETURNED).exists()


def test_return_action_with_a_reason_returns_them(staff_client, commitment, reported):
    response = run_action(
        staff_client, "return_deliveries", reported, apply="1", reason="Pièce justificative ?"
    )
    assert "2 réalisations renvoyées pour correction." in texts(response)
    assert set(Delivery.objects.values_list("status", "return_reason")) == {
        ("returned", "Pièce justificative ?")
    }
    assert delivered(commitment) == 0


def test_a_manager_sees_deliveries_but_has_no_review_action(client, manager, reported):
    client.force_login(manager)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "validate_deliveries" not in response.content.decode()
    run_action(client, "validate_deliveries", reported)
    assert not Delivery.objects.filter(status=Delivery.Status.VALIDATED).exists()


def test_a_manager_cannot_change_a_commitment(client, manager, commitment):
    client.force_login(manager)
    address = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    response = client.post(address, {"title": "Piraté"})
    assert response.status_code == 403
    commitment.refresh_from_db()
    assert commitment.title != "Piraté"


def test_an_actor_contact_gets_the_admin_login_page(client, contact_a, commitment):
    client.force_login(contact_a)
    response = client.get(reverse("admin:commitments_commitment_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_an_anonymous_visitor_gets_the_admin_login_page(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def delivery_form(delivery, **changes):
    data = {
        "commitment": delivery.commitment_id,
        "date": f"{delivery.date:%d/%m/%Y}",
        "amount": str(delivery.amount),
        "comment": delivery.comment,
    }
    return data | changes


def test_editing_a_validated_delivery_in_the_admin_moves_delivered(
    staff_client, commitment, reported, staff_agent
):
    reported[0].validate(by=staff_agent)
    address = reverse("admin:commitments_delivery_change", args=[reported[0].pk])
    response = staff_client.post(address, delivery_form(reported[0], amount="250"))
    assert response.status_code == 302
    assert delivered(commitment) == Decimal(250)


def test_deleting_a_validated_delivery_in_the_admin_moves_delivered(
    staff_client, commitment, reported, staff_agent
):
    reported[0].validate(by=staff_agent)
    address = reverse("admin:commitments_delivery_delete", args=[reported[0].pk])
    response = staff_client.post(address, {"post": "yes"})
    assert response.status_code == 302
    assert delivered(commitment) == 0


def test_bulk_deleting_validated_deliveries_moves_delivered(
    staff_client, commitment, reported, staff_agent
):
    for delivery in reported:
        delivery.validate(by=staff_agent)
    run_action(staff_client, "delete_selected", reported, post="yes")
    assert not Delivery.objects.exists()
    assert delivered(commitment) == 0


def commitment_form(commitment, deliveries, **changes):
    commitment.refresh_from_db()  # the form posts what the page shows: the stored status
    data = {
        "actor": commitment.actor_id,
        "measure": commitment.measure_id,
        "territory": commitment.territory_id,
        "year": str(commitment.year),
        "title": commitment.title,
        "description": "",
        "planned_amount": str(commitment.planned_amount),
        "status": commitment.status,
        "is_public": "on",
        "deliveries-TOTAL_FORMS": str(len(deliveries)),
        "deliveries-INITIAL_FORMS": str(len(deliveries)),
        "deliveries-MIN_NUM_FORMS": "0",
        "deliveries-MAX_NUM_FORMS": "1000",
    }
    for index, delivery in enumerate(deliveries):
        data |= {
            f"deliveries-{index}-id": str(delivery.pk),
            f"deliveries-{index}-commitment": str(commitment.pk),
            f"deliveries-{index}-date": f"{delivery.date:%d/%m/%Y}",
            f"deliveries-{index}-amount": str(delivery.amount),
            f"deliveries-{index}-comment": delivery.comment,
        }
    return data | changes


def test_editing_and_deleting_deliveries_inline_keeps_delivered_in_step(
    staff_client, commitment, reported, staff_agent
):
    for delivery in reported:
        delivery.validate(by=staff_agent)
    address = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    data = commitment_form(
        commitment, reported, **{"deliveries-0-amount": "400", "deliveries-1-DELETE": "on"}
    )
    response = staff_client.post(address, data)
    assert response.status_code == 302, response.context["errors"]
    assert delivered(commitment) == Decimal(400)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"planned_amount": "-5"}, "supérieure ou égale à 0"),
        ({"planned_amount": "beaucoup"}, "Saisissez un montant"),
        ({"year": "1999"}, "supérieure ou égale à 2000"),
        ({"year": "2101"}, "inférieure ou égale à 2100"),
    ],
)
def test_bad_commitment_input_gets_a_french_message_and_saves_nothing(
    staff_client, commitment, changes, message
):
    address = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    response = staff_client.post(address, commitment_form(commitment, [], **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    before = (commitment.planned_amount, commitment.year)
    commitment.refresh_from_db()
    assert (commitment.planned_amount, commitment.year) == before


def test_decimals_for_places_are_refused_in_the_commitment_form(staff_client):
    commitment = CommitmentFactory(measure=MeasureFactory(unit=Unit.PLACES), year=2021)
    address = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    response = staff_client.post(address, commitment_form(commitment, [], planned_amount="2.5"))
    assert "nombre entier" in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "-3"}, "strictement positif"),
        ({"amount": "0"}, "strictement positif"),
        ({"amount": "abc"}, "Saisissez un montant"),
        ("future", "dans le futur"),
    ],
)
def test_bad_delivery_input_in_the_admin_gets_a_french_message(
    staff_client, commitment, reported, staff_agent, changes, message
):
    reported[0].validate(by=staff_agent)
    if changes == "future":
        changes = {"date": f"{timezone.localdate() + datetime.timedelta(days=3):%d/%m/%Y}"}
    address = reverse("admin:commitments_delivery_change", args=[reported[0].pk])
    response = staff_client.post(address, delivery_form(reported[0], **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    reported[0].refresh_from_db()
    assert reported[0].amount == Decimal(100)
    assert delivered(commitment) == Decimal(100)


def test_a_delivery_added_in_the_admin_is_reported_by_the_agent(
    staff_client, commitment, staff_agent
):
    response = staff_client.post(
        reverse("admin:commitments_delivery_add"),
        {"commitment": commitment.pk, "date": "01/06/2021", "amount": "12", "comment": ""},
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.reported_by) == ("reported", staff_agent)
    assert delivered(commitment) == 0


def test_a_reported_delivery_on_a_cancelled_commitment_still_can_be_returned(
    staff_client, commitment, reported
):
    Commitment.objects.filter(pk=commitment.pk).update(status=Commitment.Status.CANCELLED)
    run_action(staff_client, "return_deliveries", reported[:1], apply="1", reason="Annulé")
    assert Delivery.objects.filter(status="returned").count() == 1


def test_measure_and_actor_changelists_show_their_totals_per_unit(staff_client, staff_agent):
    delivery = DeliveryFactory(
        commitment__planned_amount=Decimal(3000), commitment__measure__unit=Unit.PLACES
    )
    delivery.validate(by=staff_agent)
    nbsp = "\N{NO-BREAK SPACE}"
    expected = f"3{nbsp}000{nbsp}places / 100{nbsp}places (3{nbsp}%)"
    for name in ("strategy_measure", "actors_actor"):
        assert expected in staff_client.get(reverse(f"admin:{name}_changelist")).content.decode()
