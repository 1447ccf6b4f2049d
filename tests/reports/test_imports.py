"""Import of actors and commitments from the exports' own columns, in the admin."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from actors.models import Actor
from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports.exports import EXPORTERS, ReportFilters
from reports.imports import ActorImporter, CommitmentImporter, ImportFileError

pytestmark = pytest.mark.django_db


@pytest.fixture
def forum():
    load_forum()


def export(name, dialect="excel"):
    exporter = EXPORTERS[name]
    return "".join(exporter.csv_chunks(exporter.queryset(ReportFilters()), dialect)).encode()


def history_counts():
    return Commitment.history.count(), Actor.history.count()


@pytest.mark.parametrize("dialect", ["excel", "csv"])
@pytest.mark.parametrize(
    ("name", "importer"), [("engagements", CommitmentImporter), ("acteurs", ActorImporter)]
)
def test_reimporting_an_unmodified_export_changes_nothing(forum, name, importer, dialect):
    before = history_counts()
    plan = importer().plan(export(name, dialect))
    assert plan.errors == []
    assert plan.counts() == {"create": 0, "update": 0, "unchanged": len(plan.rows)}
    importer().apply(plan, by=None)
    assert history_counts() == before


def test_reimporting_an_xlsx_export_changes_nothing(forum):
    exporter = EXPORTERS["engagements"]
    content = exporter.xlsx(exporter.queryset(ReportFilters())).read()
    plan = CommitmentImporter().plan(content)
    assert plan.errors == []
    assert plan.counts()["unchanged"] == 6


def edit(content, old, new):
    text = content.decode("utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def test_a_changed_amount_is_an_update_and_a_row_without_id_a_creation(forum, staff_agent):
    content = export("engagements", "csv")
    # Lowered, not raised: "Réalisé" below target without a closing note is refused.
    content = edit(content, "3000.00,3000.00", "2500.00,3000.00")
    lines = content.decode().splitlines()
    new = lines[1].split(",", 1)[1].replace("Près de 3 000 places", "Encore 200 places")
    new = new.replace(",Réalisé,", ",Prévu,")  # a new commitment has nothing validated yet
    content = ("\r\n".join([*lines, "," + new]) + "\r\n").encode()
    plan = CommitmentImporter().plan(content)
    assert plan.errors == []
    assert plan.counts() == {"create": 1, "update": 1, "unchanged": 5}
    assert plan.of("update")[0].changes == ["planned_amount"]
    # The preview names it as the agent reads it, not by its attribute.
    assert plan.of("update")[0].change_labels == [
        str(Commitment._meta.get_field("planned_amount").verbose_name)
    ]
    assert "planned" not in plan.of("update")[0].change_labels[0]
    CommitmentImporter().apply(plan, by=staff_agent)
    shelter = Commitment.objects.filter(measure__slug="places-hebergement-urgence")
    assert sorted(shelter.values_list("planned_amount", flat=True)) == [Decimal(2500)] * 2
    assert Commitment.history.filter(history_user=staff_agent).count() == 2


def test_windows_1252_files_from_french_excel_are_read(forum):
    content = export("acteurs").decode("utf-8").lstrip("\ufeff").encode("cp1252")
    plan = ActorImporter().plan(content)
    assert plan.errors == []
    assert plan.counts()["unchanged"] == 9


def test_an_xlsx_written_by_hand_is_read(forum):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["nom", "slug", "type_acteur", "public", "code_territoire"])
    sheet.append(["Secours solidaire", "secours-solidaire", "Association", "non", "80"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = ActorImporter().plan(buffer.getvalue())
    assert plan.errors == []
    ActorImporter().apply(plan, by=None)
    actor = Actor.objects.get(slug="secours-solidaire")
    assert (actor.kind, actor.territory.name, actor.is_public_sector) == (
        "association",
        "Somme",
        False,
    )


COMMITMENT_HEADER = "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"


@pytest.mark.parametrize(
    ("body", "line", "column", "message"),
    [
        ("inconnue;diplp;32;2021;X;10\r\n", 2, "mesure", "Mesure inconnue « inconnue »"),
        ("Écoles ouvertes;personne;32;2021;X;10\r\n", 2, "acteur_slug", "Acteur inconnu"),
        (
            "Écoles ouvertes;diplp;99;2021;X;10\r\n",
            2,
            "code_territoire",
            "Territoire inconnu « 99 »",
        ),
        ("Écoles ouvertes;diplp;32;2021;X;-5\r\n", 2, "prevu", "ne peut pas être négatif"),
        ("Écoles ouvertes;diplp;32;2021;X;dix\r\n", 2, "prevu", "« dix » n'est pas un nombre"),
        ("Écoles ouvertes;diplp;32;2021;X;2,5\r\n", 2, "prevu", "nombre entier"),
        ("Écoles ouvertes;diplp;32;1999;X;10\r\n", 2, "annee", "entre 2000 et 2100"),
        ("Écoles ouvertes;diplp;32;2021;;10\r\n", 2, "intitule", "obligatoire"),
        (
            "Écoles ouvertes;diplp;32;2021;X;10\r\nÉcoles ouvertes;diplp;32;2021;X;12\r\n",
            3,
            "",
            "Ligne en double : même engagement ou acteur que la ligne 2",
        ),
    ],
)
def test_bad_rows_are_reported_by_line_and_column_in_french(forum, body, line, column, message):
    plan = CommitmentImporter().plan((COMMITMENT_HEADER + body).encode())
    assert not plan.is_valid
    assert any((at, col) == (line, column) and message in text for at, col, text in plan.errors), (
        plan.errors
    )
    with pytest.raises(ValueError):
        CommitmentImporter().apply(plan, by=None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"\r\n\r\n", "Le fichier est vide."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "contenu binaire"),
        (b"PK\x03\x04pas vraiment un zip", "illisible ou endommagé"),
        (b"x" * (10 * 1024 * 1024 + 1), "10 Mo"),
    ],
)
def test_unreadable_files_get_a_clear_message(content, message):
    with pytest.raises(ImportFileError, match=message):
        CommitmentImporter().plan(content)


def test_missing_and_unknown_columns_are_listed(forum):
    plan = CommitmentImporter().plan(b"mesure;couleur\r\nx;y\r\n")
    messages = [m for _l, _c, m in plan.errors]
    assert "Colonne inconnue « couleur »." in messages
    assert "Colonne obligatoire manquante « prevu »." in messages
    assert plan.rows == []


def test_actor_rows_are_checked(forum):
    content = (
        b"nom;slug;type_acteur;siret;courriel\r\n"
        b"A;a b;Association;;\r\n"
        b"B;b;Martien;;\r\n"
        b"C;c;Association;12345678901234;\r\n"
        b"D;d;Association;;pas-une-adresse\r\n"
        b"E;diplp;Association;;\r\n"
    )
    plan = ActorImporter().plan(content)
    errors = {(line, column) for line, column, _m in plan.errors}
    assert errors == {(2, "slug"), (3, "type_acteur"), (4, "siret"), (5, "courriel")}
    assert plan.of("update")[0].pk == Actor.objects.get(slug="diplp").pk


# In the admin


def upload(client, model, content, name="import.csv"):
    address = reverse(f"admin:{model}_import")
    file = io.BytesIO(content)
    file.name = name
    return client.post(address, {"file": file})


def test_staff_preview_then_confirm_an_import(staff_client, forum):
    content = (
        COMMITMENT_HEADER + "Écoles ouvertes;diplp;32;2021;Écoles ouvertes à Laon;450\r\n"
    ).encode()
    response = upload(staff_client, "commitments_commitment", content)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>1</strong> à créer" in page
    assert not Commitment.objects.filter(title="Écoles ouvertes à Laon").exists()
    address = reverse("admin:commitments_commitment_import")
    token = response.context["token"]
    response = staff_client.post(address, {"token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:commitments_commitment_changelist")
    told = [str(m) for m in staff_client.get(response["Location"]).context["messages"]]
    assert told == ["Import terminé : 1 fiche créée, 0 fiche mise à jour, 0 fiche inchangée."]
    created = Commitment.objects.get(title="Écoles ouvertes à Laon")
    assert created.planned_amount == 450
    # Someone corrects the figure; then the same confirmation is posted again (back
    # button, double click): it is refused, and neither recreates nor overwrites.
    created.planned_amount = 460
    created.save()
    before = history_counts()
    response = staff_client.post(address, {"token": token}, follow=True)
    assert response.redirect_chain == [(address, 302)]
    assert "Cet import a expiré ou a déjà été confirmé : recommencez." in [
        str(message) for message in response.context["messages"]
    ]
    assert Commitment.objects.filter(title="Écoles ouvertes à Laon").count() == 1
    assert Commitment.objects.get(title="Écoles ouvertes à Laon").planned_amount == 460
    assert history_counts() == before


def test_an_import_with_errors_shows_them_and_writes_nothing(staff_client, forum):
    content = (
        COMMITMENT_HEADER
        + "Écoles ouvertes;diplp;32;2021;Bien;1\r\ninconnue;diplp;32;2021;Mal;1\r\n"
    ).encode()
    response = upload(staff_client, "commitments_commitment", content)
    page = response.content.decode()
    assert "Mesure inconnue « inconnue »" in page and "Rien n'a été enregistré" in page
    assert "Confirmer l'import" not in page
    assert not Commitment.objects.filter(title="Bien").exists()


def test_a_bad_file_in_the_admin_gets_a_message(staff_client, forum):
    response = upload(staff_client, "actors_actor", b"\x00\x01\x02binaire", "faux.csv")
    assert "contenu binaire" in response.content.decode()
    response = upload(staff_client, "actors_actor", b"", "vide.csv")
    assert response.status_code == 200


def test_managers_and_contacts_cannot_import(client, manager, contact_a, forum):
    for user in (manager, contact_a):
        client.force_login(user)
        response = upload(client, "commitments_commitment", COMMITMENT_HEADER.encode())
        assert response.status_code in (302, 403)
    assert Commitment.objects.count() == 6


@pytest.mark.parametrize(
    ("cell", "planned"),
    [
        ("1 500 000", Decimal(1_500_000)),
        ("1\N{NO-BREAK SPACE}000,50", Decimal("1000.50")),
        ("1\N{NARROW NO-BREAK SPACE}000,50", Decimal("1000.50")),
        ("1000,5", Decimal("1000.50")),
        ("1000.50", Decimal("1000.50")),
        ("1 500 000 €", Decimal(1_500_000)),
    ],
)
def test_imported_amounts_are_read_as_the_forms_read_them(forum, cell, planned):
    body = f"Chèques d'urgence alimentaires;diplp;32;2021;Chèques;{cell}\r\n"
    plan = CommitmentImporter().plan((COMMITMENT_HEADER + body).encode())
    assert plan.errors == []
    CommitmentImporter().apply(plan, by=None)
    assert Commitment.objects.get(title="Chèques").planned_amount == planned


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1.000,50", "« 1.000,50 » n'est pas un nombre."),
        ("1.500", "« 1.500 » a plus de deux décimales"),
        ("12,345", "« 12,345 » a plus de deux décimales"),
        ("9" * 41, "Ce nombre est trop long."),
    ],
)
def test_imported_amounts_spelled_otherwise_are_refused_by_line_and_column(forum, cell, message):
    body = f"Chèques d'urgence alimentaires;diplp;32;2021;Chèques;{cell}\r\n"
    plan = CommitmentImporter().plan((COMMITMENT_HEADER + body).encode())
    assert any(
        (at, column) == (2, "prevu") and message in text for at, column, text in plan.errors
    ), plan.errors
    assert not Commitment.objects.filter(title="Chèques").exists()
