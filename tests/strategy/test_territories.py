"""A territory includes the territories it contains, at any depth, wherever one filters by it."""

import pytest

from actors.models import Actor
from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports.exports import EXPORTERS, ReportFilters
from strategy.models import Territory
from tests.factories import ActorFactory, CommitmentFactory, TerritoryFactory


@pytest.fixture
def forum(db):
    load_forum()


@pytest.fixture
def chain(db):
    """Four levels: a region, a département in it, an EPCI in that, a fourth level below."""
    region = TerritoryFactory(level=Territory.Level.REGION, slug="region-test")
    departement = TerritoryFactory(parent=region, slug="departement-test")
    epci = TerritoryFactory(level=Territory.Level.EPCI, parent=departement, slug="epci-test")
    below = TerritoryFactory(level=Territory.Level.EPCI, parent=epci, slug="sous-epci-test")
    elsewhere = TerritoryFactory(slug="ailleurs-test")
    return region, departement, epci, below, elsewhere


def test_within_gives_the_territory_and_all_it_contains_at_any_depth(chain):
    region, departement, epci, below, elsewhere = chain
    assert set(Territory.objects.within(region)) == {region, departement, epci, below}
    assert set(Territory.objects.within(epci)) == {epci, below}
    assert set(Territory.objects.within(elsewhere)) == {elsewhere}


def test_commitments_of_a_territory_include_those_of_any_depth_below(chain):
    region, departement, epci, below, elsewhere = chain
    inside = {CommitmentFactory(territory=t).pk for t in (region, departement, epci, below)}
    CommitmentFactory(territory=elsewhere)
    assert set(Commitment.objects.in_territory(region).values_list("pk", flat=True)) == inside


def test_actors_of_a_territory_include_those_of_any_depth_below(chain):
    region, departement, epci, below, elsewhere = chain
    inside = {ActorFactory(territory=t).pk for t in (region, departement, epci, below)}
    ActorFactory(territory=elsewhere)
    found = Actor.objects.filtered(territory=region).values_list("pk", flat=True)
    assert set(found) == inside


def test_the_directory_filtered_by_the_region_lists_the_metropole_europeenne_de_lille(
    client, forum
):
    response = client.get("/acteurs/", {"territory": "hauts-de-france"})
    assert response.status_code == 200
    # The link to its page, not the name, which the territory filter's options also show.
    assert 'href="/acteurs/metropole-europeenne-de-lille/"' in response.content.decode()


def test_the_actors_export_filtered_by_the_region_includes_the_metropole(forum):
    region = Territory.objects.get(slug="hauts-de-france")
    exporter = EXPORTERS["acteurs"]
    names = {row["name"] for row in exporter.queryset(ReportFilters(territory=region)).values()}
    assert "Métropole Européenne de Lille" in names
    assert names == set(Actor.objects.exclude(territory=None).values_list("name", flat=True))
