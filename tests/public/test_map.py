"""The map of the départements: its geometry and colour classes (public/maps.py), and what
the dashboard and the issue pages show with it."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache

from commitments.models import Commitment
from datasets.demo import load_demo
from datasets.forum_2020 import load_forum
from public import maps
from strategy.models import Measure, Territory
from strategy.units import format_rate
from tests.factories import ActorFactory, CommitmentFactory, DeliveryFactory
from tests.helpers import text_of

CODES = ["02", "59", "60", "62", "80"]
NAMES = ["Aisne", "Nord", "Oise", "Pas-de-Calais", "Somme"]


# The geometry and the classes, without a database


def test_the_five_departements_are_drawn_as_closed_paths_inside_the_view_box():
    drawn, view_box = maps.shapes()
    assert sorted(drawn) == CODES
    assert [drawn[code]["name"] for code in CODES] == NAMES
    _x, _y, width, height = (float(n) for n in view_box.split())
    for shape in drawn.values():
        assert shape["d"].startswith("M") and shape["d"].endswith("Z")
        numbers = [float(n) for n in re.findall(r"-?[0-9.]+", shape["d"])]
        xs, ys = numbers[::2], numbers[1::2]
        assert min(xs) >= 0 and min(ys) >= 0
        assert max(xs) <= width and max(ys) <= height
        # A label is written with a dot: a French "157,3" would be two coordinates.
        assert 0 < float(shape["label_x"]) < width and 0 < float(shape["label_y"]) < height
        assert 200 < len(numbers) / 2 < 1000  # simplified, yet still a shape


def test_the_paths_are_computed_once_per_process():
    assert maps.shapes() is maps.shapes()


def test_the_region_is_taller_than_wide_once_projected():
    # Hauts-de-France spans about 3.4° of longitude by 2.2° of latitude: without the
    # cosine correction it would be drawn wider than tall.
    _x, _y, width, height = (float(n) for n in maps.shapes()[1].split())
    assert height > width


@pytest.mark.parametrize(
    ("rate", "key"),
    [
        (None, "none"),
        ("0", "1"),
        ("0.2449", "1"),
        ("0.2450", "2"),  # written « 25 % », coloured as 25 %
        ("0.4949", "2"),
        ("0.5", "3"),
        ("0.7449", "3"),
        ("0.75", "4"),
        ("0.9949", "4"),
        ("0.9950", "5"),  # written « 100 % »
        ("1", "5"),  # exactly 100 %
        ("1.03", "5"),  # over-delivery
        ("12", "5"),
    ],
)
def test_the_colour_class_follows_the_rate_as_written(rate, key):
    assert maps.rate_class(None if rate is None else Decimal(rate))[0] == key


def test_the_legend_lists_every_class_and_no_data():
    assert [entry["label"] for entry in maps.legend()] == [
        "100 % et plus",
        "de 75 % à 99 %",
        "de 50 % à 74 %",
        "de 25 % à 49 %",
        "moins de 25 %",
        "aucun engagement chiffré",
    ]


def test_the_accessible_name_says_the_rate_in_words_agreed_with_the_unit():
    assert (
        maps.accessible_name("Nord", Decimal("1.03"), "places")
        == "Nord : 103\N{NO-BREAK SPACE}% des places prévues réalisées"
    )
    assert (
        maps.accessible_name("Aisne", Decimal("0.5"), "persons")
        == "Aisne : 50\N{NO-BREAK SPACE}% des personnes prévues accompagnées"
    )
    assert maps.accessible_name("Oise", None, "euros") == (
        "Oise : aucun engagement chiffré en euros"
    )


def table(unit, count):
    return {"unit": unit, "total": {"count": count}}


def test_euros_are_the_default_unit_when_any_are_committed():
    tables = [table("euros", 1), table("places", 9)]
    assert maps.choose_unit(None, tables) == ("euros", None)


def test_without_euros_the_default_is_the_unit_of_the_most_commitments():
    tables = [table("places", 3), table("persons", 9)]
    assert maps.choose_unit(None, tables) == ("persons", None)


def test_a_unit_asked_for_and_drawn_is_canonical():
    tables = [table("euros", 1), table("places", 9)]
    assert maps.choose_unit("places", tables) == ("places", "places")


@pytest.mark.parametrize("asked", ["projects", "inconnue", "<b>x</b>", "", "EUROS"])
def test_a_unit_without_figures_or_unknown_falls_back_and_is_not_canonical(asked):
    tables = [table("euros", 1), table("places", 9)]
    assert maps.choose_unit(asked, tables) == ("euros", None)


def test_no_figures_no_unit():
    assert maps.choose_unit("euros", []) == (None, None)


# The pages


@pytest.fixture
def forum(db):
    load_forum()


@pytest.fixture
def demo(forum):
    load_demo(seed=2020, scale=1, progress=False)


def area_links(response):
    """{département name: (href, accessible name)} as the map draws them."""
    return {
        label.split(" : ")[0]: (href, label)
        for href, label in re.findall(
            r'<a href="([^"]*)" aria-label="([^"]*)" data-code', response.content.decode()
        )
    }


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


def test_a_departement_with_nothing_committed_is_hatched_and_said_so(client, forum):
    # The forum's euros were committed for the whole region: no département has its own.
    response = client.get("/")
    areas = {area["name"]: area for area in response.context["departements"]["areas"]}
    assert {area["key"] for area in areas.values()} == {"none"}
    assert {area["rate_text"] for area in areas.values()} == {"non chiffré"}
    assert area_links(response)["Aisne"] == (
        "/?territory=aisne",
        "Aisne : aucun engagement chiffré en euros",
    )
    assert "Aisne Aucun engagement chiffré" in text_of(response)


def test_a_departement_at_exactly_100_percent_takes_the_top_class(client, forum):
    somme = Territory.objects.get(slug="somme")
    measure = Measure.objects.filter(unit="euros").first()
    commitment = CommitmentFactory(
        actor=ActorFactory(territory=somme), measure=measure, planned_amount=Decimal(1000)
    )
    DeliveryFactory(commitment=commitment, amount=Decimal(1000)).validate(by=None)
    areas = {a["name"]: a for a in client.get("/").context["departements"]["areas"]}
    assert areas["Somme"]["key"] == "5"
    assert areas["Somme"]["rate_text"] == "100\N{NO-BREAK SPACE}%"


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


def test_the_legal_notice_names_the_contours_source(client, db):
    page = text_of(client.get("/mentions-legales/"))
    assert "Sources" in page and "Contours : IGN, Licence Ouverte" in page
