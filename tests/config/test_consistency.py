"""Every figure means one thing: with the demo loaded and the same filters, the dashboard,
the issue, measure and actor pages, the synthesis and engagements reports (public), the
admin's totals and the API's (/api/v1/totaux/, its measures and actors) give the same
planned and delivered per unit, to the cent.

`pytest -s tests/config/test_consistency.py` prints the table compared for each filter.
"""

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from actors.models import Actor
from commitments.models import Commitment, delivery_rate
from reports.exports import UNITS
from strategy.models import Issue, Measure, Territory
from strategy.units import format_amount
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

UNIT_OF_LABEL = {str(label): code for code, label in UNITS}

# name: (dashboard and issue page parameters, the other filters); None: not filterable there.
FILTERS = {
    "aucun filtre": {},
    "année 2021": {"year": 2021},
    "département du Nord": {"territory": "nord"},
    "région Hauts-de-France": {"territory": "hauts-de-france"},
    "enjeu Urgence sociale": {"issue": "urgence-sociale"},
    "acteurs de type Association": {"actor_kind": Actor.Kind.ASSOCIATION},
}


def figures(rows, unit="unit", planned="planned", delivered="delivered"):
    """{unit: (planned, delivered)} summed over rows, to the cent."""
    sums = defaultdict(lambda: (Decimal(0), Decimal(0)))
    for row in rows:
        before = sums[row[unit]]
        sums[row[unit]] = (before[0] + Decimal(row[planned]), before[1] + Decimal(row[delivered]))
    return {
        key: (p.quantize(Decimal("0.01")), d.quantize(Decimal("0.01")))
        for key, (p, d) in sums.items()
        if p or d
    }


def shown(response, rows):
    """The rows, after checking that the page writes each of their figures: what the
    context holds is what the reader sees."""
    page = text_of(response)
    for row in rows:
        for figure in ("planned", "delivered"):
            written = format_amount(row[figure], row["unit"]).replace("\N{NO-BREAK SPACE}", " ")
            assert written in page, (response.request["PATH_INFO"], written)
    return rows


def dashboard(client, filters):
    if "actor_kind" in filters:
        return None
    response = client.get("/", filters)
    return figures(shown(response, response.context["overall"]))


def issue_pages(client, filters):
    if "actor_kind" in filters:
        return None
    issues = Issue.objects.filter(slug=filters["issue"]) if "issue" in filters else Issue.objects
    params = {k: v for k, v in filters.items() if k != "issue"}
    rows, area_totals = [], []
    for issue in issues.all():
        response = client.get(issue.get_absolute_url(), params)
        assert response.status_code == 200
        rows += shown(
            response,
            [row for measure in response.context["measures"] for row in measure.unit_totals],
        )
        area_totals += shown(response, [table["total"] for table in response.context["by_area"]])
    by_measure = figures(rows)
    assert figures(area_totals) == by_measure  # the breakdown by territory adds up
    return by_measure


def measure_pages(client, filters):
    if set(filters) - {"issue"}:
        return None  # the measure pages have no filter
    measures = Measure.objects.all()
    if "issue" in filters:
        measures = measures.filter(issue__slug=filters["issue"])
    rows = []
    for measure in measures:
        response = client.get(measure.get_absolute_url())
        rows += shown(response, response.context["totals"])
    return figures(rows)


def actor_pages(client, filters):
    if set(filters) - {"actor_kind"}:
        return None  # the actor pages have no filter
    actors = Actor.objects.all()
    if "actor_kind" in filters:
        actors = actors.filter(kind=filters["actor_kind"])
    rows = []
    for actor in actors:
        response = client.get(actor.get_absolute_url())
        rows += shown(response, response.context["totals"])
    return figures(rows)


def api_totals(client, filters):
    """The API's totals with the dashboard's filters; its rates are checked against the
    one rule too."""
    if "actor_kind" in filters:
        return None
    response = client.get("/api/v1/totaux/", filters)
    assert response.status_code == 200, response.content
    rows = response.json()["rows"]
    for row in rows:
        assert row["rate"] == str(delivery_rate(Decimal(row["planned"]), Decimal(row["delivered"])))
    return figures(rows)


def api_details(client, filters):
    """The API's measures (filtered by issue) or actors (by kind), each with its totals."""
    if set(filters) - {"issue", "actor_kind"} or not filters:
        return None
    if "issue" in filters:
        listed = client.get("/api/v1/mesures/", {"issue": filters["issue"], "limit": 100})
        address = "/api/v1/mesures/{}/"
    else:
        listed = client.get("/api/v1/acteurs/", {"kind": filters["actor_kind"], "limit": 100})
        address = "/api/v1/acteurs/{}/"
    page = listed.json()
    assert page["next"] is None
    rows = []
    for item in page["results"]:
        rows += client.get(address.format(item["slug"])).json()["totals"]
    return figures(rows)


def report(manager_client, name, filters):
    response = manager_client.get(
        reverse("reports:csv", args=[name]), {"dialect": "csv", "visibility": "public", **filters}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {record["public"] for record in records} <= {"oui"}
    for record in records:
        record["unite"] = UNIT_OF_LABEL[record["unite"]]
    return records


def synthesis(manager_client, filters):
    return figures(report(manager_client, "synthese", filters), "unite", "prevu", "realise")


def engagements(manager_client, filters):
    records = [r for r in report(manager_client, "engagements", filters) if r["statut"] != "Annulé"]
    return figures(records, "unite", "prevu", "realise")


def admin_totals(staff_client, filters):
    params = {"is_public__exact": "1"}
    if "year" in filters:
        params["year"] = filters["year"]
    if "territory" in filters:
        params["territory"] = Territory.objects.get(slug=filters["territory"]).pk
    if "issue" in filters:
        params["measure__issue__id__exact"] = Issue.objects.get(slug=filters["issue"]).pk
    if "actor_kind" in filters:
        params["actor__kind__exact"] = filters["actor_kind"]
    response = staff_client.get("/admin/commitments/commitment/", params)
    assert response.status_code == 200
    assert "?e=1" not in response.get("Location", "")
    return figures(shown(response, response.context["cl"].unit_totals))


def expected(filters):
    """The figure straight from the QuerySet, the one definition everyone should follow."""
    commitments = Commitment.objects.public().filtered(
        year=filters.get("year"),
        territory=Territory.objects.filter(slug=filters.get("territory")).first(),
        issue=Issue.objects.filter(slug=filters.get("issue")).first(),
    )
    if "actor_kind" in filters:
        commitments = commitments.filter(actor__kind=filters["actor_kind"])
    return figures(commitments.totals())


@pytest.mark.parametrize("name", FILTERS)
def test_every_place_gives_the_same_figures_for_the_same_filters(
    demo, client, staff_client, manager, name
):
    filters = FILTERS[name]
    manager_client = Client()
    manager_client.force_login(manager)
    places = {
        "tableau de bord": dashboard(client, filters),
        "pages des enjeux": issue_pages(client, filters),
        "pages des mesures": measure_pages(client, filters),
        "pages des acteurs": actor_pages(client, filters),
        "rapport synthese (public)": synthesis(manager_client, filters),
        "rapport engagements (public, non annulés)": engagements(manager_client, filters),
        "administration": admin_totals(staff_client, filters),
        "API, totaux": api_totals(Client(), filters),
        "API, mesures ou acteurs": api_details(Client(), filters),
    }
    reference = expected(filters)
    assert reference, "the demo has figures for every filter"
    print(f"\n## {name}")
    for unit, (planned, delivered) in sorted(reference.items()):
        print(f"  {unit:<10} prévu {planned:>15}  réalisé {delivered:>15}")
    compared = {place: found for place, found in places.items() if found is not None}
    for place, found in compared.items():
        print(f"  {place}: {'identique' if found == reference else found}")
    assert compared == dict.fromkeys(compared, reference)
    assert len(compared) >= 4
