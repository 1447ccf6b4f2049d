"""The pages a State site must offer (accessibility statement, legal notice, personal data,
cookies, site map), linked from every page's footer; the skip links and the page titles
as the design system (DSFR) wants them."""

import datetime
import re

import pytest
from django.conf import settings as django_settings

from datasets.forum_2020 import load_forum
from public.views import duration
from tests.factories import ActorFactory
from tests.helpers import count_queries, text_of

pytestmark = pytest.mark.django_db

LEGAL = {
    "/accessibilite/": "Déclaration d'accessibilité",
    "/mentions-legales/": "Mentions légales",
    "/donnees-personnelles/": "Données personnelles",
    "/cookies/": "Gestion des cookies",
    "/plan-du-site/": "Plan du site",
}
FOOTER = {
    "/accessibilite/": "Accessibilité : partiellement conforme",
    "/mentions-legales/": "Mentions légales",
    "/donnees-personnelles/": "Données personnelles",
    "/cookies/": "Gestion des cookies",
    "/plan-du-site/": "Plan du site",
    "/donnees/": "Données ouvertes",
}
PAGES = [
    "/",
    "/enjeux/",
    "/enjeux/urgence-sociale/",
    "/mesures/places-hebergement-urgence/",
    "/acteurs/",
    "/acteurs/prefecture-region-hauts-de-france/",
    "/donnees/",
    *LEGAL,
]


@pytest.fixture
def forum():
    load_forum()


def footer_links(response):
    bottom = response.content.decode().split('class="fr-footer__bottom-list"')[1]
    bottom = bottom.split("</ul>")[0]
    return dict(re.findall(r'href="([^"]+)">([^<]+)</a>', bottom))


def title_of(response):
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


@pytest.mark.parametrize("address", LEGAL)
def test_each_legal_page_answers_an_anonymous_visitor_with_its_heading(client, forum, address):
    response = client.get(address)
    assert response.status_code == 200
    assert f"<h1>{LEGAL[address]}</h1>" in response.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize("address", PAGES)
def test_every_public_page_has_the_mandatory_footer_links(client, forum, address):
    assert footer_links(client.get(address)) == FOOTER


def test_a_signed_in_contact_sees_the_footer_links_too(client, contact_a):
    client.force_login(contact_a)
    assert footer_links(client.get("/espace/")) == FOOTER


@pytest.mark.parametrize("address", PAGES)
def test_page_titles_are_page_en_dash_site(client, forum, address):
    name = LEGAL.get(address) or {"/": "Tableau de bord", "/enjeux/": "Enjeux"}.get(address)
    title = title_of(client.get(address)).replace("&#x27;", "'")
    assert re.fullmatch(r"\S.* – Suivi de la stratégie pauvreté", title), title
    assert "—" not in title
    if name:
        assert title == f"{name} – Suivi de la stratégie pauvreté"


def test_the_error_pages_titles_follow_the_same_form(client, forum):
    assert (
        title_of(client.get("/nulle-part/")) == "Page non trouvée – Suivi de la stratégie pauvreté"
    )
    from django.template.loader import render_to_string

    assert "<title>Erreur inattendue – Suivi de la stratégie pauvreté</title>" in render_to_string(
        "500.html"
    )


@pytest.mark.parametrize("address", [*PAGES, "/espace/"])
def test_every_page_starts_with_skip_links_to_ids_it_has(client, forum, contact_a, address):
    if address == "/espace/":
        client.force_login(contact_a)
    page = client.get(address).content.decode()
    skiplinks = page.split('class="fr-skiplinks"')[1].split("</nav>")[0]
    targets = re.findall(r'href="#([^"]+)">', skiplinks)
    assert targets[0] == "contenu"
    for target in targets:
        assert page.count(f'id="{target}"') == 1, target
    assert page.index('class="fr-skiplinks"') < page.index("<header")


def test_the_accessibility_statement_gives_the_audit_and_the_recourse(client, settings):
    settings.CONTACT_EMAIL = "accessibilite@example.gouv.fr"
    settings.ACCESSIBILITY_AUDIT_DATE = datetime.date(2026, 11, 30)
    page = text_of(client.get("/accessibilite/"))
    assert "partiellement conforme" in page
    assert "axe-core" in page and "375 px et à 1280 px" in page
    assert "établie le 30 novembre 2026" in page
    for address in ("/", "/enjeux/urgence-sociale/", "/acteurs/", "/plan-du-site/"):
        assert f"({address})" in page
    assert (
        'href="mailto:accessibilite@example.gouv.fr"'
        in client.get("/accessibilite/").content.decode()
    )
    assert "Défenseur des droits" in page and "Libre réponse 71120" in page


def test_the_accessibility_statement_lists_the_pages_the_browser_tests_check(client):
    from public import audit

    page = text_of(client.get("/accessibilite/"))
    for name, address in audit.PAGES:
        assert f"{name} ({address})" in page
    assert audit.WIDTHS == (375, 1280)


def test_the_legal_notice_names_the_publisher_director_host_and_licence(client, settings):
    settings.PUBLICATION_DIRECTOR = "la secrétaire générale pour les affaires régionales"
    settings.HOSTING_PROVIDER = "Hébergeur Exemple, 1 rue du Test, 59000 Lille"
    page = text_of(client.get("/mentions-legales/"))
    assert "édité par la préfecture de la région Hauts-de-France" in page
    assert "La secrétaire générale pour les affaires régionales." in page
    assert "Hébergeur Exemple, 1 rue du Test, 59000 Lille." in page
    assert "licence Etalab 2.0" in page


def test_the_legal_notice_defaults_to_the_prefect_as_director(client):
    assert "Le préfet de la région Hauts-de-France." in text_of(client.get("/mentions-legales/"))


def test_the_personal_data_page_says_what_why_how_long_and_whom_to_ask(client, settings):
    settings.SESSION_COOKIE_AGE = 90 * 60
    settings.DPO_CONTACT = "dpo@example.gouv.fr"
    page = text_of(client.get("/donnees-personnelles/"))
    assert "adresse électronique" in page and "rattachements" in page
    assert "historique de ses connexions" in page and "historique de ce qu'il a déclaré" in page
    assert "mission d'intérêt public" in page
    assert "après 1 heure 30 minutes sans activité" in page
    assert "5 échecs" in page and "bloquée pendant 30 minutes" in page
    assert "Le compte et les rattachements : tant que le compte existe" in page
    assert "écrivez à dpo@example.gouv.fr" in page


def test_the_cookies_page_names_only_the_cookies_the_site_sets(client, settings):
    settings.SESSION_COOKIE_NAME = "suivi_session"
    page = text_of(client.get("/cookies/"))
    assert "aucun cookie de mesure d'audience" in page
    assert "suivi_session : déposé quand vous vous connectez" in page
    assert f"après {duration(django_settings.SESSION_COOKIE_AGE)} sans activité" in page
    assert "csrftoken :" in page and "messages :" in page


def test_an_anonymous_visit_of_the_public_pages_sets_no_cookie(client, forum):
    for address in PAGES:
        assert client.get(address).cookies == {}, address


def test_the_site_map_lists_issues_measures_actors_and_the_other_areas(client, forum):
    ActorFactory(name="Association Témoin du plan")
    response = client.get("/plan-du-site/")
    page = response.content.decode()
    for address in (
        "/enjeux/urgence-sociale/",
        "/mesures/places-hebergement-urgence/",
        "/acteurs/prefecture-region-hauts-de-france/",
        "/espace/",
        "/rapports/",
        "/accessibilite/",
        "/mentions-legales/",
        "/donnees-personnelles/",
        "/cookies/",
    ):
        assert f'href="{address}"' in page, address
    assert "Association Témoin du plan" in text_of(response)


@pytest.mark.parametrize("address", LEGAL)
def test_legal_pages_refuse_a_post(client, address):
    assert client.post(address).status_code == 405


def test_durations_are_written_in_words():
    assert duration(7200) == "2 heures"
    assert duration(5400) == "1 heure 30 minutes"
    assert duration(3 * 86400) == "3 jours"
    assert duration(30) == "moins d'une minute"


LEGAL_PINNED = {
    "/accessibilite/": 0,
    "/mentions-legales/": 0,
    "/donnees-personnelles/": 0,
    "/cookies/": 0,
    "/plan-du-site/": 3,
}


@pytest.mark.parametrize("address", LEGAL_PINNED)
def test_legal_page_query_counts_are_pinned_and_do_not_grow(client, forum, address):
    small = count_queries(client, address)
    for _ in range(30):
        ActorFactory()
    large = count_queries(client, address)
    assert (small, large) == (LEGAL_PINNED[address], LEGAL_PINNED[address])
