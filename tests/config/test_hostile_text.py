"""Text that would break a file or a mail: control characters in a comment, a line break
in a title, a link in a comment."""

import datetime
import glob
import io
import os
import tempfile
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from openpyxl import load_workbook

from commitments.models import Commitment
from reports.export_writers import write_xlsx
from reports.exports import TEXT
from reports.imports import CommitmentImporter
from tests.factories import CommitmentFactory, MeasureFactory

pytestmark = pytest.mark.django_db


def test_a_comment_with_a_vertical_tab_gives_a_readable_deliveries_xlsx(
    client, manager, contact_a, actor_a, staff_agent
):
    commitment = CommitmentFactory(actor=actor_a, year=2021)
    delivery = commitment.report_delivery(
        amount=Decimal(5),
        date=datetime.date(2021, 6, 1),
        comment="Première ligne\x0bdeuxième ligne\x01 fin",
        by=contact_a,
    )
    delivery.validate(by=staff_agent)
    client.force_login(manager)
    response = client.get("/rapports/realisations.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "Première ligne\ndeuxième ligne fin" in cells


def openpyxl_files():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "openpyxl.*")))


def test_an_xlsx_that_fails_half_way_leaves_no_temporary_file():
    before = openpyxl_files()

    def rows():
        for index in range(5000):
            yield [f"ligne {index} " + "x" * 200]
        raise RuntimeError("la base ne répond plus")

    with pytest.raises(RuntimeError):
        write_xlsx(["texte"], [TEXT], rows(), "essai")
    assert openpyxl_files() == before


def test_a_title_with_a_line_break_is_refused_in_the_admin_in_french(staff_client):
    commitment = CommitmentFactory(title="Avant")
    response = staff_client.post(
        f"/admin/commitments/commitment/{commitment.pk}/change/",
        {
            "actor": commitment.actor_id,
            "measure": commitment.measure_id,
            "territory": commitment.territory_id,
            "year": "2021",
            "title": "Première ligne\nseconde ligne",
            "planned_amount": "1000",
            "status": "planned",
            "is_public": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Ce champ tient sur une ligne" in response.content.decode()
    assert Commitment.objects.get(pk=commitment.pk).title == "Avant"


def test_an_imported_title_with_a_line_break_is_refused_by_line_and_column(db):
    from datasets.forum_2020 import load_forum

    load_forum()
    content = (
        "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
        'Écoles ouvertes;diplp;32;2021;"Écoles ouvertes\nà Laon";450\r\n'
    ).encode()
    plan = CommitmentImporter().plan(content)
    assert not plan.is_valid
    assert [(line, column) for line, column, _message in plan.errors] == [(2, "intitule")]
    assert "Ce champ tient sur une ligne" in plan.errors[0][2]


def test_a_report_on_a_commitment_whose_title_holds_a_line_break_is_saved_and_mailed(
    client, contact_a, actor_a, staff_agent, on_commit
):
    # Such a title may exist from before the rule: the report must not fail after saving.
    commitment = CommitmentFactory(actor=actor_a, year=2021, measure=MeasureFactory())
    Commitment.objects.filter(pk=commitment.pk).update(title="Titre\nsur deux lignes")
    client.force_login(contact_a)
    with on_commit():
        response = client.post(
            f"/espace/engagements/{commitment.pk}/",
            {
                "amount": "5",
                "date": "2021-06-01",
                "comment": "Voir http://exemple.invalid/faux-lien-de-validation",
                "submission_key": str(uuid.uuid4()),
            },
        )
    assert response.status_code == 302
    assert commitment.deliveries.count() == 1
    [message] = mail.outbox
    assert "\n" not in message.subject and "Titre sur deux lignes" in message.subject
    body = message.body
    real_link = f"/admin/commitments/delivery/{commitment.deliveries.get().pk}/change/"
    assert body.index(real_link) < body.index("faux-lien")
    assert "  > Voir http://exemple.invalid/faux-lien-de-validation" in body
