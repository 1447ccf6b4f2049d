"""The import plans a file once, at the preview, and keeps the plan with the pending file:
the confirmation applies that plan if the records it read are as they were, and otherwise
plans again and says so in French; a write that fails leaves nothing half-saved."""

import io
import json
import zlib
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse

from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports.imports import CommitmentImporter
from reports.models import PendingImport

pytestmark = pytest.mark.django_db

IMPORT = "admin:commitments_commitment_import"
HEADER = "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
SHELTER = "Près de 3 000 places d'hébergement supplémentaires ouvertes pendant le confinement"
REPLANNED = "Des fiches ont changé depuis l'aperçu : rien n'a été enregistré."


@pytest.fixture
def forum():
    load_forum()


def new_rows(*titles):
    return "".join(
        f"Écoles ouvertes;diplp;32;2021;{title};{i}\r\n" for i, title in enumerate(titles, 1)
    )


def preview(client, content):
    file = io.BytesIO(content.encode())
    file.name = "import.csv"
    response = client.post(reverse(IMPORT), {"file": file})
    assert response.status_code == 200
    assert response.context["errors"] == []
    return response.context["token"]


def confirm(client, token):
    return client.post(reverse(IMPORT), {"token": token}, follow=True)


def told(response):
    return [str(message) for message in response.context["messages"]]


def shelter_update():
    shelter = Commitment.objects.get(title=SHELTER)
    return (
        "id;mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
        f"{shelter.pk};places-hebergement-urgence;{shelter.actor.slug};"
        f"{shelter.territory.code};{shelter.year};{SHELTER};2500\r\n"
    )


def test_the_confirmation_applies_the_plan_of_the_preview_not_the_file_again(staff_client, forum):
    token = preview(staff_client, HEADER + new_rows("Classe A", "Classe B"))
    # Were the file planned again, this other content is what would be written.
    pending = PendingImport.objects.get(token=token)
    pending.content = zlib.compress((HEADER + new_rows("Autre classe")).encode())
    pending.save()
    response = confirm(staff_client, token)
    assert told(response) == [
        "Import terminé : 2 fiches créées, 0 fiche mise à jour, 0 fiche inchangée."
    ]
    titles = set(Commitment.objects.filter(title__contains="lasse").values_list("title", flat=True))
    assert titles == {"Classe A", "Classe B"}
    assert not PendingImport.objects.filter(token=token).exists()


def test_a_record_changed_since_the_preview_is_planned_again_with_a_french_message(
    staff_client, forum, staff_agent
):
    token = preview(staff_client, shelter_update())
    # Someone else edits the commitment the preview was going to update.
    shelter = Commitment.objects.get(title=SHELTER)
    shelter.description = "Corrigée entre-temps."
    shelter.save()
    history = Commitment.history.count()
    response = confirm(staff_client, token)
    assert response.status_code == 200
    assert REPLANNED in told(response)[0]
    assert response.context["counts"] == {"create": 0, "update": 1, "unchanged": 0}
    assert Commitment.objects.get(pk=shelter.pk).planned_amount == Decimal(3000)
    assert Commitment.history.count() == history
    # The new preview is kept under the same token: confirming it now writes it.
    response = confirm(staff_client, response.context["token"])
    assert told(response) == [
        "Import terminé : 0 fiche créée, 1 fiche mise à jour, 0 fiche inchangée."
    ]
    shelter.refresh_from_db()
    assert (shelter.planned_amount, shelter.description) == (2500, "Corrigée entre-temps.")
    assert Commitment.history.filter(id=shelter.pk).latest().history_user == staff_agent


def test_a_commitment_created_meanwhile_with_the_same_key_is_not_created_twice(staff_client, forum):
    token = preview(staff_client, HEADER + new_rows("Classe A"))
    first = CommitmentImporter().plan((HEADER + new_rows("Classe A")).encode())
    CommitmentImporter().apply(first, by=None)  # another agent imports the same row first
    response = confirm(staff_client, token)
    assert REPLANNED in told(response)[0]
    assert response.context["counts"] == {"create": 0, "update": 0, "unchanged": 1}
    assert Commitment.objects.filter(title="Classe A").count() == 1


def test_a_write_that_fails_leaves_nothing_half_saved_and_the_import_pending(staff_client, forum):
    token = preview(staff_client, HEADER + new_rows("Classe A", "Classe B"))
    # The kept plan's second row made unwritable (a negative amount, which the database
    # refuses): the first row is written, then the write fails.
    pending = PendingImport.objects.get(token=token)
    kept = json.loads(zlib.decompress(pending.plan))
    kept["rows"][1][3]["planned_amount"] = "-1"
    pending.plan = zlib.compress(json.dumps(kept).encode())
    pending.save()
    before = Commitment.objects.count(), Commitment.history.count()
    with pytest.raises(IntegrityError):
        confirm(staff_client, token)
    assert (Commitment.objects.count(), Commitment.history.count()) == before
    assert PendingImport.objects.filter(token=token).exists()


def test_history_rows_are_those_simple_history_writes(staff_client, forum, staff_agent):
    confirm(staff_client, preview(staff_client, HEADER + new_rows("Classe A")))
    created = Commitment.objects.get(title="Classe A")
    [row] = Commitment.history.filter(id=created.pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+",
        staff_agent,
        None,
    )
    tracked = [f.attname for f in Commitment.history.model.tracked_fields]
    assert {name: getattr(row, name) for name in tracked} == {
        name: getattr(created, name) for name in tracked
    }


@pytest.mark.parametrize("rows", [2, 40])
def test_preview_and_confirmation_take_as_many_queries_for_2_rows_as_for_40(
    staff_client, forum, django_assert_num_queries, rows
):
    content = HEADER + new_rows(*(f"Classe {i}" for i in range(rows)))
    with django_assert_num_queries(12):
        token = preview(staff_client, content)
    with django_assert_num_queries(17):
        staff_client.post(reverse(IMPORT), {"token": token})
    assert Commitment.objects.filter(title__startswith="Classe ").count() == rows
