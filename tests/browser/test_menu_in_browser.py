"""The menu in a real browser, on a phone (375 px, behind the *Menu* button) and on a
desktop (1 280 px): an anonymous visitor is offered to log in and nothing that leads to a
login wall; a contact logs in, lands in their area, and is offered *Mon espace*."""

import pytest

from datasets.forum_2020 import load_forum
from tests.factories import ActorFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "mot-de-passe-de-test"
ENTRIES = {"Mon espace", "Rapports", "Administration", "Se connecter", "Se déconnecter"}
PUBLIC = {"Tableau de bord", "Enjeux", "Acteurs"}


@pytest.fixture
def contact():
    load_forum()
    MembershipFactory(
        actor=ActorFactory(name="Association Toit pour tous"),
        user=UserFactory(username="nina", first_name="Nina", email="nina@exemple.org"),
    )


def open_menu(page, width):
    """The menu as the user reaches it: on a phone, behind the *Menu* button."""
    if width < 992:
        assert not page.locator("#navigation-principale").is_visible()
        page.get_by_role("button", name="Menu", exact=True).click()
        page.locator("#menu-mobile").wait_for(state="visible")
    return page.locator("#menu-mobile") if width < 992 else page.locator("header")


def visible_entries(region):
    names = set()
    for element in region.locator("a, button").all():
        if element.is_visible():
            names.add(" ".join(element.inner_text().split()))
    return names


@pytest.mark.parametrize("width", [375, 1280])
def test_an_anonymous_visitor_is_offered_to_log_in_and_no_login_wall(
    page, screenshot, contact, width
):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/")
    entries = visible_entries(open_menu(page, width))
    assert entries & ENTRIES == {"Se connecter"}
    assert entries >= PUBLIC
    screenshot(f"menu-anonyme-{width}")
    page.get_by_role("link", name="Se connecter").first.click()
    page.wait_for_url("**/comptes/connexion/")
    assert page.console_errors == []


@pytest.mark.parametrize("width", [375, 1280])
def test_a_contact_lands_in_the_area_and_is_offered_mon_espace(page, screenshot, contact, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/comptes/connexion/")
    page.get_by_label("Identifiant ou adresse électronique").fill("nina@exemple.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/espace/")
    page.goto("/enjeux/")
    region = open_menu(page, width)
    entries = visible_entries(region)
    assert entries & ENTRIES == {"Mon espace", "Se déconnecter"}
    assert entries >= PUBLIC and "Nina" in entries
    screenshot(f"menu-referent-{width}")
    region.get_by_role("link", name="Mon espace").click()
    page.wait_for_url("**/espace/")
    assert "Association Toit pour tous" in page.inner_text("main")
    assert page.console_errors == []
