"""Each page in a real browser, on a phone (375 px) and on a desktop (1 280 px): no
console error, no accessibility violation of any impact (axe-core), and filters that work
by clicking."""

from pprint import pformat

import pytest
from axe_playwright_python.sync_playwright import Axe

from commitments.campaigns import ExpectedReport
from datasets.demo import DEMO_PASSWORD, load_demo
from datasets.forum_2020 import load_forum
from public import audit
from tests.helpers import main_text

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [375, 1280]
PAGES = {
    "tableau-de-bord": "/",
    "tableau-de-bord-2021": "/?year=2021",
    "tableau-de-bord-filtre": "/?year=2020&territory=nord&issue=urgence-sociale",
    "tableau-de-bord-nord-2021": "/?territory=nord&year=2021",  # over-delivered: 104 %
    "filtres-invalides": "/?year=abc&territory=999999",
    "enjeux": "/enjeux/",
    "enjeu": "/enjeux/urgence-sociale/",
    "enjeu-carte-places": "/enjeux/urgence-sociale/?unit=places",
    "mesure": "/mesures/places-hebergement-urgence/",
    "acteurs": "/acteurs/",
    "acteur": "/acteurs/prefecture-region-hauts-de-france/",
    "donnees": "/donnees/",
    "page-404": "/enjeux/inconnu/",
}


@pytest.fixture
def data():
    load_forum()
    load_demo(seed=2020, scale=1, progress=False)


def all_violations(page):
    """axe-core's violations, whatever their impact: (rule, impact, first targets)."""
    results = Axe().run(page)
    return [
        (violation["id"], violation["impact"], [n["target"] for n in violation["nodes"]][:3])
        for violation in results.response["violations"]
    ]


def wider_than_the_screen(page):
    """How much the page itself scrolls sideways, in pixels: a table may scroll in its
    own region, the page may not."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


TABLES_OUT_OF_THEIR_REGION = """() => [...document.querySelectorAll("main table")]
    .filter((table) => {
        const region = table.closest(".fr-table__container");
        const hidden = [...table.querySelectorAll("th, td")].some(
            (cell) => getComputedStyle(cell).display === "none"
        );
        return hidden || !region || region.getAttribute("tabindex") !== "0"
            || region.getAttribute("role") !== "region"
            || region.getAttribute("aria-labelledby") !== table.caption?.id;
    })
    .map((table) => table.caption?.textContent || table.outerHTML.slice(0, 80))"""


def visit(page, screenshot, width, pages, *, status=None):
    """Each page at this width: what fails, by page (an empty string when all is well)."""
    status = status or {}
    page.set_viewport_size({"width": width, "height": 900})
    problems = {}
    for name, address in pages.items():
        # goto waits for the load event: the pages fetch nothing after it (no XHR), so
        # waiting for the network to stay idle half a second more only cost time.
        response = page.goto(address)
        found = {
            "status": response.status if response.status != status.get(name, 200) else None,
            "console": [e for e in page.console_errors if not (name == "page-404" and "404" in e)],
            "overflow": max(wider_than_the_screen(page), 0),
            # Each table scrolls in its own focusable region, named by its caption, and
            # keeps all its columns.
            "tables": page.evaluate(TABLES_OUT_OF_THEIR_REGION),
            "axe": all_violations(page),
        }
        screenshot(f"{name}-{width}")  # last: a full-page shot resizes the page for a while
        page.console_errors.clear()
        if any(found.values()):
            problems[name] = found
    return pformat(problems) if problems else ""


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_load_cleanly_and_pass_axe(page, screenshot, data, width):
    problems = visit(page, screenshot, width, PAGES, status={"page-404": 404})
    assert not problems, problems


@pytest.mark.parametrize("width", WIDTHS)
def test_actor_area_and_reports_pass_axe(page, screenshot, data, width):
    report = ExpectedReport.objects.filter(
        commitment__actor__memberships__user__username="referent.a"
    ).order_by("pk")[0]
    log_in_as(page, "referent.a")
    area = {
        "espace": "/espace/",
        "espace-engagement": f"/espace/engagements/{report.commitment_id}/",
        "espace-declaration": f"/espace/declarations/{report.pk}/",
    }
    problems = visit(page, screenshot, width, area)
    assert not problems, problems
    page.context.clear_cookies()
    log_in_as(page, "gestionnaire.demo")
    reports = {"rapports": "/rapports/", "rapports-2021": "/rapports/?year=2021"}
    problems = visit(page, screenshot, width, reports)
    assert not problems, problems


def log_in_as(page, username):
    page.goto("/comptes/connexion/")
    page.get_by_label("Identifiant ou adresse électronique").fill(username)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


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
    assert response.status == 200  # after the load event, as in visit()
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


def test_the_map_switches_unit_and_leads_to_a_departement_on_a_phone(page, screenshot, data):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    page.select_option("#carte-unite", "places")
    page.get_by_role("button", name="Afficher la carte").click()
    page.wait_for_url("**/?unit=places#carte")
    assert "Par département, en places" in main_text(page)
    nord = page.get_by_role("link", name="Nord : ", exact=False).first
    assert "des places prévues réalisées" in nord.get_attribute("aria-label")
    box = nord.bounding_box()
    assert box["width"] > 40 and box["height"] > 40  # a target a finger can hit
    screenshot("carte-375")
    nord.click()
    page.wait_for_url("**/?territory=nord")
    assert page.locator("#id_territory").input_value() == "nord"
    assert page.locator("#carte").count() == 0  # below the region: the tables say it
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


# Each chart text's size on screen: its font size times the SVG's scale (an SVG drawn
# 360 units wide shrinks with the screen), and the height of its box.
CHART_TEXT_SIZES = """() => [...document.querySelectorAll("svg.suivi-chart text")].map((text) => ({
    text: text.textContent,
    size: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a,
    height: text.getBoundingClientRect().height,
}))"""


@pytest.mark.parametrize(
    "address", ["/?territory=nord&year=2021", "/mesures/places-hebergement-urgence/"]
)
def test_chart_text_is_at_least_11_px_on_a_phone(page, screenshot, data, address):
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(address)
    texts = page.evaluate(CHART_TEXT_SIZES)
    assert len(texts) > 5
    small = [t for t in texts if t["size"] < 11 or t["height"] < 11]
    assert small == []
    # Every value, tick and rate is inside the chart, none cut at its right edge.
    cut = page.evaluate("""() => [...document.querySelectorAll("svg.suivi-chart")].flatMap(
        (svg) => [...svg.querySelectorAll("text")].filter(
            (t) => t.getBoundingClientRect().right > svg.getBoundingClientRect().right + 0.5
        ).map((t) => t.textContent))""")
    assert cut == []
    screenshot(f"graphiques-{address.strip('/?').replace('/', '-').replace('&', '-')}-375")


def test_every_page_the_accessibility_statement_names_is_checked_here():
    named = {address for _name, address in audit.PAGES}
    assert named <= set(PAGES.values()) | set(LEGAL_PAGES)
