"""Report, validate, return: the state rules of a delivery and the delivered invariant."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from commitments.models import Commitment, Delivery
from strategy.units import Unit
from tests.factories import CommitmentFactory, MeasureFactory, UserFactory

pytestmark = pytest.mark.django_db

JUNE_2021 = datetime.date(2021, 6, 1)


@pytest.fixture
def contact():
    return UserFactory(username="referent")


@pytest.fixture
def agent():
    return UserFactory(username="agent", is_staff=True)


@pytest.fixture
def commitment():
    return CommitmentFactory(year=2021, planned_amount=Decimal(1000))


def assert_invariant(commitment):
    commitment.refresh_from_db()
    validated = sum(d.amount for d in commitment.deliveries.filter(status="validated"))
    assert commitment.delivered_amount == validated


def messages_of(excinfo):
    return " ".join(excinfo.value.messages)


def test_a_reported_delivery_waits_and_counts_for_nothing(commitment, contact):
    delivery = commitment.report_delivery(amount="250", date=JUNE_2021, by=contact)
    assert delivery.status == Delivery.Status.REPORTED
    assert delivery.reported_by == contact
    commitment.refresh_from_db()
    assert commitment.delivered_amount == 0


def test_validating_adds_the_amount_and_records_the_reviewer(commitment, contact, agent):
    delivery = commitment.report_delivery(amount=Decimal(250), date=JUNE_2021, by=contact)
    delivery.validate(by=agent)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.VALIDATED
    assert delivery.reviewed_by == agent
    assert delivery.reviewed_at is not None
    commitment.refresh_from_db()
    assert commitment.delivered_amount == Decimal(250)
    assert commitment.rate == Decimal("0.25")
    assert commitment.status == Commitment.Status.IN_PROGRESS


def test_returning_keeps_the_reason_and_counts_for_nothing(commitment, contact, agent):
    delivery = commitment.report_delivery(amount=Decimal(250), date=JUNE_2021, by=contact)
    delivery.return_for_revision(by=agent, reason="  Justificatif manquant  ")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETURNED
    assert delivery.return_reason == "Justificatif manquant"
    assert_invariant(commitment)
    assert commitment.delivered_amount == 0


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_returning_without_a_reason_is_refused(commitment, contact, agent, reason):
    delivery = commitment.report_delivery(amount=Decimal(250), date=JUNE_2021, by=contact)
    with pytest.raises(ValidationError) as excinfo:
        delivery.return_for_revision(by=agent, reason=reason)
    assert "motif" in messages_of(excinfo)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.REPORTED


def test_a_reason_over_5000_characters_is_refused(commitment, contact, agent):
    delivery = commitment.report_delivery(amount=Decimal(250), date=JUNE_2021, by=contact)
    with pytest.raises(ValidationError, match="5000"):
        delivery.return_for_revision(by=agent, reason="x" * 5001)


def test_validating_twice_is_refused_and_counts_once(commitment, contact, agent):
    delivery = commitment.report_delivery(amount=Decimal(250), date=JUNE_2021, by=contact)
    delivery.validate(by=agent)
    with pytest.raises(ValidationError) as excinfo:
        delivery.validate(by=agent)
    assert "déjà « Validée »" in messages_of(excinfo)
    commitment.refresh_from_db()
    assert commitment.delivered_amount == Decimal(250)


def test_a_stale_copy_cannot_validate_a_returned_delivery(commitment, contact, agent):
    delivery = commitment.report_delivery(amount=Decimal(250), date=JUNE_2021, by=contact)
    stale = Delivery.objects.get(pk=delivery.pk)
    delivery.return_for_revision(by=agent, reason="À corriger")
    with pytest.raises(ValidationError, match="Renvoyée pour correction"):
        stale.validate(by=agent)
    assert_invariant(commitment)


def test_a_validated_delivery_cannot_be_returned(commitment, contact, agent):
    delivery = commitment.report_delivery(amount=Decimal(250), date=JUNE_2021, by=contact)
    delivery.validate(by=agent)
    with pytest.raises(ValidationError):
        delivery.return_for_revision(by=agent, reason="Trop tard")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.VALIDATED


@pytest.mark.parametrize(
    ("amount", "field_message"),
    [
        (Decimal(0), "strictement positif"),
        (Decimal(-10), "strictement positif"),
        ("abc", "décimal"),
        ("", "nombre décimal"),
    ],
)
def test_bad_amounts_are_refused_in_french(commitment, contact, amount, field_message):
    with pytest.raises(ValidationError) as excinfo:
        commitment.report_delivery(amount=amount, date=JUNE_2021, by=contact)
    assert "amount" in excinfo.value.message_dict
    assert field_message in " ".join(excinfo.value.message_dict["amount"])
    assert commitment.deliveries.count() == 0


def test_decimals_are_refused_for_a_measure_counted_in_places(contact):
    commitment = CommitmentFactory(measure=MeasureFactory(unit=Unit.PLACES), year=2021)
    with pytest.raises(ValidationError, match="nombre entier"):
        commitment.report_delivery(amount=Decimal("2.5"), date=JUNE_2021, by=contact)
    assert commitment.deliveries.count() == 0


def test_cents_are_accepted_for_a_measure_in_euros(commitment, contact):
    delivery = commitment.report_delivery(amount=Decimal("99.95"), date=JUNE_2021, by=contact)
    assert delivery.amount == Decimal("99.95")


def test_a_date_in_the_future_is_refused(commitment, contact):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        commitment.report_delivery(amount=Decimal(1), date=tomorrow, by=contact)
    assert "futur" in " ".join(excinfo.value.message_dict["date"])
    assert commitment.deliveries.count() == 0


def test_a_date_before_the_commitments_year_is_refused(commitment, contact):
    with pytest.raises(ValidationError) as excinfo:
        commitment.report_delivery(amount=Decimal(1), date=datetime.date(2020, 12, 31), by=contact)
    assert "2021" in " ".join(excinfo.value.message_dict["date"])


def test_the_first_day_of_the_year_and_today_are_accepted(commitment, contact):
    commitment.report_delivery(amount=Decimal(1), date=datetime.date(2021, 1, 1), by=contact)
    commitment.report_delivery(amount=Decimal(1), date=timezone.localdate(), by=contact)
    assert commitment.deliveries.count() == 2


def test_nothing_can_be_reported_on_a_cancelled_commitment(contact):
    commitment = CommitmentFactory(status=Commitment.Status.CANCELLED)
    with pytest.raises(ValidationError, match="annulé"):
        commitment.report_delivery(amount=Decimal(1), date=JUNE_2021, by=contact)


def test_delivered_is_the_sum_of_validated_deliveries_only(commitment, contact, agent):
    first = commitment.report_delivery(amount=Decimal(100), date=JUNE_2021, by=contact)
    second = commitment.report_delivery(amount=Decimal(40), date=JUNE_2021, by=contact)
    third = commitment.report_delivery(amount=Decimal(7), date=JUNE_2021, by=contact)
    first.validate(by=agent)
    second.return_for_revision(by=agent, reason="Erreur de saisie")
    third.validate(by=agent)
    assert_invariant(commitment)
    assert commitment.delivered_amount == Decimal(107)
