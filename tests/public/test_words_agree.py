"""Words after a figure agree with it on every page: `places prévues`, `0 personne`,
`1 acteur`. The checker below knows French grammar on its own (it does not ask
strategy.units), so that a page written wrong cannot pass."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from commitments.models import Commitment
from strategy.units import Unit
from tests.factories import ActorFactory, CommitmentFactory, IssueFactory, MeasureFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

# noun: (singular, plural, feminine)
NOUNS = {
    "€": ("€", "€", False),
    "place": ("place", "places", True),
    "personne": ("personne", "personnes", True),
    "ménage": ("ménage", "ménages", False),
    "projet": ("projet", "projets", False),
    "acteur": ("acteur", "acteurs", False),
    "engagement": ("engagement", "engagements", False),
    "mesure": ("mesure", "mesures", True),
}
FIGURE = re.compile(
    r"(?<![\d,])(?P<number>-?\d{1,3}(?: \d{3})*(?:,\d+)?) "
    r"(?P<noun>€|(?:place|personne|ménage|projet|acteur|engagement|mesure)s?)"
    r"(?: (?P<participle>prévu|réalisé|accompagné|validé|engagé|suivi)(?P<ending>e?s?))?(?!\w)"
)


def wrong_words(text):
    """Each figure whose words do not agree with it, and how many figures were read."""
    wrong, read = [], 0
    for match in FIGURE.finditer(text):
        number = Decimal(match["number"].replace(" ", "").replace(",", "."))
        plural = abs(number) >= 2
        base = match["noun"] if match["noun"] == "€" else match["noun"].removesuffix("s")
        singular, many, feminine = NOUNS[base]
        read += 1
        expected = many if plural else singular
        ending = ("e" if feminine else "") + ("s" if plural else "")
        if match["noun"] != expected or (match["participle"] and match["ending"] != ending):
            wrong.append(match[0])
    return wrong, read


def test_the_checker_catches_the_mistakes_of_issue_13():
    wrong, read = wrong_words(
        "25 184 personnes réalisés sur 52 928 personnes prévus ; 100 places réalisés ; "
        "1 places ; 0 acteurs ; 3 place ; 2 ménages prévues ; 1 500 000 € réalisées"
    )
    assert read == 8
    assert len(wrong) == 8
    assert wrong_words("25 184 personnes réalisées sur 1 place prévue et 0 acteur") == ([], 3)


@pytest.mark.parametrize(
    ("unit", "delivered", "planned", "expected"),
    [
        (Unit.EUROS, 1, 150, "1 € réalisé sur 150 € prévus"),
        (Unit.PLACES, 100, 150, "100 places réalisées sur 150 places prévues"),
        (Unit.PLACES, 1, 1, "1 place réalisée sur 1 place prévue"),
        (Unit.PERSONS, 0, 52928, "0 personne accompagnée sur 52 928 personnes prévues"),
        (Unit.HOUSEHOLDS, 25184, 1, "25 184 ménages accompagnés sur 1 ménage prévu"),
        (Unit.PROJECTS, 2, 3, "2 projets réalisés sur 3 projets prévus"),
    ],
)
def test_the_dashboard_agrees_each_unit_in_singular_and_plural(
    client, unit, delivered, planned, expected
):
    commitment = CommitmentFactory(
        measure=MeasureFactory(unit=unit), planned_amount=Decimal(planned)
    )
    Commitment.objects.filter(pk=commitment.pk).update(delivered_amount=Decimal(delivered))
    page = text_of(client.get("/"))
    assert expected in page
    assert "1 engagement public suivi" in page
    assert "1 acteur engagé" in page
    assert wrong_words(page)[0] == []


def test_the_dashboard_says_0_acteur_and_0_engagement_when_nothing_matches(client):
    IssueFactory()
    page = text_of(client.get("/?year=2030"))
    assert "0 engagement public suivi" in page and "0 acteur engagé" in page


def test_the_actor_directory_counts_in_french(client):
    ActorFactory(name="Seul acteur")
    assert "1 acteur" in text_of(client.get("/acteurs/"))
    assert "0 acteur " in text_of(client.get("/acteurs/?q=introuvable")) + " "


def test_the_actor_area_agrees_planned_and_delivered(client, contact_a, actor_a):
    commitment = CommitmentFactory(
        actor=actor_a, measure=MeasureFactory(unit=Unit.PERSONS), planned_amount=Decimal(1)
    )
    client.force_login(contact_a)
    page = text_of(client.get(reverse("space:commitment", args=[commitment.pk])))
    assert "1 personne prévue" in page
    assert "0 personne accompagnée (validée)" in page
