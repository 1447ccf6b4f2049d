"""The dashboard's and the issue pages' map on the demo (loaded once for the module: see
tests/conftest.py's demo_module), for the figures it draws and the links it gives."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from commitments.models import Commitment
from strategy.models import Measure, Territory
from strategy.units import format_rate
from tests.factories import ActorFactory, CommitmentFactory
from tests.helpers import text_of
from tests.public.test_map import NAMES, area_links


def test_the_dashboard_map_links_each_departement_to_its_filtered_dashboard(client, demo):
    response = client.get("/")
    links = area_links(response)
    assert sorted(links) == NAMES
    for territory in Territory.objects.filter(level=Territory.Level.DEPARTEMENT):
        assert links[territory.name][0] == f"/?territory={territory.slug}"
        assert client.get(links[territory.name][0]).status_code == 200


def test_the_map_keeps_the_other_filters_in_its_links(client, demo):
    links = area_links(client.get("/?year=2021&issue=urgence-sociale"))
    assert links["Nord"][0] == "/?year=2021&amp;issue=urgence-sociale&amp;territory=nord"


def test_an_issue_page_map_links_to_the_issue_page_filtered(client, demo):
    links = area_links(client.get("/enjeux/urgence-sociale/"))
    assert links["Somme"][0] == "/enjeux/urgence-sociale/?territory=somme"


@pytest.mark.parametrize("unit", ["euros", "places", "persons"])
def test_each_departement_figure_counts_everything_committed_within_it(client, demo, unit):
    # An EPCI's commitments count in its département, as on the issue pages' tables.
    lille = Territory.objects.get(slug="metropole-europeenne-de-lille")
    measure = Measure.objects.filter(unit=unit).first()
    CommitmentFactory(
        actor=ActorFactory(territory=lille), measure=measure, planned_amount=Decimal(7)
    )
    departements = client.get(f"/?unit={unit}").context["departements"]
    assert departements["unit"] == unit
    by_name = {area["name"]: area for area in departements["areas"]}
    for territory in Territory.objects.filter(level=Territory.Level.DEPARTEMENT):
        expected = {
            row["unit"]: row for row in Commitment.objects.public().in_territory(territory).totals()
        }.get(unit)
        row = by_name[territory.name]["row"]
        assert (row and (row["planned"], row["delivered"])) == (
            expected and (expected["planned"], expected["delivered"])
        )


@pytest.mark.parametrize(
    ("slug", "unit"),
    [("urgence-sociale", "euros"), ("urgence-sociale", "places"), ("enjeu-educatif", "persons")],
)
def test_the_issue_map_says_what_the_issue_per_territory_table_says(client, demo, slug, unit):
    response = client.get(f"/enjeux/{slug}/?unit={unit}")
    assert response.context["departements"]["unit"] == unit
    tables = {table["unit"]: table for table in response.context["by_area"]}
    rows = {row["label"]: row for row in tables[unit]["rows"]}
    links = area_links(response)
    page = text_of(response)
    for name in NAMES:
        rate = format_rate(rows[name]["rate"]) if name in rows else None
        if rate:
            assert f"{name} : {rate}".replace("\N{NO-BREAK SPACE}", " ") in (
                links[name][1].replace("\N{NO-BREAK SPACE}", " ")
            )
        else:
            assert "aucun engagement chiffré" in links[name][1]
    # The figures' table is the page's own per-territory table, not a second copy.
    assert "Prévu et réalisé par département" not in page
    assert f'href="#territoires-{unit}"' in response.content.decode()
    assert f'id="territoires-{unit}"' in response.content.decode()


def test_the_unit_switch_redraws_the_map_and_its_table(client, demo):
    page = text_of(client.get("/?unit=places"))
    assert "Par département, en places" in page
    assert "Prévu et réalisé par département, en places" in page
    assert "places prévues réalisées" in client.get("/?unit=places").content.decode()
    assert "Par département, en euros" in text_of(client.get("/"))


@pytest.mark.parametrize("value", ["inconnue", "<script>x</script>", "households", "0"])
def test_a_bad_unit_draws_the_default_map_without_error(client, demo, value):
    response = client.get("/", {"unit": value})
    assert response.status_code == 200
    assert response.context["departements"]["unit"] == "euros"
    assert "<script>x</script>" not in response.content.decode()


def test_below_the_region_the_map_gives_way_to_the_tables(client, demo):
    for address in ["/?territory=nord", "/enjeux/urgence-sociale/?territory=nord"]:
        response = client.get(address)
        assert response.context["departements"] is None
        assert 'id="carte"' not in response.content.decode()


def test_the_map_credits_the_contours(client, demo):
    for address in ["/", "/enjeux/urgence-sociale/"]:
        assert "Contours : IGN, Licence Ouverte" in text_of(client.get(address))


@pytest.mark.real_cache
def test_a_unit_asked_for_is_stored_once_and_a_bad_one_never(client, demo):
    cache.clear()
    assert client.get("/", {"unit": "places"}).status_code == 200
    assert client.get("/", {"unit": "places"}).status_code == 200
    stored = _page_entries()
    for value in ["inconnue", "households", "x" * 50, "PLACES"]:
        assert client.get("/", {"unit": value}).status_code == 200
    assert _page_entries() == stored
    # The stored page is what a second visitor gets for the canonical address.
    assert "Par département, en places" in text_of(client.get("/", {"unit": "places"}))


def _page_entries():
    store = cache._cache
    if hasattr(store, "get_client"):
        return store.get_client(None).dbsize()
    return len(store)
