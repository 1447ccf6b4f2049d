"""The read-only API (/api/v1/): what each endpoint answers, what it never shows, its
filters and pagination, its errors in French, its cost in queries at two data sizes, its
throttle and its cache."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors.models import Actor
from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    ForumFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
ENDPOINTS = ["/mesures/", "/acteurs/", "/engagements/", "/totaux/"]


def get(client, address, params=None, status=200, **extra):
    response = client.get(f"{API}{address}", params or {}, **extra)
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def staff():
    return UserFactory(username="agent-api", email="agent.api@exemple.invalid")


@pytest.fixture
def seen(staff):
    """A public commitment with a validated and a reported delivery, a private one, and a
    cancelled one; the actor has a contact e-mail, a SIRET and a contact user."""
    actor = ActorFactory(
        name="Association Seen",
        slug="association-seen",
        email="contact.secret@exemple.invalid",
        siret="73282932000074",
    )
    UserFactory(username="referent-seen", email="referent.secret@exemple.invalid")
    shown = CommitmentFactory(actor=actor, title="Engagement public", planned_amount=1000)
    validated = DeliveryFactory(commitment=shown, amount=Decimal("250.50"), comment="Note privée")
    validated.validate(by=staff)
    DeliveryFactory(commitment=shown, amount=Decimal(400), date=datetime.date(2021, 7, 1))
    hidden = CommitmentFactory(actor=actor, title="Engagement confidentiel", is_public=False)
    cancelled = CommitmentFactory(
        actor=actor, title="Engagement annulé", status=Commitment.Status.CANCELLED
    )
    return {"actor": actor, "shown": shown, "hidden": hidden, "cancelled": cancelled}


def test_a_commitment_is_listed_with_the_pages_figures(client, seen):
    shown = seen["shown"]
    results = get(client, "/engagements/")["results"]
    row = next(r for r in results if r["id"] == shown.pk)
    assert row["planned"] == "1000.00"
    assert row["delivered"] == "250.50"  # the validated delivery only
    assert row["rate"] == "0.2505"
    assert row["actor"] == {"slug": "association-seen", "name": "Association Seen"}
    assert row["territory"]["slug"] == shown.territory.slug
    assert row["issue"]["slug"] == shown.measure.issue.slug
    assert (row["status"], row["status_label"]) == ("in_progress", "En cours")


def test_a_private_commitment_is_never_shown(client, seen):
    hidden = seen["hidden"]
    listed = [r["id"] for r in get(client, "/engagements/")["results"]]
    assert hidden.pk not in listed
    assert seen["shown"].pk in listed
    assert get(client, f"/engagements/{hidden.pk}/", status=404) == {
        "detail": "Ressource introuvable."
    }


def test_a_cancelled_commitment_is_listed_but_not_counted(client, seen):
    listed = {r["id"]: r for r in get(client, "/engagements/")["results"]}
    assert listed[seen["cancelled"].pk]["status"] == "cancelled"
    totals = get(client, "/totaux/")["rows"]
    assert [(r["unit"], r["planned"], r["count"]) for r in totals] == [("euros", "1000.00", 1)]


def test_only_validated_deliveries_are_shown(client, seen):
    detail = get(client, f"/engagements/{seen['shown'].pk}/")
    assert detail["deliveries"] == [{"date": "2021-06-01", "amount": "250.50"}]


def test_no_contact_data_appears_anywhere(client, seen):
    actor = seen["actor"]
    bodies = [
        client.get(f"{API}{address}").content.decode()
        for address in [
            *ENDPOINTS,
            f"/acteurs/{actor.slug}/",
            f"/engagements/{seen['shown'].pk}/",
            f"/mesures/{seen['shown'].measure.slug}/",
        ]
    ]
    for body in bodies:
        for secret in ("@exemple.invalid", "73282932000074", "Note privée", "referent-seen"):
            assert secret not in body
        assert "agent-api" not in body
    assert "Association Seen" in bodies[1]


def test_an_actor_shows_what_its_page_shows(client, seen):
    forum = ForumFactory(title="Forum de test")
    forum.participants.add(seen["actor"])
    detail = get(client, "/acteurs/association-seen/")
    assert detail["public_commitment_count"] == 1
    assert detail["totals"] == [
        {"unit": "euros", "planned": "1000.00", "delivered": "250.50", "rate": "0.2505", "count": 1}
    ]
    assert detail["validated_on"] == str(datetime.date.today())
    assert detail["forums"] == [
        {"title": "Forum de test", "date": "2020-07-10", "is_online": False, "location": ""}
    ]
    assert set(detail) == {
        "slug", "name", "kind", "kind_label", "is_public_sector", "territory", "website",
        "description", "public_commitment_count", "url", "totals", "validated_on", "forums",
    }  # fmt: skip


def test_a_measure_has_its_totals(client, seen):
    measure = seen["shown"].measure
    detail = get(client, f"/mesures/{measure.slug}/")
    assert detail["issue"]["slug"] == measure.issue.slug
    assert detail["totals"][0]["delivered"] == "250.50"
    listed = get(client, "/mesures/", {"issue": measure.issue.slug})
    assert [m["slug"] for m in listed["results"]] == [measure.slug]


def test_json_is_written_in_utf_8(client, seen):
    body = client.get(f"{API}/engagements/", {"limit": 0}).content.decode()
    assert "Paramètre « limit » : la valeur doit être au moins 1." in body


def test_unknown_slugs_and_ids_are_404_in_french(client, db):
    for address in ["/mesures/nulle-part/", "/acteurs/personne/", "/engagements/99999/"]:
        assert get(client, address, status=404) == {"detail": "Ressource introuvable."}
    get(client, "/engagements/99999999999999999999/", status=404)


@pytest.mark.parametrize("address", ["/mesures/x%00y/", "/acteurs/x%00y/", "/acteurs/a%20b/"])
def test_a_slug_the_pages_would_refuse_is_404_not_500(client, db, address):
    """Ninja's path parameters accept anything; a NUL reaching PostgreSQL raised a 500."""
    assert client.get(f"{API}{address}").status_code == 404


def test_the_filters_are_the_pages(client):
    load_forum()
    euros_2019 = get(client, "/totaux/", {"year": 2019})["rows"]
    assert euros_2019 == [
        {
            "unit": "euros",
            "planned": "10000000.00",
            "delivered": "10000000.00",
            "rate": "1.0000",
            "count": 1,
            "key": None,
        }
    ]
    by_issue = get(client, "/totaux/", {"par": "enjeu", "issue": "urgence-sociale"})
    assert {r["key"] for r in by_issue["rows"]} == {"urgence-sociale"}
    assert by_issue["filters"] == {"issue": "urgence-sociale"}
    listed = get(client, "/engagements/", {"year": 2019, "territory": "hauts-de-france"})
    assert [r["year"] for r in listed["results"]] == [2019]


def test_actor_filters_are_the_directorys(client, db):
    nord = TerritoryFactory(slug="nord-test", name="Nord test")
    ActorFactory(name="Commune du Nord", kind=Actor.Kind.COMMUNE, territory=nord,
                 is_public_sector=True)  # fmt: skip
    ActorFactory(name="Association du Nord", territory=nord)
    ActorFactory(name="Autre association")
    assert get(client, "/acteurs/", {"territory": "nord-test"})["count"] == 2
    assert get(client, "/acteurs/", {"sector": "public"})["count"] == 1
    assert get(client, "/acteurs/", {"kind": "commune"})["count"] == 1
    assert get(client, "/acteurs/", {"q": "NORD"})["count"] == 2


@pytest.mark.parametrize(
    ("address", "params", "message"),
    [
        ("/totaux/", {"year": "abc"}, "Paramètre « year » : un nombre entier est attendu."),
        ("/totaux/", {"year": "1999"}, "Année : Sélectionnez un choix valide."),
        ("/totaux/", {"territory": "paris"}, "Territoire : Sélectionnez un choix valide."),
        ("/totaux/", {"par": "planete"}, "Paramètre « par » : choisissez parmi"),
        ("/engagements/", {"issue": "nulle"}, "Enjeu : Sélectionnez un choix valide."),
        ("/engagements/", {"limit": "0"}, "Paramètre « limit » : la valeur doit être au moins 1."),
        ("/engagements/", {"limit": "101"}, "la valeur doit être au plus 100."),
        ("/engagements/", {"offset": "-1"}, "Paramètre « offset » : la valeur doit être au moins"),
        ("/engagements/", {"offset": "9" * 30}, "Paramètre « offset »"),
        ("/mesures/", {"issue": "nulle"}, "Enjeu : Sélectionnez un choix valide."),
        ("/acteurs/", {"kind": "x"}, "Type d'acteur : Sélectionnez un choix valide."),
        ("/acteurs/", {"sector": "x"}, "Public ou privé : Sélectionnez un choix valide."),
        ("/acteurs/", {"q": "x" * 101}, "Paramètre « q » : au plus 100 caractères."),
    ],
)
def test_bad_values_are_400_in_french(client, address, params, message):
    load_forum()
    detail = get(client, address, params, status=400)["detail"]
    assert detail.startswith(message) or message in detail


def test_unknown_parameters_are_ignored(client):
    load_forum()
    assert get(client, "/totaux/", {"x": "y"}) == get(client, "/totaux/")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("address", [*ENDPOINTS, "/engagements/1/", "/openapi.json"])
def test_writes_are_refused(client, method, address):
    response = getattr(client, method)(f"{API}{address}")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    if address != "/openapi.json":  # Django's own view, like the pages'
        assert response.json() == {"detail": "L'API se lit seulement : méthode GET ou HEAD."}


@pytest.mark.parametrize("address", [*ENDPOINTS, "/openapi.json"])
def test_head_is_answered_as_the_pages_are(client, address):
    load_forum()
    head, got = client.head(f"{API}{address}"), client.get(f"{API}{address}")
    assert head.status_code == got.status_code == 200
    assert head["Content-Type"] == got["Content-Type"]
    assert head.content == b""


def test_pages_walk_every_row_once(client, db):
    made = {c.pk for c in CommitmentFactory.create_batch(7)}
    seen_ids, address, pages = [], f"{API}/engagements/?limit=3", 0
    while address:
        page = client.get(address).json()
        assert page["count"] == 7
        seen_ids += [r["id"] for r in page["results"]]
        address, pages = page["next"], pages + 1
    assert pages == 3
    assert seen_ids == sorted(made)
    last = get(client, "/engagements/", {"limit": 3, "offset": 6})
    assert last["previous"] == "http://testserver/api/v1/engagements/?limit=3&offset=3"
    assert get(client, "/engagements/", {"offset": 50})["results"] == []


def test_links_keep_the_filters(client):
    load_forum()
    page = get(client, "/engagements/", {"year": 2020, "limit": 1, "x": "ignored"})
    assert page["next"] == "http://testserver/api/v1/engagements/?year=2020&limit=1&offset=1"


def test_the_openapi_document_lists_every_path(client, db):
    response = client.get(f"{API}/openapi.json")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=3600"
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        f"{API}{path}"
        for path in [
            *ENDPOINTS,
            "/mesures/{slug}/",
            "/acteurs/{slug}/",
            "/engagements/{pk}/",
        ]
    }
    for path in document["paths"].values():
        assert set(path) == {"get"}
    assert client.get(f"{API}/docs").status_code == 404  # no UI that would need a CDN
    assert queries(client, "/openapi.json") == 0


def test_the_api_page_documents_it(client, db):
    response = client.get("/api/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/openapi.json" in body
    assert "60 requêtes par minute" in body
    assert "Disallow: /api/v1/" in client.get("/robots.txt").content.decode()


def make_rows(count):
    """`count` public commitments (each with a validated delivery) of as many actors."""
    staff = UserFactory(username="agent-rows")
    for commitment in CommitmentFactory.create_batch(count):
        DeliveryFactory(commitment=commitment).validate(by=staff)
        commitment.actor.forums.add(ForumFactory())


def queries(client, address):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}{address}")
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("/mesures/", 2),  # count, page
        ("/mesures/?issue={issue}", 3),  # + the issues
        ("/mesures/{measure}/", 2),  # measure, totals
        ("/acteurs/", 2),
        ("/acteurs/?territory={territory}&kind=association&sector=prive", 3),  # + territories
        ("/acteurs/{actor}/", 4),  # actor, totals, validated on, forums
        ("/engagements/", 3),  # years, count, page
        ("/engagements/?year=2021&territory={territory}&issue={issue}", 5),  # + the lists
        ("/engagements/{commitment}/", 2),  # commitment, deliveries
        ("/totaux/", 3),  # years, totals, validated on
        ("/totaux/?par=acteur&issue={issue}", 5),  # + issues, actors' slugs
    ],
)
def test_query_counts_do_not_grow_with_rows(client, address, expected):
    counts = []
    for size in (4, 12):
        make_rows(size - len(Commitment.objects.all()) if counts else size)
        commitment = Commitment.objects.select_related("actor", "measure__issue").last()
        filled = address.format(
            issue=commitment.measure.issue.slug,
            measure=commitment.measure.slug,
            territory=commitment.territory.slug,
            actor=commitment.actor.slug,
            commitment=commitment.pk,
        )
        counts.append(queries(client, filled))
    assert counts == [expected, expected]


@pytest.mark.real_cache
def test_over_the_rate_an_address_gets_a_french_429(client, settings, db):
    cache.clear()
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api": (3, 60)}
    for _ in range(3):
        get(client, "/mesures/", REMOTE_ADDR="192.0.2.1")
    response = client.get(f"{API}/mesures/", REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Trop de requêtes depuis cette adresse")
    assert 1 <= int(response["Retry-After"]) <= 60
    get(client, "/mesures/", REMOTE_ADDR="192.0.2.2")  # another address is served


@pytest.mark.real_cache
def test_the_throttle_believes_x_forwarded_for_only_from_a_trusted_proxy(client, settings, db):
    cache.clear()
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api": (2, 60)}
    for n in range(3):  # an untrusted sender cannot spread its requests over forged addresses
        response = client.get(
            f"{API}/mesures/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
    assert response.status_code == 429
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for n in range(2):  # behind the proxy, each client has its own count
        get(client, "/mesures/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")


@pytest.mark.real_cache
@pytest.mark.django_db(transaction=True)
def test_a_validation_changes_the_next_answer(client, staff):
    cache.clear()
    commitment = CommitmentFactory(planned_amount=1000)
    before = get(client, "/totaux/")["rows"][0]
    assert before["delivered"] == "0.00"
    assert get(client, f"/engagements/{commitment.pk}/")["deliveries"] == []
    with CaptureQueriesContext(connection) as warm:
        get(client, "/totaux/")
    assert len(warm) == 0  # served from the cache
    DeliveryFactory(commitment=commitment, amount=Decimal(300)).validate(by=staff)
    assert get(client, "/totaux/")["rows"][0]["delivered"] == "300.00"
    assert get(client, f"/engagements/{commitment.pk}/")["deliveries"][0]["amount"] == "300.00"


def stored_keys():
    """The keys in the configured cache: local memory's dict, or Redis's keys."""
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        return {str(key) for key in backend._cache}
    return {key.decode() for key in backend._cache.get_client().keys("*")}


@pytest.mark.real_cache
def test_random_parameters_add_no_cache_entry(client, settings, db):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api": (1000, 60)}
    load_forum()
    cache.clear()
    get(client, "/totaux/")
    get(client, "/engagements/")
    before = stored_keys()
    for n in range(20):
        get(client, "/totaux/", {f"x{n}": n})
        get(client, "/engagements/", {"x": n})
        get(client, "/acteurs/", {"q": f"recherche {n}"})  # a search is never stored
    assert before
    assert {key for key in stored_keys() - before if "throttle" not in key} == set()


@pytest.mark.real_cache
def test_walking_sizes_and_offsets_adds_no_cache_entry(client, settings, db):
    """Only the pages the links walk at the default or largest size are stored: other
    sizes, odd offsets and pages past the last one are answered, not stored."""
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api": (1000, 60)}
    load_forum()
    cache.clear()
    get(client, "/engagements/")
    get(client, "/engagements/", {"limit": 100})
    before = stored_keys()
    for n in range(1, 11):
        get(client, "/engagements/", {"limit": n + 1})
        get(client, "/engagements/", {"offset": n})
        past = get(client, "/engagements/", {"offset": 50 * (n + 10)})
        assert past["results"] == []
        get(client, "/acteurs/", {"limit": 100, "offset": 100 * (n + 10)})
    assert {key for key in stored_keys() - before if "throttle" not in key} == set()


@pytest.mark.real_cache
def test_a_page_the_links_walk_is_stored(client, settings, db):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api": (1000, 60)}
    load_forum()
    cache.clear()
    get(client, "/engagements/")
    before = stored_keys()
    get(client, "/engagements/", {"limit": 100})
    assert {key for key in stored_keys() - before if "throttle" not in key}
