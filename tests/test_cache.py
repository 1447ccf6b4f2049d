"""The public figures are cached (CACHE_URL: Redis in CI) and never stale after a write."""

import datetime
import html
import os
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports.imports import CommitmentImporter
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_cache]
NBSP = "\N{NO-BREAK SPACE}"
PAGES = [
    "/",
    "/enjeux/",
    "/enjeux/enjeu-insertion/",
    "/mesures/places-insertion-activite-economique/",
    "/acteurs/prefecture-region-hauts-de-france/",
]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    load_forum()


def text(client, address):
    """The page's text as a reader sees it: no tags, single spaces."""
    page = html.unescape(re.sub(r"<[^>]+>", " ", client.get(address).content.decode()))
    return re.sub(r"\s+", " ", page.replace(NBSP, " "))


def queries(client, address):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def test_the_configured_cache_is_the_one_in_use():
    backend = settings.CACHES["default"]["BACKEND"]
    assert "Dummy" not in backend
    if os.environ.get("CACHE_URL", "").startswith("redis"):
        assert backend == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.parametrize("address", PAGES)
def test_a_second_visit_is_served_from_the_cache(client, address):
    cold = queries(client, address)
    warm = queries(client, address)
    assert warm < cold


@pytest.fixture
def iae():
    return Commitment.objects.get(measure__slug="places-insertion-activite-economique")


def test_a_validation_is_visible_immediately_everywhere(client, iae):
    for address in PAGES:
        text(client, address)  # warm the cache
    delivery = iae.report_delivery(
        amount=Decimal(400), date=datetime.date(2020, 9, 1), by=UserFactory(username="r")
    )
    assert "3 400 places" not in text(client, "/")  # reported: still nothing public
    delivery.validate(by=UserFactory(username="agent"))
    assert "3 400 places réalisés sur 4 000 places" in text(client, "/")
    for address in PAGES[1:]:
        assert "400 places" in text(client, address), address


def test_an_admin_edit_and_delete_are_visible_immediately(client, staff_agent, iae):
    assert "4 000 places" in text(client, "/")
    staff = client.__class__()
    staff.force_login(staff_agent)
    response = staff.post(
        reverse("admin:commitments_commitment_change", args=[iae.pk]),
        {
            "actor": iae.actor_id,
            "measure": iae.measure_id,
            "territory": iae.territory_id,
            "year": "2020",
            "title": iae.title,
            "planned_amount": "1500",
            "status": "planned",
            "is_public": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert "4 500 places" in text(client, "/")
    delivery = iae.report_delivery(
        amount=Decimal(100), date=datetime.date(2020, 9, 1), by=staff_agent
    )
    delivery.validate(by=staff_agent)
    assert "3 100 places" in text(client, "/")
    staff.post(reverse("admin:commitments_delivery_delete", args=[delivery.pk]), {"post": "yes"})
    assert "3 000 places réalisés" in text(client, "/")


def test_an_import_is_visible_immediately(client):
    assert "32 300 000 €" in text(client, "/")
    content = (
        "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
        "Chèques d'urgence alimentaires;diplp;32;2021;Nouveaux chèques;700000\r\n"
    ).encode()
    importer = CommitmentImporter()
    importer.apply(importer.plan(content), by=None)
    assert "33 000 000 €" in text(client, "/")


def test_a_returned_delivery_changes_nothing_and_leaves_the_pages_right(client, iae):
    before = text(client, "/")
    delivery = iae.report_delivery(
        amount=Decimal(5), date=datetime.date(2020, 9, 1), by=UserFactory(username="r")
    )
    delivery.return_for_revision(by=UserFactory(username="agent"), reason="Non")
    assert text(client, "/") == before


def test_filters_have_their_own_cache_entries(client):
    assert "10 000 000 € réalisés sur 10 000 000 €" in text(client, "/?year=2019")
    assert "11 500 000 €" in text(client, "/")
    assert "1 500 000 €" in text(client, "/?year=2020&issue=urgence-sociale")


def test_signed_in_visitors_never_get_the_anonymous_page(client, contact_a):
    assert "Se connecter" in text(client, "/")  # now cached for anonymous visitors
    client.force_login(contact_a)
    page = text(client, "/")
    assert "Se déconnecter" in page and "Se connecter " not in page


def test_a_forum_participation_shows_at_once_on_the_actor_page(client):
    from actors.models import Actor, Forum

    address = "/acteurs/conseil-regional-hauts-de-france/"
    actor = Actor.objects.get(slug="conseil-regional-hauts-de-france")
    Forum.objects.get().participants.remove(actor)
    assert "aucun forum" in text(client, address)
    Forum.objects.get().participants.add(actor)
    assert "Forum régional des acteurs" in text(client, address)
