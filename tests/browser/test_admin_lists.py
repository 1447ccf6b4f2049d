"""The admin's commitment and delivery lists fit 1 280 px: every column visible, no
sideways scroll."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from actors.roles import AGENTS, attach_to_territory
from strategy.models import Territory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MEASURE = """() => {
  const table = document.querySelector('#result_list');
  const headers = [...table.querySelectorAll('thead th')];
  return {
    table: table.scrollWidth,
    room: table.parentElement.clientWidth,
    page: document.documentElement.scrollWidth,
    hidden: headers.filter(th => th.getBoundingClientRect().right > window.innerWidth)
                   .map(th => th.innerText.trim()),
    headers: headers.map(th => th.innerText.trim()).filter(Boolean),
    cut: [...table.querySelectorAll('td.field-actor_display span[title]')].length,
  };
}"""


@pytest.mark.parametrize("territory", ["hauts-de-france", "nord"])
def test_the_commitment_and_delivery_lists_fit_1280_px_with_the_demo(page, screenshot, territory):
    """For the regional team and for the Nord's agent, whose first page holds other rows
    (the Nord's reviewed deliveries once overflowed by their long dates)."""
    call_command("setup_roles", verbosity=0)
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    agent = UserFactory(username="agathe", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    attach_to_territory(agent, Territory.objects.get(slug=territory))
    page.goto("/admin/login/")
    page.fill("#id_username", "agathe")
    page.fill("#id_password", "mot-de-passe-de-test")
    page.click("input[type=submit]")
    page.goto("/admin/commitments/commitment/")
    measured = page.evaluate(MEASURE)
    screenshot(f"admin-engagements-{territory}-1280")
    assert measured["table"] <= measured["room"], measured
    assert measured["page"] <= 1280, measured
    assert measured["hidden"] == []
    assert [h.upper() for h in measured["headers"]] == [
        "INTITULÉ",
        "ACTEUR",
        "TERRITOIRE",
        "ANNÉE",
        "PRÉVU",
        "RÉALISÉ",
        "TAUX",
        "STATUT",
        "PUBLIC",
    ]
    assert measured["cut"] > 0  # long names are cut, whole on hover
    for address, name in [
        ("/admin/commitments/delivery/", "realisations"),
        ("/admin/commitments/delivery/?examen=en-attente", "a-examiner"),
    ]:
        page.goto(address)
        measured = page.evaluate(MEASURE.replace("field-actor_display", "field-actor"))
        screenshot(f"admin-{name}-{territory}-1280")
        assert measured["table"] <= measured["room"], (address, measured)
        assert measured["page"] <= 1280, (address, measured)
        assert measured["hidden"] == [], address
        assert measured["cut"] > 0
    # The actor list too (its totals column's header once overflowed by 23 px).
    page.goto("/admin/actors/actor/")
    measured = page.evaluate(MEASURE)
    assert measured["table"] <= measured["room"], measured
    assert measured["hidden"] == []
