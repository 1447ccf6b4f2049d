"""The directory (/acteurs/) finds actors whatever accents and case are typed, and lists
them, and the territories of its drop-down, in French order."""

import html
import re

import pytest

from actors.models import Actor
from strategy.models import Territory
from strategy.text import fold
from tests.factories import ActorFactory, TerritoryFactory
from tests.helpers import count_queries, text_of

pytestmark = pytest.mark.django_db

# Typed in any case and accent, and the order a French reader expects.
NAMES = [
    "Trait d’union",
    "Zoo social",
    "ÉCOLE ouverte",
    "arbre à palabres",
    "Œuvre du Nord",
    "Collectif Éclaircie Oise",
    "eclat de rire",
    "Prefecture du Nord",
    "oasis",
]
FRENCH_ORDER = [
    "arbre à palabres",
    "Collectif Éclaircie Oise",
    "eclat de rire",
    "ÉCOLE ouverte",
    "oasis",
    "Œuvre du Nord",
    "Prefecture du Nord",
    "Trait d’union",
    "Zoo social",
]


@pytest.fixture
def actors():
    territory = TerritoryFactory(name="Nord")
    for name in NAMES:
        ActorFactory(name=name, territory=territory)


def listed(response):
    """The actor names of the directory page, in their order."""
    names = set(Actor.objects.values_list("name", flat=True))
    found = re.findall(r'<a href="/acteurs/[^"]+/">([^<]+)</a>', response.content.decode())
    return [html.unescape(name) for name in found if html.unescape(name) in names]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("eclaircie", ["Collectif Éclaircie Oise"]),
        ("ÉCLAIRCIE", ["Collectif Éclaircie Oise"]),
        ("éclaircie", ["Collectif Éclaircie Oise"]),
        ("préfecture", ["Prefecture du Nord"]),
        ("oeuvre", ["Œuvre du Nord"]),
        ("trait d'union", ["Trait d’union"]),
        ("ecole", ["ÉCOLE ouverte"]),
        ("  Arbre   A ", ["arbre à palabres"]),
    ],
)
def test_directory_search_forgives_accents_and_case_both_ways(client, actors, typed, expected):
    assert listed(client.get("/acteurs/", {"q": typed})) == expected


def test_directory_search_matches_percent_and_underscore_literally(client, actors):
    assert listed(client.get("/acteurs/", {"q": "%"})) == []
    assert listed(client.get("/acteurs/", {"q": "_"})) == []


def test_directory_lists_actors_in_french_order(client, actors):
    assert listed(client.get("/acteurs/")) == FRENCH_ORDER


def test_directory_search_of_over_100_characters_is_ignored_with_a_french_message(client, actors):
    response = client.get("/acteurs/", {"q": "é" * 101})
    assert response.status_code == 200
    assert "Nom : " in text_of(response) and "Ce filtre a été ignoré." in text_of(response)
    assert listed(response) == FRENCH_ORDER


def test_directory_search_costs_no_more_queries_than_the_plain_list(client, actors):
    assert count_queries(client, "/acteurs/?q=eclaircie") == count_queries(client, "/acteurs/")


def test_territory_drop_down_lists_the_region_first_then_names_in_french_order(client):
    region = TerritoryFactory(name="Hauts-de-France", level=Territory.Level.REGION)
    for name in ["Somme", "Aisne", "Éure-fictive", "oise"]:
        TerritoryFactory(name=name, parent=region)
    page = client.get("/acteurs/").content.decode()
    select = page[page.index('name="territory"') :]
    select = select[: select.index("</select>")]
    options = re.findall(r"<option[^>]*>([^<]+)</option>", select)
    assert options == [
        "Tous les territoires",
        "Hauts-de-France",
        "Aisne",
        "Éure-fictive",
        "oise",
        "Somme",
    ]


def test_the_orm_and_python_sort_names_the_same_way(actors):
    assert list(Actor.objects.by_name().values_list("name", flat=True)) == FRENCH_ORDER
    assert sorted(NAMES, key=fold) == FRENCH_ORDER
    assert list(Actor.objects.values_list("name", flat=True)) == FRENCH_ORDER  # Meta.ordering
