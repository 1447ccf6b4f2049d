"""Public pages: what anyone may see, and only that; bad input never breaks them."""

import datetime
from decimal import Decimal

import pytest

from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from strategy.models import Measure
from strategy.units import Unit
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    DeliveryFactory,
    ForumFactory,
    MeasureFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.helpers import count_queries, text_of

pytestmark = pytest.mark.django_db
PRIVATE_TITLE = "Engagement confidentiel à ne jamais publier"


@pytest.fixture
def forum():
    load_forum()


@pytest.fixture
def private_commitment(forum):
    prefecture = Commitment.objects.first().actor
    return CommitmentFactory(
        actor=prefecture,
        measure=Measure.objects.get(slug="places-hebergement-urgence"),
        territory=prefecture.territory,
        year=2020,
        title=PRIVATE_TITLE,
        planned_amount=Decimal(777),
        is_public=False,
    )


def public_urls():
    return [
        "/",
        "/?year=2020",
        "/?territory=nord",
        "/?issue=urgence-sociale",
        "/enjeux/",
        "/enjeux/urgence-sociale/",
        "/enjeux/leviers-transversaux/",
        "/mesures/places-hebergement-urgence/",
        "/mesures/contractualisation-etat-departements/",
        "/acteurs/",
        "/acteurs/prefecture-region-hauts-de-france/",
    ]


@pytest.mark.parametrize("address", public_urls())
def test_every_public_page_answers_an_anonymous_visitor(client, forum, address):
    response = client.get(address)
    assert response.status_code == 200
    assert "Préfet<br>de la région<br>Hauts-de-France" in response.content.decode()


def test_the_dashboard_shows_the_press_release_figures(client, forum):
    page = text_of(client.get("/"))
    assert "11 500 000 € réalisés sur 32 300 000 € prévus (36 %)" in page
    assert "3 000 places réalisées sur 4 000 places prévues (75 %)" in page


@pytest.mark.parametrize("address", public_urls())
def test_a_private_commitment_appears_on_no_public_page(client, private_commitment, address):
    page = text_of(client.get(address))
    assert PRIVATE_TITLE not in page
    assert "4 777" not in page  # its planned places are not added either


def test_a_reported_delivery_changes_no_public_figure(client, forum):
    before = {address: text_of(client.get(address)) for address in public_urls()}
    commitment = Commitment.objects.get(measure__slug="places-insertion-activite-economique")
    commitment.report_delivery(
        amount=Decimal(250), date=datetime.date(2020, 9, 1), by=UserFactory(username="r")
    )
    after = {address: text_of(client.get(address)) for address in public_urls()}
    assert after == before


def test_a_validated_delivery_shows_on_the_measure_page(client, forum):
    commitment = Commitment.objects.get(measure__slug="places-insertion-activite-economique")
    delivery = commitment.report_delivery(
        amount=Decimal(250), date=datetime.date(2020, 9, 1), by=UserFactory(username="r")
    )
    delivery.validate(by=UserFactory(username="agent"))
    page = text_of(client.get("/mesures/places-insertion-activite-economique/"))
    assert "250 places" in page
    assert "septembre 2020" in page


def test_cancelled_commitments_are_shown_apart_and_not_counted(client, forum):
    measure = Measure.objects.get(slug="places-hebergement-urgence")
    CommitmentFactory(
        measure=measure,
        title="Ouverture abandonnée",
        planned_amount=Decimal(500),
        status=Commitment.Status.CANCELLED,
        year=2021,
    )
    page = text_of(client.get("/mesures/places-hebergement-urgence/"))
    assert "Engagements annulés" in page
    assert "Ouverture abandonnée" in page
    assert "3 000 places" in page and "3 500 places" not in page
    assert "3 000 places réalisées sur 4 000 places prévues (75 %)" in text_of(client.get("/"))


def test_the_year_filter_changes_the_figures_and_is_kept_in_links(client, forum):
    page = text_of(client.get("/?year=2019&territory=hauts-de-france"))
    assert "10 000 000 € réalisés sur 10 000 000 € prévus (100 %)" in page
    assert "places" not in page.split("Chiffres clés")[1].split("Urgence sociale")[0]
    assert "/enjeux/leviers-transversaux/?year=2019&amp;territory=hauts-de-france" in (
        client.get("/?year=2019&territory=hauts-de-france").content.decode()
    )


def test_a_territory_includes_the_territories_it_contains(client, forum):
    nord = TerritoryFactory(name="Nord test", slug="nord-test", code="959")
    lille = TerritoryFactory(name="Lille test", slug="lille-test", code="9591", parent=nord)
    CommitmentFactory(
        actor=ActorFactory(territory=lille),
        territory=lille,
        year=2021,
        measure=MeasureFactory(unit=Unit.HOUSEHOLDS),
        planned_amount=Decimal(42),
    )
    assert "42 ménages" in text_of(client.get("/?territory=nord-test"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "Année : Sélectionnez un choix valide"),
        ("year=1999", "Année : Sélectionnez un choix valide"),
        ("territory=999999", "Territoire : Sélectionnez un choix valide"),
        ("issue=%3Cscript%3E", "Enjeu : Sélectionnez un choix valide"),
    ],
)
def test_a_bad_filter_value_is_ignored_with_a_message(client, forum, query, message):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    assert "11 500 000 €" in page  # the other filters, here none, still apply
    assert "<script>" not in response.content.decode()


def test_a_bad_filter_on_an_issue_page_is_ignored_with_a_message(client, forum):
    response = client.get("/enjeux/urgence-sociale/?territory=999999&year=2020")
    assert "Territoire : Sélectionnez un choix valide" in text_of(response)


@pytest.mark.parametrize("page", ["99999", "abc", "-1", "0"])
def test_a_page_number_out_of_range_gives_the_nearest_valid_page(client, forum, page):
    ActorFactory.create_batch(35)
    response = client.get(f"/acteurs/?page={page}")
    assert response.status_code == 200
    expected = 2 if page == "99999" else 1
    assert response.context["page_obj"].number == expected


def test_the_directory_filters_by_kind_sector_territory_and_name(client, forum):
    ActorFactory(name="Restos du Cœur du Nord", kind="association")
    page = text_of(client.get("/acteurs/?q=restos"))
    assert "Restos du Cœur du Nord" in page and "1 acteur" in page
    page = text_of(client.get("/acteurs/?kind=departement&sector=public"))
    assert "5 acteurs" in page
    page = text_of(client.get("/acteurs/?territory=metropole-europeenne-de-lille"))
    assert "Métropole Européenne de Lille" in page and "1 acteur" in page
    page = text_of(client.get("/acteurs/?sector=prive&kind=nimporte"))
    assert "Type d'acteur : Sélectionnez un choix valide" in page


def test_an_actor_page_shows_its_totals_and_forums(client, forum):
    page = text_of(client.get("/acteurs/prefecture-region-hauts-de-france/"))
    assert "32 300 000 €" in page and "4 000 places" in page
    assert "Forum régional des acteurs" in page and "10/07/2020 (en ligne)" in page


@pytest.mark.parametrize(
    "address", ["/enjeux/inconnu/", "/mesures/inconnue/", "/acteurs/inconnu/", "/nulle-part/"]
)
def test_unknown_addresses_get_the_french_404(client, forum, address):
    response = client.get(address)
    assert response.status_code == 404
    assert "Page non trouvée" in response.content.decode()


def test_the_500_page_is_french_and_standalone(client):
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Erreur inattendue" in page and "Préfet<br>de la région" in page


def populate(size):
    measure = Measure.objects.get(slug="places-hebergement-urgence")
    prefecture = Commitment.objects.first().actor
    forum = ForumFactory()
    for _ in range(size):
        actor = ActorFactory()
        forum.participants.add(actor, prefecture)
        for status in Commitment.Status.values:
            commitments = [
                CommitmentFactory(
                    actor=actor, measure=measure, year=2021, status=status, is_public=True
                ),
                CommitmentFactory(actor=prefecture, measure=measure, year=2021, status=status),
            ]
            if status != Commitment.Status.CANCELLED:
                # A validated delivery on every counted commitment, so that a page running
                # a query per delivery or per commitment would show a larger count.
                for commitment in commitments:
                    DeliveryFactory(commitment=commitment).validate(by=None)


# The dashboard's map of the départements costs one query, its per-territory totals; the
# issue page's map reuses the per-territory totals its table already fetched.
PINNED = {
    "/": 8,
    "/?unit=places": 8,
    "/?unit=inconnue": 8,
    "/?year=2021&territory=hauts-de-france&issue=urgence-sociale": 8,
    "/?territory=nord&unit=places": 8,
    "/enjeux/": 2,
    "/enjeux/urgence-sociale/": 8,
    "/enjeux/urgence-sociale/?unit=places": 8,
    "/mesures/places-hebergement-urgence/": 6,
    "/acteurs/": 3,
    "/acteurs/?q=association&kind=association&sector=prive&page=2": 3,
    "/acteurs/prefecture-region-hauts-de-france/": 7,
}


@pytest.mark.parametrize("address", PINNED)
def test_public_page_query_counts_are_pinned_and_do_not_grow(client, forum, address):
    populate(2)
    small = count_queries(client, address)
    populate(30)
    large = count_queries(client, address)
    assert (small, large) == (PINNED[address], PINNED[address])
    assert PINNED[address] <= 12
