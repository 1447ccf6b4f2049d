"""A campaign's admin page on a phone (375 px) and a desktop (1 280 px), for the regional
team and a Nord agent: the page never widens past the screen (the completeness tables
scroll sideways in their own box), the counts are right-aligned and grouped the French
way."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from actors.roles import AGENTS, attach_to_territory, setup_roles
from commitments.models import Campaign
from strategy.models import Territory
from tests.factories import ActorFactory, CommitmentFactory, TerritoryFactory, UserFactory, region

pytestmark = pytest.mark.django_db(transaction=True)

MEASURE = """() => {
  const boxes = [...document.querySelectorAll('#campaign-completeness .completeness-table')];
  return {
    page: document.documentElement.scrollWidth,
    section: document.querySelector('#campaign-completeness').scrollWidth,
    room: document.querySelector('#campaign-completeness').clientWidth,
    boxes: boxes.map(box => [box.clientWidth, box.scrollWidth, getComputedStyle(box).overflowX]),
    aligned: [...document.querySelectorAll('#campaign-completeness td.number')]
      .map(td => getComputedStyle(td).textAlign),
  };
}"""


@pytest.fixture
def campaign():
    setup_roles()
    nord = TerritoryFactory(name="Nord", slug="nord-b", parent=region())
    for n in range(6):
        actor = ActorFactory(name=f"Centre communal d'action sociale de la commune n° {n}")
        CommitmentFactory(actor=actor, territory=nord, year=2021)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        title="Bilan 2021",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=today - datetime.timedelta(days=10),
        deadline=today + datetime.timedelta(days=5),
    )
    for username, territory in (("agathe", region()), ("nadia", nord)):
        agent = UserFactory(username=username, is_staff=True)
        agent.groups.add(Group.objects.get(name=AGENTS))
        attach_to_territory(agent, Territory.objects.get(pk=territory.pk))
    campaign.open(by=None)
    return campaign


@pytest.mark.parametrize("username", ["agathe", "nadia"])
@pytest.mark.parametrize("width", [375, 1280])
def test_the_campaign_page_fits_the_screen(page, screenshot, campaign, width, username):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "mot-de-passe-de-test")
    page.click("input[type=submit]")
    page.goto(f"/admin/commitments/campaign/{campaign.pk}/change/")
    measured = page.evaluate(MEASURE)
    screenshot(f"admin-campagne-{username}-{width}")
    assert measured["page"] <= width, measured
    assert measured["section"] <= measured["room"], measured
    assert len(measured["boxes"]) == 2 and all(b[2] == "auto" for b in measured["boxes"])
    assert set(measured["aligned"]) == {"right"}
    if width == 375:  # the tables are wider than a phone: they scroll in their box
        assert any(scroll > client for client, scroll, _overflow in measured["boxes"])


def test_a_closed_campaign_s_reopening_form_fits_a_phone(page, screenshot, campaign):
    # The actors' list of « Rouvrir pour un acteur » is as wide as their longest name.
    campaign.close(by=None)
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto("/admin/login/")
    page.fill("#id_username", "agathe")
    page.fill("#id_password", "mot-de-passe-de-test")
    page.click("input[type=submit]")
    page.goto(f"/admin/commitments/campaign/{campaign.pk}/change/")
    screenshot("admin-campagne-close-375")
    assert page.locator("#id_reopen_actor").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
