"""Reports: four exporters, CSV in two dialects and XLSX, for managers and staff only."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from commitments.models import Commitment, Delivery
from datasets.forum_2020 import load_forum
from reports.exports import PERMISSION
from strategy.models import Measure
from tests.factories import ActorFactory, CommitmentFactory, MembershipFactory, UserFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

REPORTS = ["engagements", "realisations", "synthese", "acteurs"]
HEADERS = {
    "engagements": "id enjeu mesure unite acteur acteur_slug type_acteur territoire "
    "code_territoire annee intitule description statut note_cloture public prevu realise "
    "taux_realisation",
    "realisations": "id engagement_id intitule_engagement enjeu mesure unite acteur type_acteur "
    "territoire annee public date montant statut commentaire declaree_par declaree_le examinee_par "
    "examinee_le motif_renvoi",
    "synthese": "enjeu mesure territoire echelon annee public unite nombre_engagements prevu "
    "realise taux_realisation",
    "acteurs": "id nom slug type_acteur secteur_public institutionnel territoire "
    "code_territoire siret site_internet courriel description nombre_engagements",
}


def today():
    """The date in the file names: the prefecture's day (Europe/Paris), not the machine's;
    asked when the test runs, not when the module is imported."""
    return f"{timezone.localdate():%Y-%m-%d}"


@pytest.fixture
def data():
    load_forum()
    measure = Measure.objects.get(slug="cheques-urgence-alimentaires")
    actor = ActorFactory(name='=HYPERLINK("http://pirate")', slug="pirate")
    commitment = CommitmentFactory(
        actor=actor,
        measure=measure,
        territory=actor.territory,
        year=2021,
        title="-2 € de plus",
        planned_amount=Decimal("1234.50"),
        is_public=False,
    )
    delivery = commitment.report_delivery(
        amount=Decimal("100.25"),
        date=datetime.date(2021, 3, 4),
        comment="@somme",
        by=UserFactory(username="referent"),
    )
    delivery.validate(by=UserFactory(username="agent-validation"))
    return commitment


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def get_csv(client, name, dialect="excel", **filters):
    response = client.get(reverse("reports:csv", args=[name]), {"dialect": dialect, **filters})
    assert response.status_code == 200, response.content
    content = b"".join(response.streaming_content)
    return response, content


def parse(content, dialect):
    text = content.decode("utf-8")
    if dialect == "excel":
        assert text.startswith("\ufeff")
        text = text[1:]
    else:
        assert not text.startswith("\ufeff")
    return list(
        csv.reader(io.StringIO(text, newline=""), delimiter=";" if dialect == "excel" else ",")
    )


@pytest.mark.parametrize("dialect", ["excel", "csv"])
@pytest.mark.parametrize("name", REPORTS)
def test_each_report_has_its_headers_and_a_dated_file_name(manager_client, data, name, dialect):
    response, content = get_csv(manager_client, name, dialect)
    rows = parse(content, dialect)
    assert rows[0] == HEADERS[name].split()
    assert len(rows) > 1
    assert f'filename="{name}_{today()}.csv"' in response["Content-Disposition"]
    assert b"\r\n" in content


def test_the_excel_dialect_writes_french_numbers_and_dates(manager_client, data):
    rows = parse(get_csv(manager_client, "realisations", "excel")[1], "excel")
    header, row = rows[0], {r[0]: r for r in rows[1:]}[str(data.deliveries.get().pk)]
    record = dict(zip(header, row, strict=True))
    assert record["montant"] == "100,25"
    assert record["date"] == "04/03/2021"
    assert record["statut"] == "Validée"
    assert record["examinee_par"] == "agent-validation"
    assert record["commentaire"] == "'@somme"


def test_the_csv_dialect_writes_points_and_iso_dates(manager_client, data):
    rows = parse(get_csv(manager_client, "engagements", "csv")[1], "csv")
    record = dict(zip(rows[0], [r for r in rows if r[0] == str(data.pk)][0], strict=True))
    assert record["prevu"] == "1234.50"
    assert record["realise"] == "100.25"
    assert record["taux_realisation"] == "0.0812"
    assert record["public"] == "non"
    assert record["intitule"] == "'-2 € de plus"
    assert record["acteur"] == '\'=HYPERLINK("http://pirate")'
    rows = parse(get_csv(manager_client, "realisations", "csv")[1], "csv")
    record = dict(zip(rows[0], [r for r in rows if r[1] == str(data.pk)][0], strict=True))
    assert record["date"] == "2021-03-04"
    assert record["public"] == "non"


def test_engagements_values_match_the_database(manager_client, data):
    rows = parse(get_csv(manager_client, "engagements", "csv")[1], "csv")
    assert len(rows) - 1 == Commitment.objects.count()
    assert [int(r[0]) for r in rows[1:]] == sorted(Commitment.objects.values_list("pk", flat=True))
    planned = rows[0].index("prevu")
    total = sum(Decimal(r[planned]) for r in rows[1:] if r[3] == "euros" and r[12] != "Annulé")
    assert total == Decimal("32300000") + Decimal("1234.50")


def test_synthese_sums_per_unit_and_group(manager_client, data):
    rows = parse(get_csv(manager_client, "synthese", "csv", year="2019")[1], "csv")
    assert rows[1:] == [
        [
            "Leviers transversaux",
            "Contractualisation État – départements",
            "Hauts-de-France",
            "Échelon régional",
            "2019",
            "oui",
            "euros",
            "1",
            "10000000.00",
            "10000000.00",
            "1.0000",
        ]
    ]


def test_filters_apply_to_every_report(manager_client, data):
    rows = parse(get_csv(manager_client, "engagements", "csv", year="2021")[1], "csv")
    assert [r[0] for r in rows[1:]] == [str(data.pk)]
    rows = parse(get_csv(manager_client, "realisations", "csv", issue="enjeu-insertion")[1], "csv")
    assert rows[1:] == []
    rows = parse(get_csv(manager_client, "acteurs", "csv", actor_kind="departement")[1], "csv")
    assert len(rows) - 1 == 5
    rows = parse(get_csv(manager_client, "engagements", "csv", status="completed")[1], "csv")
    assert {r[12] for r in rows[1:]} == {"Réalisé"}


@pytest.mark.parametrize("name", REPORTS)
def test_each_report_as_xlsx_keeps_numbers_as_numbers_and_defuses_text(manager_client, data, name):
    response = manager_client.get(reverse("reports:xlsx", args=[name]))
    assert response.status_code == 200
    assert f"{name}_{today()}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADERS[name].split()
    if name == "engagements":
        record = dict(zip(rows[0], [r for r in rows if r[0] == data.pk][0], strict=True))
        assert record["prevu"] == 1234.5
        assert record["acteur"] == '\'=HYPERLINK("http://pirate")'
        assert record["intitule"] == "'-2 € de plus"
    if name == "realisations":
        date = rows[0].index("date")
        assert any(isinstance(r[date], datetime.datetime) for r in rows[1:])


@pytest.mark.parametrize(
    "query",
    [
        {"territory": "999999"},
        {"year": "abc"},
        {"issue": "inconnu"},
        {"status": "fini"},
        {"actor_kind": "martien"},
        {"dialect": "tableur"},
    ],
)
def test_unknown_filter_values_get_a_400_with_a_french_message(manager_client, data, query):
    response = manager_client.get(reverse("reports:csv", args=["engagements"]), query)
    assert response.status_code == 400
    assert "Requête invalide" in response.content.decode()


def test_an_unknown_report_is_a_404(manager_client):
    assert manager_client.get("/rapports/inconnu.csv").status_code == 404


@pytest.mark.parametrize(
    "address", ["/rapports/", "/rapports/engagements.csv", "/rapports/acteurs.xlsx"]
)
def test_anonymous_visitors_and_contacts_are_refused(client, contact_a, address):
    response = client.get(address)
    assert response.status_code == 302 and "/comptes/connexion/" in response["Location"]
    client.force_login(contact_a)
    response = client.get(address)
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_the_reports_page_counts_rows_and_links_with_the_filters(manager_client, data):
    page = manager_client.get("/rapports/", {"year": "2019"}).content.decode()
    assert "/rapports/engagements.csv?dialect=excel&amp;year=2019" in page
    response = manager_client.get("/rapports/", {"year": "2019"})
    counts = {r["exporter"].name: r["count"] for r in response.context["reports"]}
    assert counts == {"engagements": 1, "realisations": 1, "synthese": 1, "acteurs": 10}


def test_the_reports_page_refuses_bad_filters_with_a_message(manager_client):
    response = manager_client.get("/rapports/", {"territory": "atlantide"})
    assert response.status_code == 400
    assert "Certains filtres ne sont pas valides" in response.content.decode()


def test_staff_may_download_reports(staff_client, data):
    assert staff_client.get("/rapports/engagements.csv").status_code == 200


# Session, user, permissions, the user's territory, the COUNT that decides whether the
# file is built in the background (reports/builds.py), then the report's own: one
# statement for the rows, whether a server-side cursor (Python writer) or a COPY
# (every report on PostgreSQL); synthese first reads the measures (with their issues) and
# the territories that its names, order and areas are made of.
PINNED_DOWNLOADS = {"engagements": 7, "realisations": 7, "synthese": 9, "acteurs": 7}


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
@pytest.mark.parametrize("name", REPORTS)
def test_report_query_counts_are_pinned_and_do_not_grow_with_rows(
    manager_client, data, name, extension
):
    small = count_queries(manager_client, reverse(f"reports:{extension}", args=[name]))
    for _ in range(30):
        commitment = CommitmentFactory(measure=data.measure, year=2021)
        commitment.report_delivery(amount=Decimal(1), date=datetime.date(2021, 5, 5), by=None)
    large = count_queries(manager_client, reverse(f"reports:{extension}", args=[name]))
    assert (small, large) == (PINNED_DOWNLOADS[name], PINNED_DOWNLOADS[name])


def test_the_admin_exports_the_selection(staff_client, data):
    response = staff_client.post(
        reverse("admin:commitments_commitment_changelist"),
        {"action": "export_selection", "_selected_action": [data.pk]},
    )
    rows = parse(b"".join(response.streaming_content), "excel")
    assert [r[0] for r in rows[1:]] == [str(data.pk)]
    for name, model in (("actors_actor", "acteurs"), ("commitments_delivery", "realisations")):
        pk = data.actor.pk if model == "acteurs" else data.deliveries.get().pk
        response = staff_client.post(
            reverse(f"admin:{name}_changelist"),
            {"action": "export_selection", "_selected_action": [pk]},
        )
        assert len(parse(b"".join(response.streaming_content), "excel")) == 2


def test_a_contact_without_export_permission_has_no_export_action(client, data):
    # A real actor contact: not staff, referent of the actor, no export permission.
    contact = MembershipFactory(actor=data.actor, user=UserFactory(username="referent-pirate")).user
    assert not contact.is_staff and not contact.has_perm(PERMISSION)
    assert data in Commitment.objects.for_user(contact)
    client.force_login(contact)
    admin_login = reverse("admin:login")
    changelist = reverse("admin:commitments_commitment_changelist")
    response = client.get(changelist)
    assert response.status_code == 302 and response["Location"].startswith(admin_login)
    response = client.post(
        changelist, {"action": "export_selection", "_selected_action": [data.pk]}
    )
    assert response.status_code == 302 and response["Location"].startswith(admin_login)
    assert not response.streaming
    for address in ("/rapports/engagements.csv", "/rapports/engagements.xlsx", "/rapports/"):
        response = client.get(address, {"actor": data.actor.slug})
        assert response.status_code == 403, address
        assert "Accès refusé" in response.content.decode()


def test_staff_without_export_permission_have_no_export_action(client, data):
    user = UserFactory(username="lecteur", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_commitment"))
    client.force_login(user)
    response = client.get(reverse("admin:commitments_commitment_changelist"))
    assert response.status_code == 200
    assert "export_selection" not in response.content.decode()


def test_the_command_writes_the_same_report(tmp_path, data):
    target = tmp_path / "engagements.csv"
    call_command(
        "export_report",
        "engagements",
        "--dialect",
        "csv",
        "--year",
        "2021",
        "--output",
        str(target),
    )
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert rows[0] == HEADERS["engagements"].split()
    assert [r[0] for r in rows[1:]] == [str(data.pk)]
    call_command("export_report", "acteurs", "--output", str(tmp_path / "acteurs.xlsx"))
    assert load_workbook(tmp_path / "acteurs.xlsx").active.max_row == 11


def test_cancelled_commitments_are_in_engagements_but_not_in_synthese(manager_client, data):
    Commitment.objects.filter(pk=data.pk).update(status="cancelled")
    rows = parse(get_csv(manager_client, "engagements", "csv", year="2021")[1], "csv")
    assert rows[1][12] == "Annulé"
    rows = parse(get_csv(manager_client, "synthese", "csv", year="2021")[1], "csv")
    assert rows[1:] == []
    assert Delivery.objects.filter(commitment=data).exists()
