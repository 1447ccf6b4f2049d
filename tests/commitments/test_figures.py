"""One definition per figure: the rounding rule of rates and a territory's figures."""

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from commitments.models import Commitment, delivery_rate
from reports.exports import Rate
from strategy.models import Territory
from strategy.units import Unit, format_rate
from tests import factories
from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    IssueFactory,
    MeasureFactory,
    TerritoryFactory,
)
from tests.helpers import count_queries, postgresql_only, text_of

pytestmark = pytest.mark.django_db

# (planned, delivered, rate): ties at the fifth place round up.
TIES = [
    ("32", "1", "0.0313"),  # 0.03125
    ("8", "1", "0.1250"),
    ("160000", "5", "0.0000"),  # 0.00003125
    ("20000", "1", "0.0001"),  # 0.00005
    ("3", "2", "0.6667"),
    ("209", "228", "1.0909"),
    ("0.03", "0.01", "0.3333"),
    ("999999999999.99", "0.01", "0.0000"),
    ("0", "5", None),
]


@pytest.mark.parametrize(("planned", "delivered", "expected"), TIES)
def test_a_rate_rounds_half_up_to_four_places(planned, delivered, expected):
    rate = delivery_rate(Decimal(planned), Decimal(delivered))
    assert rate == (Decimal(expected) if expected else None)


@pytest.mark.parametrize(
    ("rate", "written"),
    [("0.125", "13 %"), ("0.0050", "1 %"), ("0.0049", "0 %"), ("1.0350", "104 %"), ("0.5", "50 %")],
)
def test_a_percentage_rounds_half_up(rate, written):
    assert format_rate(Decimal(rate)) == written.replace(" ", "\N{NO-BREAK SPACE}")


@postgresql_only("the SQL writer of reports runs on PostgreSQL only")
def test_the_database_rounds_rates_as_python_does():
    measure = MeasureFactory(unit=Unit.EUROS)
    pairs = [(Decimal(p), Decimal(d)) for p, d, _ in TIES]
    pairs += [(Decimal(p), Decimal(d)) for p in range(1, 60) for d in range(0, 70, 7)]
    for planned, delivered in pairs:
        commitment = CommitmentFactory(measure=measure, planned_amount=planned)
        Commitment.objects.filter(pk=commitment.pk).update(delivered_amount=delivered)
    rates = Commitment.objects.annotate(
        sql_rate=Rate("planned_amount", "delivered_amount").expression()
    ).values_list("planned_amount", "delivered_amount", "sql_rate")
    differences = [
        (planned, delivered, sql_rate)
        for planned, delivered, sql_rate in rates
        if sql_rate != delivery_rate(planned, delivered)
    ]
    assert len(rates) == len(pairs)
    assert differences == []


def test_reports_and_totals_give_the_same_rate_for_a_tie(client, manager):
    CommitmentFactory(measure=MeasureFactory(unit=Unit.PLACES), planned_amount=32)
    commitment = Commitment.objects.get()
    Commitment.objects.filter(pk=commitment.pk).update(delivered_amount=1)
    client.force_login(manager)
    written = {}
    for report in ("engagements", "synthese"):
        response = client.get(reverse("reports:csv", args=[report]), {"dialect": "csv"})
        lines = b"".join(response.streaming_content).decode().splitlines()
        header = lines[0].split(",")
        written[report] = lines[1].split(",")[header.index("taux_realisation")]
    assert written == {"engagements": "0.0313", "synthese": "0.0313"}
    assert Commitment.objects.totals()[0]["rate"] == Decimal("0.0313")


@pytest.fixture
def region():
    """Hauts-de-France > Nord > Métropole, and Somme; commitments at every level."""
    region = factories.region()  # the regional team's territory, made once
    nord = TerritoryFactory(name="Nord", slug="nord", parent=region)
    somme = TerritoryFactory(name="Somme", slug="somme", parent=region)
    metropole = TerritoryFactory(
        name="Métropole", slug="metropole", parent=nord, level=Territory.Level.EPCI
    )
    issue = IssueFactory(slug="urgence", name="Urgence sociale")
    euros = MeasureFactory(issue=issue, unit=Unit.EUROS)
    places = MeasureFactory(issue=issue, unit=Unit.PLACES)
    actor = ActorFactory(territory=region)
    rows = [
        (euros, region, 1_500_000, 1_500_000, "completed"),
        (euros, nord, 200_000, 50_000, "in_progress"),
        (euros, metropole, 100_000, 25_000, "in_progress"),
        (euros, somme, 300_000, 0, "planned"),
        (euros, somme, 999_999, 0, "cancelled"),
        (places, region, 3000, 3000, "completed"),
        (places, metropole, 40, 10, "in_progress"),
    ]
    for measure, territory, planned, delivered, status in rows:
        commitment = CommitmentFactory(
            actor=actor, measure=measure, territory=territory, planned_amount=planned, status=status
        )
        Commitment.objects.filter(pk=commitment.pk).update(delivered_amount=delivered)
    return {"region": region, "nord": nord, "somme": somme, "metropole": metropole}


def _figures(table):
    return {row["label"]: (row["planned"], row["delivered"]) for row in table["rows"]} | {
        "total": (table["total"]["planned"], table["total"]["delivered"])
    }


def test_a_breakdown_of_the_region_has_its_departements_and_the_regional_level_apart(region):
    euros, places = Commitment.objects.totals_by_area()
    assert euros["unit"] == Unit.EUROS and places["unit"] == Unit.PLACES
    assert _figures(euros) == {
        "Nord": (Decimal(300_000), Decimal(75_000)),  # with the métropole it contains
        "Somme": (Decimal(300_000), Decimal(0)),  # without the cancelled commitment
        "Échelon régional": (Decimal(1_500_000), Decimal(1_500_000)),
        "total": (Decimal(2_100_000), Decimal(1_575_000)),
    }
    assert [row["label"] for row in euros["rows"]][-1] == "Échelon régional"
    assert _figures(places) == {
        "Nord": (Decimal(40), Decimal(10)),
        "Échelon régional": (Decimal(3000), Decimal(3000)),
        "total": (Decimal(3040), Decimal(3010)),
    }


def test_a_breakdown_adds_up_to_the_territorys_own_figure_at_any_depth(region):
    for name in ("region", "nord", "somme", "metropole"):
        territory = region[name]
        within = Commitment.objects.in_territory(territory)
        totals = {row["unit"]: (row["planned"], row["delivered"]) for row in within.totals()}
        tables = within.totals_by_area(scope=territory)
        assert {t["unit"]: _figures(t)["total"] for t in tables} == totals, name
        assert all(t["scope"] == territory for t in tables)
    nord = Commitment.objects.in_territory(region["nord"]).totals_by_area(scope=region["nord"])
    assert _figures(nord[0]) == {
        "Métropole": (Decimal(100_000), Decimal(25_000)),
        "Échelon départemental": (Decimal(200_000), Decimal(50_000)),
        "total": (Decimal(300_000), Decimal(75_000)),
    }


def test_the_issue_page_shows_the_breakdown_and_its_total_equals_the_dashboards(client, region):
    page = text_of(client.get("/enjeux/urgence/"))
    assert "Nord 300 000 € 75 000 € 25 %" in page
    assert "Échelon régional 1 500 000 € 1 500 000 € 100 %" in page
    assert "Total Hauts-de-France 2 100 000 € 1 575 000 € 75 %" in page
    assert "Total Hauts-de-France 3 040 places 3 010 places 99 %" in page
    dashboard = client.get("/", {"territory": "hauts-de-france"})
    overall = {row["unit"]: row["planned"] for row in dashboard.context["overall"]}
    assert overall == {Unit.EUROS: Decimal(2_100_000), Unit.PLACES: Decimal(3040)}
    nord = text_of(client.get("/enjeux/urgence/", {"territory": "nord"}))
    assert "Métropole 100 000 € 25 000 € 25 %" in nord
    assert "Échelon départemental 200 000 € 50 000 € 25 %" in nord
    assert "Total Nord 300 000 € 75 000 € 25 %" in nord


def test_the_issue_page_with_its_breakdown_costs_a_fixed_number_of_queries(client, region):
    baseline = count_queries(client, "/enjeux/urgence/")
    for index in range(5):
        TerritoryFactory(parent=region["somme"], level=Territory.Level.EPCI, name=f"EPCI {index}")
    assert count_queries(client, "/enjeux/urgence/?territory=somme") == baseline


def test_issues_are_listed_in_their_position_everywhere(client):
    # Created in neither their position's nor their name's order.
    for position, name in [(2, "Enjeu d'insertion"), (0, "Urgence sociale"), (1, "Enjeu éducatif")]:
        MeasureFactory(issue=IssueFactory(name=name, position=position))
    expected = ["Urgence sociale", "Enjeu éducatif", "Enjeu d'insertion"]
    for address in ("/enjeux/", "/"):
        page = text_of(client.get(address))
        positions = [page.index(name) for name in expected]
        assert positions == sorted(positions), address


def _admin_totals(client, **params):
    response = client.get("/admin/commitments/commitment/", params)
    assert response.status_code == 200
    return response, {
        row["unit"]: (row["planned"], row["delivered"])
        for row in response.context["cl"].unit_totals
    }


def test_the_admin_list_totals_its_filtered_rows_with_territories_at_any_depth(
    staff_client, region
):
    response, totals = _admin_totals(staff_client, territory=region["nord"].pk)
    assert totals == {
        Unit.EUROS: (Decimal(300_000), Decimal(75_000)),  # Nord and its métropole
        Unit.PLACES: (Decimal(40), Decimal(10)),
    }
    page = text_of(response)
    assert "Total des engagements listés, hors engagements annulés (3 engagements comptés)" in page
    assert "300 000 € 75 000 € 25 %" in page
    _, whole = _admin_totals(staff_client, territory=region["region"].pk)
    assert whole == {
        row["unit"]: (row["planned"], row["delivered"]) for row in Commitment.objects.totals()
    }
    _, somme = _admin_totals(staff_client, territory=region["somme"].pk, status="planned")
    assert somme == {Unit.EUROS: (Decimal(300_000), Decimal(0))}


@pytest.mark.parametrize("value", ["abc", "999999", "-1"])
def test_an_unknown_territory_in_the_admin_lists_nothing_and_never_fails(
    staff_client, region, value
):
    response, totals = _admin_totals(staff_client, territory=value)
    assert totals == {}
    assert "Aucun engagement compté." in text_of(response)


def test_only_staff_see_the_admin_totals(client, contact_a, region):
    client.force_login(contact_a)
    response = client.get("/admin/commitments/commitment/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_synthesis_says_in_which_departement_each_row_counts(client, manager, region):
    client.force_login(manager)
    response = client.get(reverse("reports:csv", args=["synthese"]), {"dialect": "csv"})
    text = b"".join(response.streaming_content).decode()
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    by_area = defaultdict(Decimal)
    for record in records:
        if record["unite"] == "euros":
            by_area[record["echelon"]] += Decimal(record["prevu"])
    table = Commitment.objects.totals_by_area()[0]
    assert dict(by_area) == {row["label"]: row["planned"] for row in table["rows"]}
    assert {r["territoire"]: r["echelon"] for r in records}["Métropole"] == "Nord"


def test_a_territory_outside_the_region_is_a_row_of_its_own_not_left_out(region):
    elsewhere = TerritoryFactory(name="Territoire sans parent", slug="ailleurs")
    CommitmentFactory(
        measure=MeasureFactory(unit=Unit.EUROS), territory=elsewhere, planned_amount=10
    )
    euros = Commitment.objects.totals_by_area()[0]
    assert _figures(euros)["Territoire sans parent"] == (Decimal(10), Decimal(0))
    assert _figures(euros)["total"][0] == Commitment.objects.totals()[0]["planned"]


def test_an_empty_breakdown_says_so_and_names_no_level(client, region):
    TerritoryFactory(name="Vide", slug="vide", parent=region["region"])
    page = text_of(client.get("/enjeux/urgence/", {"territory": "vide"}))
    assert "Aucun engagement chiffré pour ces filtres." in page
    assert "Échelon" not in page


def test_an_actors_admin_page_lists_its_commitments_and_links_to_their_totals(staff_client, region):
    actor = Commitment.objects.first().actor
    page = staff_client.get(f"/admin/actors/actor/{actor.pk}/change/")
    text = text_of(page)
    assert "1 500 000 € réalisés sur 1 500 000 € prévus, Réalisé" in text
    assert "10 places réalisées sur 40 places prévues" in text
    listed = staff_client.get(f"/admin/commitments/commitment/?actor__id__exact={actor.pk}")
    assert listed.status_code == 200
    totals = listed.context["cl"].unit_totals
    assert totals == Commitment.objects.filter(actor=actor).totals()
    assert listed.context["cl"].result_count == actor.commitments.count()


def test_the_commitment_list_filters_those_awaiting_review(staff_client, region):
    waiting, other = Commitment.objects.order_by("pk")[:2]
    waiting.report_delivery(amount=Decimal(5), date=datetime.date(2021, 1, 1), by=None)
    listed = staff_client.get("/admin/commitments/commitment/", {"a_examiner": "oui"})
    assert [c.pk for c in listed.context["cl"].result_list] == [waiting.pk]
    rest = staff_client.get("/admin/commitments/commitment/", {"a_examiner": "non"})
    assert waiting.pk not in [c.pk for c in rest.context["cl"].result_list]
    assert other.pk in [c.pk for c in rest.context["cl"].result_list]
