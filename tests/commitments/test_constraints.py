"""The database refuses bad rows, whatever code path tries to write them."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from commitments.models import Commitment, Delivery
from strategy.models import Territory
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    IssueFactory,
    MeasureFactory,
    TerritoryFactory,
)

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_negative_planned_amount_is_refused():
    commitment = CommitmentFactory()
    refused(lambda: Commitment.objects.filter(pk=commitment.pk).update(planned_amount=-1))


def test_negative_delivered_amount_is_refused():
    commitment = CommitmentFactory()
    refused(lambda: Commitment.objects.filter(pk=commitment.pk).update(delivered_amount=-1))


@pytest.mark.parametrize("year", [1999, 2101])
def test_year_outside_2000_2100_is_refused(year):
    refused(lambda: CommitmentFactory(year=year))


@pytest.mark.parametrize("year", [2000, 2100])
def test_years_2000_and_2100_are_accepted(year):
    assert CommitmentFactory(year=year).pk


@pytest.mark.parametrize("amount", [Decimal(0), Decimal(-5)])
def test_delivery_amount_must_be_positive(amount):
    refused(lambda: DeliveryFactory(amount=amount))


def test_returned_delivery_needs_a_reason():
    refused(lambda: DeliveryFactory(status=Delivery.Status.RETURNED, return_reason=""))


def test_slugs_are_unique():
    issue = IssueFactory()
    refused(lambda: IssueFactory(slug=issue.slug))
    measure = MeasureFactory()
    refused(lambda: MeasureFactory(slug=measure.slug))
    actor = ActorFactory()
    refused(lambda: ActorFactory(slug=actor.slug))
    territory = TerritoryFactory()
    refused(lambda: TerritoryFactory(slug=territory.slug))


def test_a_territory_code_is_unique_within_its_level():
    TerritoryFactory(level=Territory.Level.DEPARTEMENT, code="59")
    refused(lambda: TerritoryFactory(level=Territory.Level.DEPARTEMENT, code="59"))


def test_the_same_code_may_exist_at_another_level():
    TerritoryFactory(level=Territory.Level.DEPARTEMENT, code="32")
    assert TerritoryFactory(level=Territory.Level.REGION, code="32").pk


def test_a_siret_belongs_to_one_actor_but_many_have_none():
    ActorFactory(siret="73282932000074")
    refused(lambda: ActorFactory(siret="73282932000074"))
    ActorFactory(siret="")
    assert ActorFactory(siret="").pk
