"""Each public page in a real browser: no console error, no serious accessibility
violation (axe-core), and filters that work by clicking."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from datasets.demo import load_demo
from datasets.forum_2020 import load_forum
from public import audit
from tests.helpers import main_text

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "tableau-de-bord": "/",
    "tableau-de-bord-filtre": "/?year=2020&territory=nord&issue=urgence-sociale",
    "filtres-invalides": "/?year=abc&territory=999999",
    "enjeux": "/enjeux/",
    "enjeu": "/enjeux/urgence-sociale/",
    "mesure": "/mesures/places-hebergement-urgence/",
    "acteurs": "/acteurs/",
    "acteur": "/acteurs/prefecture-region-hauts-de-france/",
    "page-404": "/enjeux/inconnu/",
}


@pytest.fixture
def data():
    load_forum()
    load_demo(seed=2020, scale=1, progress=False)


def serious_violations(page):
    results = Axe().run(page)
    return [
        (violation["id"], violation["impact"], [n["target"] for n in violation["nodes"]][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_and_passes_axe(page, screenshot, data, name):
    response = page.goto(PAGES[name])
    assert response.status == (404 if name == "page-404" else 200)
    page.wait_for_load_state("networkidle")
    screenshot(name)
    assert page.console_errors == [] or (
        name == "page-404" and all("404" in e for e in page.console_errors)
    )
    assert serious_violations(page) == []


def violations(page):
    results = Axe().run(page)
    return [
        (violation["id"], violation["impact"], [n["target"] for n in violation["nodes"]][:3])
        for violation in results.response["violations"]
    ]


LEGAL_PAGES = [address for _name, address in audit.PAGES if address in audit.LEGAL]


@pytest.mark.parametrize("width", audit.WIDTHS)
@pytest.mark.parametrize("address", LEGAL_PAGES)
def test_legal_pages_pass_axe_at_each_width_with_no_violation(page, screenshot, address, width):
    """The pages the statement lists (public/audit.py): those of text, with no violation
    of any impact, on a phone and on a desktop."""
    load_forum()
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(address)
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    screenshot(f"{address.strip('/')}-{width}")
    assert page.console_errors == []
    assert violations(page) == []
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_skip_link_takes_the_keyboard_to_the_content(page):
    page.goto("/mentions-legales/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.inner_text() == "Contenu"
    page.keyboard.press("Enter")
    page.wait_for_url("**/mentions-legales/#contenu")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_the_footer_leads_to_the_accessibility_statement(page):
    page.goto("/")
    page.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    page.wait_for_url("**/accessibilite/")
    assert page.get_by_role("heading", level=1).inner_text() == "Déclaration d'accessibilité"


def test_dashboard_filters_work_by_clicking_and_are_kept_in_links(page, screenshot):
    load_forum()
    page.goto("/")
    page.select_option("#id_year", "2019")
    page.select_option("#id_territory", "hauts-de-france")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**/?year=2019&territory=hauts-de-france&issue=")
    assert "10 000 000 € réalisés sur 10 000 000 € prévus (100 %)" in main_text(page)
    screenshot("tableau-de-bord-2019")
    page.get_by_role("link", name="Leviers transversaux").click()
    page.wait_for_url("**/enjeux/leviers-transversaux/?year=2019&territory=hauts-de-france")
    assert page.locator("#id_year").input_value() == "2019"
    assert page.console_errors == []


def test_directory_search_and_filters_work_by_clicking(page, data):
    page.goto("/acteurs/")
    page.get_by_label("Nom").fill("conseil départemental")
    page.select_option("#id_sector", "public")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**/acteurs/?q=*")
    assert "5 acteurs" in main_text(page)
    page.get_by_role("link", name="Conseil départemental du Nord").click()
    page.wait_for_url("**/acteurs/conseil-departemental-nord/")
    assert page.get_by_role("heading", level=1).inner_text() == "Conseil départemental du Nord"


def test_a_measure_chart_has_its_table_alternative(page, data):
    page.goto("/mesures/places-hebergement-urgence/")
    assert page.locator("svg[role=img]").count() == 1
    page.get_by_text("Données du graphique (tableau)").click()
    assert page.get_by_role("table", name="Réalisations validées par mois et cumul").is_visible()


def test_every_page_the_accessibility_statement_names_is_checked_here():
    named = {address for _name, address in audit.PAGES}
    assert named <= set(PAGES.values()) | set(LEGAL_PAGES)
