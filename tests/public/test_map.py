"""The map of the départements: its geometry and colour classes (public/maps.py), and what
the dashboard and the issue pages show with it."""

import re
from decimal import Decimal

import pytest

from datasets.forum_2020 import load_forum
from public import maps
from strategy.models import Measure, Territory
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


def area_links(response):
    """{département name: (href, accessible name)} as the map draws them."""
    return {
        label.split(" : ")[0]: (href, label)
        for href, label in re.findall(
            r'<a href="([^"]*)" aria-label="([^"]*)" data-code', response.content.decode()
        )
    }


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


def test_the_legal_notice_names_the_contours_source(client, db):
    page = text_of(client.get("/mentions-legales/"))
    assert "Sources" in page and "Contours : IGN, Licence Ouverte" in page
