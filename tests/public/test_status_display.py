"""Where the status is shown, its closing note is too; the rules are said in one sentence."""

import datetime
from decimal import Decimal

import pytest

from commitments.models import WITHDRAW, Commitment
from datasets.forum_2020 import load_forum
from tests.factories import CommitmentFactory, UserFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

INSERTION = "Plus de 1 000 places supplémentaires de chantiers et entreprises d'insertion"
NOTE = "Relais pris par le plan de relance pour le reste de l'objectif."
RULES = (
    "Un engagement est « Prévu » tant qu'aucune réalisation n'est validée, « En cours » dès "
    "la première, « Réalisé » quand le réalisé atteint le prévu ou, en dessous, avec une note "
    "de clôture qui dit pourquoi, et « Annulé » sans plus rien compter."
)


@pytest.fixture
def closed(db):
    load_forum()
    commitment = Commitment.objects.select_related("measure", "actor").get(title=INSERTION)
    commitment.change_status(
        Commitment.Status.COMPLETED, by=UserFactory(username="agent"), closing_note=NOTE
    )
    return commitment


def test_the_measure_page_shows_the_closing_note_and_the_rules(client, closed):
    page = text_of(client.get(closed.measure.get_absolute_url()))
    assert f"Réalisé Note de clôture : {NOTE}" in page
    assert RULES in page


def test_the_actor_page_shows_the_closing_note_and_the_rules(client, closed):
    page = text_of(client.get(closed.actor.get_absolute_url()))
    assert f"Réalisé Note de clôture : {NOTE}" in page
    assert RULES in page


def test_a_cancelled_commitments_note_is_shown_apart_with_it(client, db):
    load_forum()
    commitment = CommitmentFactory(
        measure=Commitment.objects.get(title=INSERTION).measure, title="Chantier abandonné"
    )
    agent = UserFactory(username="agent")
    delivery = commitment.report_delivery(
        amount=Decimal(5), date=datetime.date(2021, 3, 1), by=UserFactory(username="r")
    )
    delivery.validate(by=agent)
    commitment.change_status(
        Commitment.Status.CANCELLED,
        by=agent,
        closing_note="Porteur dissous.",
        validated_deliveries=WITHDRAW,
    )
    page = text_of(client.get(commitment.measure.get_absolute_url()))
    cancelled = page[page.index("Engagements annulés") :]
    assert "Chantier abandonné" in cancelled
    assert "Annulé Note de clôture : Porteur dissous." in cancelled
