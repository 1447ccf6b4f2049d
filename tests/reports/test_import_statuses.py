"""The engagements report carries the closing note; its importer applies the status rules
row by row, with a French error on the row that breaks them."""

from decimal import Decimal

import pytest

from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports.exports import EXPORTERS, ReportFilters
from reports.imports import CommitmentImporter

pytestmark = pytest.mark.django_db

HEADER = "id;mesure;acteur_slug;code_territoire;annee;intitule;prevu;statut;note_cloture\r\n"


@pytest.fixture
def forum():
    load_forum()


def row(title, status, note=""):
    commitment = Commitment.objects.select_related("measure", "actor", "territory").get(title=title)
    cells = [
        str(commitment.pk),
        commitment.measure.slug,
        commitment.actor.slug,
        commitment.territory.code,
        str(commitment.year),
        commitment.title,
        str(commitment.planned_amount).replace(".", ","),
        status,
        note,
    ]
    return ";".join(cells) + "\r\n"


INSERTION = "Plus de 1 000 places supplémentaires de chantiers et entreprises d'insertion"
SHELTER = "Près de 3 000 places d'hébergement supplémentaires ouvertes pendant le confinement"


def flat(text):
    return text.replace("\N{NO-BREAK SPACE}", " ").replace("\N{NARROW NO-BREAK SPACE}", " ")


def test_the_engagements_report_has_the_closing_note_right_after_the_status(forum, staff_agent):
    commitment = Commitment.objects.get(title=INSERTION)
    commitment.change_status(
        Commitment.Status.COMPLETED, by=staff_agent, closing_note="Clos : relais pris."
    )
    exporter = EXPORTERS["engagements"]
    lines = "".join(exporter.csv_chunks(exporter.queryset(ReportFilters()), "csv")).splitlines()
    headers = lines[0].split(",")
    assert headers[headers.index("statut") + 1] == "note_cloture"
    [line] = [line for line in lines if line.startswith(f"{commitment.pk},")]
    assert ",Réalisé,Clos : relais pris.,oui," in line


@pytest.mark.parametrize(
    ("title", "status", "note", "column", "message"),
    [
        (
            INSERTION,
            "Réalisé",
            "",
            "note_cloture",
            "n'atteint pas le prévu (1 000 places)",
        ),
        (SHELTER, "Prévu", "", "statut", "« Prévu » veut dire que rien n'est encore réalisé"),
        (SHELTER, "Annulé", "", "statut", "il ne peut être annulé qu'en décidant"),
        (INSERTION, "En cours", "Clos.", "note_cloture", "La note de clôture ne va qu'avec"),
    ],
)
def test_a_row_that_breaks_the_status_rules_is_an_error_on_its_line(
    forum, title, status, note, column, message
):
    before = list(Commitment.history.values_list("pk", flat=True))
    plan = CommitmentImporter().plan((HEADER + row(title, status, note)).encode())
    assert not plan.is_valid
    [(line, at, text)] = plan.errors
    assert (line, at) == (2, column)
    assert message in flat(text)
    with pytest.raises(ValueError):
        CommitmentImporter().apply(plan, by=None)
    assert list(Commitment.history.values_list("pk", flat=True)) == before


def test_a_row_closed_below_target_with_a_note_is_imported(forum, staff_agent):
    plan = CommitmentImporter().plan(
        (HEADER + row(INSERTION, "Réalisé", "Relais pris par un autre dispositif.")).encode()
    )
    assert plan.errors == []
    assert plan.counts() == {"create": 0, "update": 1, "unchanged": 0}
    CommitmentImporter().apply(plan, by=staff_agent)
    commitment = Commitment.objects.get(title=INSERTION)
    assert (commitment.status, commitment.closing_note, commitment.delivered_amount) == (
        Commitment.Status.COMPLETED,
        "Relais pris par un autre dispositif.",
        Decimal(0),
    )
