"""The public pages of an issue and of an actor say when their figures were last
validated: the latest review of the validated deliveries they count."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.cache import cache

from actors.models import Actor
from commitments.models import Commitment, Delivery
from strategy.models import Issue
from tests.factories import CommitmentFactory, UserFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def validated(commitment, reviewed_at, *, amount=Decimal(1)):
    """A validated delivery, reviewed at `reviewed_at` (a Paris time)."""
    delivery = commitment.report_delivery(
        amount=amount, date=datetime.date(2020, 6, 1), by=UserFactory(), confirmed=True
    )
    delivery.validate(by=UserFactory())
    Delivery.objects.filter(pk=delivery.pk).update(reviewed_at=reviewed_at)
    return delivery


@pytest.fixture
def issue():
    return Issue.objects.get(slug="urgence-sociale")


@pytest.fixture
def world(forum_data, issue):
    measure = issue.measures.first()
    actor = Actor.objects.get(slug="prefecture-region-hauts-de-france")
    counted = CommitmentFactory(actor=actor, measure=measure, year=2020, is_public=True)
    private = CommitmentFactory(actor=actor, measure=measure, year=2020, is_public=False)
    cancelled = CommitmentFactory(actor=actor, measure=measure, year=2020, is_public=True)
    # Half past midnight in Paris, still 30/03 in UTC: the date is the prefecture's.
    validated(counted, datetime.datetime(2021, 3, 31, 0, 30, tzinfo=PARIS))
    # Neither a private commitment's nor a cancelled one's count, however recent.
    validated(private, datetime.datetime(2021, 5, 2, 10, tzinfo=PARIS))
    validated(cancelled, datetime.datetime(2021, 6, 2, 10, tzinfo=PARIS))
    Commitment.objects.filter(pk=cancelled.pk).update(status=Commitment.Status.CANCELLED)
    # Nor a delivery waiting for review.
    waiting = CommitmentFactory(actor=actor, measure=measure, year=2020, is_public=True)
    waiting.report_delivery(
        amount=Decimal(1), date=datetime.date(2020, 6, 1), by=UserFactory(), confirmed=True
    )
    return {"actor": actor, "counted": counted}


@pytest.fixture
def forum_data():
    from datasets.forum_2020 import load_forum

    load_forum()
    Delivery.objects.update(reviewed_at=datetime.datetime(2020, 12, 1, 9, tzinfo=PARIS))


def test_the_issue_and_actor_pages_say_when_their_figures_were_validated(client, world):
    for address in ("/enjeux/urgence-sociale/", "/acteurs/prefecture-region-hauts-de-france/"):
        page = text_of(client.get(address))
        assert "Données validées au 31/03/2021" in page, address


def test_a_filter_narrows_the_date_to_the_deliveries_it_counts(client, world, issue):
    later = CommitmentFactory(
        actor=world["actor"], measure=issue.measures.first(), year=2021, is_public=True
    )
    validated(later, datetime.datetime(2021, 2, 1, 10, tzinfo=PARIS))
    assert "Données validées au 01/02/2021" in text_of(
        client.get("/enjeux/urgence-sociale/?year=2021")
    )
    assert "Données validées au 31/03/2021" in text_of(client.get("/enjeux/urgence-sociale/"))


def test_a_page_without_validated_delivery_says_nothing(client, forum_data):
    Delivery.objects.all().delete()
    page = text_of(client.get("/enjeux/urgence-sociale/"))
    assert "Données validées" not in page


def test_the_queryset_method_is_one_query(django_assert_num_queries, world):
    with django_assert_num_queries(1):
        day = Delivery.objects.public().validated_on()
    assert day == datetime.date(2021, 3, 31)
    assert Delivery.objects.none().validated_on() is None


@pytest.mark.real_cache
@pytest.mark.django_db(transaction=True)
def test_a_new_validation_shows_at_once_on_the_cached_page(client, world):
    cache.clear()
    address = "/acteurs/prefecture-region-hauts-de-france/"
    assert "Données validées au 31/03/2021" in text_of(client.get(address))
    validated(world["counted"], datetime.datetime(2021, 4, 15, 8, tzinfo=PARIS))
    assert "Données validées au 15/04/2021" in text_of(client.get(address))
