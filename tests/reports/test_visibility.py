"""Reports say what they count: a `public` column and a visibility filter (public / all)."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from actors.models import Actor
from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports.exports import EXPORTERS, ReportFilters
from reports.imports import ActorImporter
from strategy.models import Measure, Territory
from tests.factories import ActorFactory, CommitmentFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden():
    """The press release's facts, plus one commitment that is not public and one cancelled."""
    load_forum()
    measure = Measure.objects.get(slug="cheques-urgence-alimentaires")
    nord = Territory.objects.get(slug="nord")
    actor = ActorFactory(name="Association discrète", slug="discrete", territory=nord)
    hidden = CommitmentFactory(
        actor=actor,
        measure=measure,
        territory=nord,
        year=2020,
        planned_amount=40_000,
        is_public=False,
    )
    CommitmentFactory(
        actor=actor,
        measure=measure,
        territory=nord,
        year=2020,
        planned_amount=7_000,
        status=Commitment.Status.CANCELLED,
    )
    return hidden


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def rows(client, name, **filters):
    response = client.get(reverse("reports:csv", args=[name]), {"dialect": "csv", **filters})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def euros(records, column):
    return sum(Decimal(r[column]) for r in records if r["unite"] == "euros")


def test_the_public_synthesis_equals_the_dashboard_and_all_counts_the_hidden_one(
    manager_client, hidden, client
):
    public = rows(manager_client, "synthese", visibility="public", year="2020")
    everything = rows(manager_client, "synthese", year="2020")
    dashboard = {r["unit"]: r["planned"] for r in client.get("/?year=2020").context["overall"]}
    assert euros(public, "prevu") == dashboard["euros"]
    assert euros(everything, "prevu") == dashboard["euros"] + Decimal(40_000)
    assert {r["public"] for r in public} == {"oui"}
    assert {r["public"] for r in everything} == {"oui", "non"}


def test_every_commitment_report_has_a_public_column_and_follows_visibility(manager_client, hidden):
    for name in ("engagements", "realisations", "synthese"):
        assert "public" in EXPORTERS[name].headers, name
    engagements = rows(manager_client, "engagements", visibility="public")
    assert str(hidden.pk) not in {r["id"] for r in engagements}
    assert {r["public"] for r in engagements} == {"oui"}
    everything = rows(manager_client, "engagements", visibility="all")
    assert {r["public"] for r in everything if r["id"] == str(hidden.pk)} == {"non"}
    hidden.report_delivery(amount=Decimal(10), date=hidden.created_at.date(), by=None)
    deliveries = rows(manager_client, "realisations")
    assert [r["public"] for r in deliveries if r["engagement_id"] == str(hidden.pk)] == ["non"]
    assert not [
        r
        for r in rows(manager_client, "realisations", visibility="public")
        if r["engagement_id"] == str(hidden.pk)
    ]


def test_the_actors_report_counts_commitments_per_visibility(manager_client, hidden):
    def count(**filters):
        records = rows(manager_client, "acteurs", **filters)
        return {r["slug"]: r["nombre_engagements"] for r in records}["discrete"]

    assert count() == "1"  # the cancelled one is not counted
    assert count(visibility="public") == "0"
    assert "secteur_public" in EXPORTERS["acteurs"].headers
    assert "public" not in EXPORTERS["acteurs"].headers


def test_an_actors_file_from_before_the_rename_still_imports(hidden):
    exporter = EXPORTERS["acteurs"]
    content = "".join(exporter.csv_chunks(exporter.queryset(ReportFilters()), "csv"))
    old = content.replace("secteur_public", "public", 1).replace(
        "Association discrète,discrete,Association,non",
        "Association discrète,discrete,Association,oui",
    )
    assert old != content.replace("secteur_public", "public", 1)
    plan = ActorImporter().plan(old.encode())
    assert plan.errors == []
    assert [row.changes for row in plan.of("update")] == [["is_public_sector"]]
    ActorImporter().apply(plan, by=None)
    assert Actor.objects.get(slug="discrete").is_public_sector is True


def test_the_reports_page_says_what_each_report_counts(manager_client, hidden):
    page = text_of(manager_client.get("/rapports/"))
    assert "Ces rapports comptent tous les engagements, publics ou non" in page
    for exporter in EXPORTERS.values():
        assert exporter.counts and exporter.counts in page
    public = text_of(manager_client.get("/rapports/", {"visibility": "public"}))
    assert "Ces rapports ne comptent que les engagements publics" in public
    assert (
        "visibility=public"
        in manager_client.get("/rapports/", {"visibility": "public"}).content.decode()
    )


def test_an_unknown_visibility_gets_a_french_message_and_no_file(manager_client, hidden):
    page = manager_client.get("/rapports/", {"visibility": "tout"})
    assert page.status_code == 400
    assert "Visibilité" in text_of(page)
    download = manager_client.get(reverse("reports:csv", args=["synthese"]), {"visibility": "x"})
    assert download.status_code == 400
    assert "Visibilité" in download.content.decode()


def test_a_bad_request_for_a_report_is_plain_text_read_as_written(manager_client, hidden):
    response = manager_client.get(
        reverse("reports:csv", args=["synthese"]), {"status": "<b>zzz</b>"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    text = response.content.decode()
    assert "Statut de l'engagement" in text
    assert "&#x27;" not in text
