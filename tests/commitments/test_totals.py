"""Commitment.objects.totals(): planned, delivered and rate per grouping and per unit."""

from decimal import Decimal

import pytest

from commitments.models import Commitment
from strategy.units import Unit
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    IssueFactory,
    MeasureFactory,
    TerritoryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    """Two issues, three measures in two units, two actors, two territories, two years."""
    shelter, education = IssueFactory(name="Urgence"), IssueFactory(name="Éducation")
    places = MeasureFactory(issue=shelter, unit=Unit.PLACES)
    vouchers = MeasureFactory(issue=shelter, unit=Unit.EUROS)
    schools = MeasureFactory(issue=education, unit=Unit.EUROS)
    nord, somme = TerritoryFactory(name="Nord"), TerritoryFactory(name="Somme")
    a, b = ActorFactory(territory=nord), ActorFactory(territory=somme)
    rows = [
        (a, places, nord, 2020, 3000, 3000, Commitment.Status.COMPLETED),
        (a, vouchers, nord, 2020, 1_500_000, 1_000_000, Commitment.Status.IN_PROGRESS),
        (b, vouchers, somme, 2021, 500_000, 0, Commitment.Status.PLANNED),
        (b, schools, somme, 2021, 200_000, 50_000, Commitment.Status.IN_PROGRESS),
        (b, places, somme, 2021, 999, 10, Commitment.Status.CANCELLED),
    ]
    for actor, measure, territory, year, planned, delivered, status in rows:
        CommitmentFactory(
            actor=actor,
            measure=measure,
            territory=territory,
            year=year,
            planned_amount=Decimal(planned),
            delivered_amount=Decimal(delivered),
            status=status,
        )
    return {
        "shelter": shelter,
        "education": education,
        "a": a,
        "b": b,
        "nord": nord,
        "places": places,
        "vouchers": vouchers,
    }


def test_overall_totals_are_per_unit_and_never_add_euros_to_places(setting):
    rows = Commitment.objects.totals()
    assert [(r["unit"], r["planned"], r["delivered"]) for r in rows] == [
        ("euros", Decimal(2_200_000), Decimal(1_050_000)),
        ("places", Decimal(3000), Decimal(3000)),
    ]


def test_cancelled_commitments_are_not_counted(setting):
    places = [r for r in Commitment.objects.totals() if r["unit"] == Unit.PLACES][0]
    assert places["planned"] == Decimal(3000)
    assert places["count"] == 1


def test_rate_is_delivered_over_planned(setting):
    rows = {r["unit"]: r["rate"] for r in Commitment.objects.totals()}
    assert rows == {"euros": Decimal("0.4773"), "places": Decimal(1)}


def test_rate_is_undefined_when_nothing_was_planned():
    CommitmentFactory(planned_amount=Decimal(0))
    assert Commitment.objects.totals()[0]["rate"] is None


def test_grouping_by_issue(setting):
    rows = Commitment.objects.totals("issue")
    assert [(r["issue_id"], r["unit"], r["planned"]) for r in rows] == [
        (setting["shelter"].pk, "euros", Decimal(2_000_000)),
        (setting["shelter"].pk, "places", Decimal(3000)),
        (setting["education"].pk, "euros", Decimal(200_000)),
    ]


def test_grouping_by_actor_and_year(setting):
    rows = Commitment.objects.totals("actor", "year")
    assert [(r["actor_id"], r["year"], r["unit"], r["delivered"]) for r in rows] == [
        (setting["a"].pk, 2020, "euros", Decimal(1_000_000)),
        (setting["a"].pk, 2020, "places", Decimal(3000)),
        (setting["b"].pk, 2021, "euros", Decimal(50_000)),
    ]


def test_grouping_by_measure_and_territory(setting):
    rows = Commitment.objects.filter(territory=setting["nord"]).totals("measure", "territory")
    assert {(r["measure_id"], r["territory_id"]) for r in rows} == {
        (setting["places"].pk, setting["nord"].pk),
        (setting["vouchers"].pk, setting["nord"].pk),
    }


def test_totals_follow_earlier_filters(setting):
    rows = Commitment.objects.filter(actor=setting["b"]).totals()
    assert [(r["unit"], r["planned"]) for r in rows] == [("euros", Decimal(700_000))]


def test_totals_take_one_query(setting, django_assert_num_queries):
    with django_assert_num_queries(1):
        Commitment.objects.totals("issue", "measure", "actor", "territory", "year")


def test_an_unknown_grouping_is_a_programming_error():
    with pytest.raises(ValueError, match="colour"):
        Commitment.objects.totals("colour")


def test_totals_and_count_give_the_totals_and_the_count_with_cancelled_ones(setting):
    for rows in (
        Commitment.objects.all(),
        Commitment.objects.filter(actor=setting["b"]),
        # Only a cancelled commitment in places: no places row, but it is counted.
        Commitment.objects.filter(actor=setting["b"], measure=setting["places"]),
        Commitment.objects.filter(year=1999),
        Commitment.objects.none(),
    ):
        assert rows.totals_and_count() == (rows.totals(), rows.count())
    assert Commitment.objects.totals_and_count("actor", "year") == (
        Commitment.objects.totals("actor", "year"),
        5,
    )


def test_totals_and_count_refuse_an_unknown_grouping(setting):
    with pytest.raises(ValueError, match="Unknown grouping: district"):
        Commitment.objects.totals_and_count("district")
