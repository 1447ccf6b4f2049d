"""Words after a figure agree with it on every page: `places prévues`, `0 personne`,
`1 acteur`. The checker below knows French grammar on its own (it does not ask
strategy.units), so that a page written wrong cannot pass."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse

from actors.models import Actor
from commitments.models import Commitment, Delivery
from datasets.demo import load_demo
from datasets.forum_2020 import load_forum
from strategy.models import Issue, Measure
from strategy.units import Unit
from tests.factories import ActorFactory, CommitmentFactory, IssueFactory, MeasureFactory
from tests.helpers import count_queries, text_of

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


def page_text(client, address):
    response = client.get(address)
    assert response.status_code == 200, address
    return text_of(response)


@pytest.fixture
def demo():
    load_forum()
    load_demo(seed=2020, scale=1, progress=False)


def demo_addresses():
    yield from ["/", "/?year=2021", "/?territory=nord", "/?territory=hauts-de-france", "/enjeux/"]
    yield from (f"/?issue={slug}" for slug in Issue.objects.values_list("slug", flat=True))
    yield from (issue.get_absolute_url() for issue in Issue.objects.all())
    yield from (measure.get_absolute_url() for measure in Measure.objects.all())
    yield "/acteurs/"
    yield from (actor.get_absolute_url() for actor in Actor.objects.order_by("pk"))


def test_no_page_of_the_demo_writes_a_figure_with_words_that_disagree(client, demo):
    wrong, read = {}, 0
    for address in demo_addresses():
        mistakes, seen = wrong_words(page_text(client, address))
        read += seen
        if mistakes:
            wrong[address] = mistakes
    assert wrong == {}
    assert read > 500  # the checker did read the figures


def test_no_actor_area_admin_page_or_mail_of_the_demo_writes_disagreeing_words(client, demo):
    users = {u.username: u for u in get_user_model().objects.filter(username__endswith=".demo")}
    referent = get_user_model().objects.get(username="referent.a")
    client.force_login(referent)
    pages = [page_text(client, reverse("space:home"))]
    for commitment in Commitment.objects.filter(actor__memberships__user=referent)[:20]:
        pages.append(page_text(client, reverse("space:commitment", args=[commitment.pk])))
    client.force_login(users["agent.demo"])
    for name in ["commitment", "delivery"]:
        pages.append(page_text(client, reverse(f"admin:commitments_{name}_changelist")))
    for name in ["strategy_measure", "actors_actor"]:
        pages.append(page_text(client, reverse(f"admin:{name}_changelist")))
    for delivery in Delivery.objects.select_related("commitment__measure").order_by("pk")[:20]:
        delivery.reported_by = referent  # the demo's deliveries were reported by nobody
        context = {"delivery": delivery, "commitment": delivery.commitment, "link": "x"}
        for mail in ["reported", "reviewed"]:
            pages.append(render_to_string(f"commitments/email/{mail}.txt", context))
    text = " ".join(" ".join(page.replace("\N{NO-BREAK SPACE}", " ").split()) for page in pages)
    wrong, read = wrong_words(text)
    assert wrong == []
    assert len(pages) > 40 and read > 100, (len(pages), read)


def test_the_dashboard_query_count_stays_pinned(client, demo):
    assert count_queries(client, "/") == 8  # 7, and the map's per-territory totals
