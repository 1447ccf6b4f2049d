"""The public figures are cached (CACHE_URL: Redis in CI) and never stale after a write."""

import datetime
import os
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports.imports import CommitmentImporter
from tests.factories import ActorFactory, UserFactory
from tests.helpers import count_queries, text_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_cache]
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


def test_the_configured_cache_is_the_one_in_use():
    backend = settings.CACHES["default"]["BACKEND"]
    assert "Dummy" not in backend
    if os.environ.get("CACHE_URL", "").startswith("redis"):
        # Django's Redis backend, with each test worker's keys apart (tests/caches.py).
        assert backend == "tests.caches.WorkerRedisCache"


@pytest.mark.parametrize("address", PAGES)
def test_a_second_visit_is_served_from_the_cache(client, address):
    cold = count_queries(client, address)
    warm = count_queries(client, address)
    assert warm < cold


@pytest.fixture
def iae():
    return Commitment.objects.get(measure__slug="places-insertion-activite-economique")


def test_a_validation_is_visible_immediately_everywhere(client, iae):
    for address in PAGES:
        text_of(client.get(address))  # warm the cache
    delivery = iae.report_delivery(
        amount=Decimal(400), date=datetime.date(2020, 9, 1), by=UserFactory(username="r")
    )
    assert "3 400 places" not in text_of(client.get("/"))  # reported: still nothing public
    delivery.validate(by=UserFactory(username="agent"))
    assert "3 400 places réalisées sur 4 000 places" in text_of(client.get("/"))
    for address in PAGES[1:]:
        assert "400 places" in text_of(client.get(address)), address


def test_an_admin_edit_and_delete_are_visible_immediately(client, staff_agent, iae):
    assert "4 000 places" in text_of(client.get("/"))
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
    assert "4 500 places" in text_of(client.get("/"))
    delivery = iae.report_delivery(
        amount=Decimal(100), date=datetime.date(2020, 9, 1), by=staff_agent
    )
    delivery.validate(by=staff_agent)
    assert "3 100 places" in text_of(client.get("/"))
    staff.post(reverse("admin:commitments_delivery_delete", args=[delivery.pk]), {"post": "yes"})
    assert "3 000 places réalisées" in text_of(client.get("/"))


def test_an_import_is_visible_immediately(client):
    assert "32 300 000 €" in text_of(client.get("/"))
    content = (
        "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
        "Chèques d'urgence alimentaires;diplp;32;2021;Nouveaux chèques;700000\r\n"
    ).encode()
    importer = CommitmentImporter()
    importer.apply(importer.plan(content), by=None)
    assert "33 000 000 €" in text_of(client.get("/"))


def test_a_returned_delivery_changes_nothing_and_leaves_the_pages_right(client, iae):
    before = text_of(client.get("/"))
    delivery = iae.report_delivery(
        amount=Decimal(5), date=datetime.date(2020, 9, 1), by=UserFactory(username="r")
    )
    delivery.return_for_revision(by=UserFactory(username="agent"), reason="Non")
    assert text_of(client.get("/")) == before


def test_filters_have_their_own_cache_entries(client):
    assert "10 000 000 € réalisés sur 10 000 000 €" in text_of(client.get("/?year=2019"))
    assert "11 500 000 €" in text_of(client.get("/"))
    assert "1 500 000 €" in text_of(client.get("/?year=2020&issue=urgence-sociale"))


def test_signed_in_visitors_never_get_the_anonymous_page(client, contact_a):
    assert "Se connecter" in text_of(client.get("/"))  # now cached for anonymous visitors
    client.force_login(contact_a)
    page = text_of(client.get("/"))
    assert "Se déconnecter" in page and "Se connecter " not in page


def test_a_forum_participation_shows_at_once_on_the_actor_page(client):
    from actors.models import Actor, Forum

    address = "/acteurs/conseil-regional-hauts-de-france/"
    actor = Actor.objects.get(slug="conseil-regional-hauts-de-france")
    Forum.objects.get().participants.remove(actor)
    assert "aucun forum" in text_of(client.get(address))
    Forum.objects.get().participants.add(actor)
    assert "Forum régional des acteurs" in text_of(client.get(address))


def test_the_site_map_is_cached_and_shows_a_new_actor_at_once(client):
    cold = count_queries(client, "/plan-du-site/")
    assert count_queries(client, "/plan-du-site/") < cold
    ActorFactory(name="Acteur venu après le plan")
    assert "Acteur venu après le plan" in text_of(client.get("/plan-du-site/"))
