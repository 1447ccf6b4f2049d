"""One meaning per figure: the completeness a campaign's admin page shows, per territory
and per actor, is the completeness its CSV and XLSX downloads give, on the same campaign,
for the regional team (everything) and for a Nord agent (the Nord's reports alone)."""

import csv
import io
import re
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from commitments.models import Campaign, ExpectedReport
from strategy.units import format_rate
from tests.campaigns.test_campaign_admin import DAY, TODAY, new_campaign, page
from tests.campaigns.test_campaign_admin import world as admin_world
from tests.factories import ActorFactory, CommitmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
world = admin_world  # the staff, the Nord's and the Somme's actors and contacts
COUNTS = ["expected", "submitted", "accepted", "returned", "late"]


class Tables(HTMLParser):
    """The completeness section's tables, as rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.inside, self.tables, self.cell = False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "section" and ("id", "campaign-completeness") in attrs:
            self.inside = True
        elif self.inside and tag == "table":
            self.tables.append([])
        elif self.inside and tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "section":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append(re.sub(r"[ \t\n]+", " ", self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def number(text):
    return int(text.replace("\N{NO-BREAK SPACE}", "").replace("\N{NARROW NO-BREAK SPACE}", ""))


def shown(client, campaign):
    """{territory: (counts…, rate shown)}, {actor: (counts…, rate shown)} of the page."""
    response = client.get(page(campaign))
    assert response.status_code == 200
    parser = Tables()
    parser.feed(response.content.decode())
    by_territory, by_actor = parser.tables

    def as_figures(rows):
        return {row[0]: (*(number(cell) for cell in row[1:6]), row[6]) for row in rows[1:]}

    return as_figures(by_territory), as_figures(by_actor)


def downloaded(client, campaign, extension):
    """The download's rows as {territory: (counts…, rate)} and {actor: (…)}, summed the
    way the page groups them, the rate shown as the page shows it."""
    address = reverse("admin:commitments_campaign_completeness", args=[campaign.pk, extension])
    response = client.get(address)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if extension == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
        header, rows = rows[0], rows[1:]
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        header, rows = values[0], values[1:]
    assert header[:2] == ["territoire", "acteur"]
    sums = {"territory": defaultdict(lambda: [0] * 5), "actor": defaultdict(lambda: [0] * 5)}
    for row in rows:
        counts = [int(value) for value in row[2:7]]
        for key, name in (("territory", row[0]), ("actor", row[1])):
            sums[key][name] = [a + b for a, b in zip(sums[key][name], counts, strict=True)]
    total = [0] * 5
    for counts in sums["territory"].values():
        total = [a + b for a, b in zip(total, counts, strict=True)]

    def with_rate(counts):
        expected, submitted, accepted = counts[:3]
        rate = Decimal(submitted + accepted) / Decimal(expected) if expected else None
        return (*counts, format_rate(rate))

    territories = {name: with_rate(c) for name, c in sums["territory"].items()}
    territories["Total"] = with_rate(total)
    return territories, {name: with_rate(c) for name, c in sums["actor"].items()}, rows


def build(world):
    """A campaign past its deadline with every status, and an actor that works in both
    territories (its figures are split by territory, summed by actor)."""
    nord, somme = world["sides"]["Nord"], world["sides"]["Somme"]
    both = ActorFactory(name="Réseau régional", territory=nord["territory"], kind="association")
    contact = MembershipFactory(actor=both, user=UserFactory(username="reseau")).user
    for territory in (nord["territory"], somme["territory"], somme["territory"]):
        CommitmentFactory(actor=both, territory=territory)
    for n in range(3):
        CommitmentFactory(
            actor=ActorFactory(name=f"Commune {n}", territory=somme["territory"]),
            territory=somme["territory"],
        )
    campaign = new_campaign(opens_on=TODAY - 10 * DAY, deadline=TODAY + DAY)
    campaign.open(by=world["regional"])
    reports = ExpectedReport.objects.filter(campaign=campaign).order_by("pk")
    mine = list(reports.filter(commitment__actor=both))
    for report in mine:
        report.submit(by=contact, narrative="Rien", nothing_delivered=True)
    mine[0].accept(by=world["regional"])
    mine[1].return_for_revision(by=world["regional"], reason="Précisez")
    first_nord = reports.filter(commitment__actor=nord["actor"]).first()
    first_nord.submit(by=nord["contact"], narrative="Rien", nothing_delivered=True)
    first_nord.accept(by=world["regional"])
    Campaign.objects.filter(pk=campaign.pk).update(deadline=TODAY - DAY)
    return campaign


@pytest.mark.parametrize("role", ["regional", "nord_agent"])
def test_the_page_and_the_downloads_give_the_same_figures(client, world, role):
    campaign = build(world)
    client.force_login(world[role])
    page_territories, page_actors = shown(client, campaign)
    for extension in ("csv", "xlsx"):
        territories, actors, rows = downloaded(client, campaign, extension)
        assert page_territories == territories, extension
        assert page_actors == actors, extension
    # Each row's own rate is the page's way of counting too (received over expected).
    for row in rows:
        expected, submitted, accepted = (int(v) for v in row[2:5])
        assert round(float(row[7]), 4) == round((submitted + accepted) / expected, 4)
    # The figures themselves, so that the comparison is not between two empty tables.
    if role == "regional":
        assert set(page_territories) == {"Nord", "Somme", "Total"}
        assert page_territories["Total"] == (10, 1, 2, 1, 7, "30\N{NO-BREAK SPACE}%")
        assert page_actors["Réseau régional"] == (3, 1, 1, 1, 1, "67\N{NO-BREAK SPACE}%")
    else:
        assert set(page_territories) == {"Nord", "Total"}
        assert page_territories["Nord"] == (3, 0, 2, 0, 1, "67\N{NO-BREAK SPACE}%")
        assert page_actors["Réseau régional"] == (1, 0, 1, 0, 0, "100\N{NO-BREAK SPACE}%")
        assert "Commune 0" not in page_actors
