"""A contact reports a delivery, an agent validates it, the public sees it: in a browser."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from actors.roles import AGENTS, attach_to_territory, setup_roles
from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from strategy.models import Measure
from tests.factories import ActorFactory, CommitmentFactory, MembershipFactory, UserFactory, region
from tests.helpers import main_text

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "mot-de-passe-de-test"


@pytest.fixture
def setting():
    setup_roles()
    load_forum()
    actor = ActorFactory(name="Association Toit pour tous")
    contact = UserFactory(username="nina", first_name="Nina", email="nina@exemple.org")
    MembershipFactory(actor=actor, user=contact)
    agent = UserFactory(username="agathe", is_staff=True, email="agathe@exemple.org")
    agent.groups.add(Group.objects.get(name=AGENTS))
    attach_to_territory(agent, region())
    commitment = CommitmentFactory(
        actor=actor,
        measure=Measure.objects.get(slug="places-hebergement-urgence"),
        year=2021,
        title="Ouvrir 40 places à Amiens",
        planned_amount=Decimal(40),
    )
    return commitment


def log_in(page, username):
    page.goto("/comptes/connexion/")
    page.get_by_label("Identifiant ou adresse électronique").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_report_validate_and_publish(browser, live_server, setting, screenshot, page):
    commitment = setting
    log_in(page, "nina@exemple.org")
    page.wait_for_url("**/espace/")
    page.get_by_role("link", name="Ouvrir 40 places à Amiens").click()
    page.get_by_label("Montant réalisé, en places").fill("25")
    page.get_by_label("Date de réalisation").fill("2021-06-15")
    page.get_by_label("Commentaire").fill("Ouverture du centre de la rue Gresset")
    page.get_by_role("button", name="Déclarer cette réalisation").click()
    page.wait_for_url(f"**/espace/engagements/{commitment.pk}/")
    assert "elle attend la validation de la préfecture" in main_text(page)
    assert "en attente de validation" in main_text(page).lower()  # badges are upper-cased
    screenshot("espace-declaration")

    agent_context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    agent = agent_context.new_page()
    agent.goto("/admin/login/")
    agent.fill("#id_username", "agathe")
    agent.fill("#id_password", PASSWORD)
    with agent.expect_navigation():
        agent.click("input[type=submit]")
    agent.goto("/admin/commitments/delivery/?status__exact=reported")
    agent.locator("input.action-select").first.check()
    agent.select_option("select[name=action]", "validate_deliveries")
    with agent.expect_navigation():
        agent.click("button[name=index]")
    assert "1 réalisation validée." in agent.inner_text(".messagelist")
    agent_context.close()

    page.reload()
    assert "validée" in main_text(page).lower()
    assert "25 places" in main_text(page)
    commitment.refresh_from_db()
    assert commitment.delivered_amount == Decimal(25)

    page.goto("/mesures/places-hebergement-urgence/")
    assert "Ouvrir 40 places à Amiens" in main_text(page)
    assert "3 025 places" in main_text(page)  # the press release's 3 000, and these 25
    screenshot("mesure-apres-validation")
    assert page.console_errors == []
    assert Commitment.objects.get(pk=commitment.pk).deliveries.get().date == datetime.date(
        2021, 6, 15
    )


def test_account_and_area_pages_pass_axe(page, setting, screenshot):
    from tests.browser.test_public_pages_in_browser import all_violations

    for name, address in [
        ("connexion", "/comptes/connexion/"),
        ("mot-de-passe-oublie", "/comptes/mot-de-passe/oubli/"),
    ]:
        page.goto(address)
        screenshot(name)
        assert all_violations(page) == [], name
    log_in(page, "nina")
    page.wait_for_url("**/espace/")
    screenshot("espace")
    assert all_violations(page) == []
    page.get_by_role("link", name="Ouvrir 40 places à Amiens").click()
    page.get_by_label("Montant réalisé, en places").fill("2,5")
    page.get_by_role("button", name="Déclarer cette réalisation").click()
    page.wait_for_load_state()
    assert "nombre entier" in main_text(page)
    screenshot("espace-erreurs")
    assert all_violations(page) == []
    assert page.console_errors == []


def test_confirm_unusual_figures_then_edit_and_retract(setting, screenshot, page):
    commitment = setting
    log_in(page, "nina")
    page.wait_for_url("**/espace/")
    page.get_by_role("link", name="Ouvrir 40 places à Amiens").click()
    page.get_by_label("Montant réalisé, en places").fill("70")
    page.get_by_label("Date de réalisation").fill("2021-06-15")
    page.get_by_role("button", name="Déclarer cette réalisation").click()
    page.wait_for_load_state()
    assert "atteindrait 70 places sur 40 places prévues (175 %). Confirmez-vous ?" in (
        main_text(page).replace("\N{NO-BREAK SPACE}", " ")
    )
    assert commitment.deliveries.count() == 0
    screenshot("espace-confirmation")
    from tests.browser.test_public_pages_in_browser import all_violations

    assert all_violations(page) == []
    page.locator("label", has_text="Je confirme ces chiffres").click()  # DSFR draws the box
    assert page.get_by_label("Je confirme ces chiffres").is_checked()
    page.get_by_role("button", name="Déclarer cette réalisation").click()
    page.wait_for_url(f"**/espace/engagements/{commitment.pk}/")
    assert "elle attend la validation de la préfecture" in main_text(page)

    page.get_by_role("link", name="Modifier ou retirer").click()
    page.get_by_label("Montant réalisé, en places").fill("30")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.wait_for_url(f"**/espace/engagements/{commitment.pk}/")
    assert "Déclaration modifiée" in main_text(page)
    assert commitment.deliveries.get().amount == Decimal(30)

    page.get_by_role("link", name="Modifier ou retirer").click()
    screenshot("espace-modifier-ou-retirer")
    assert all_violations(page) == []
    page.get_by_role("button", name="Retirer la déclaration").click()
    page.wait_for_url(f"**/espace/engagements/{commitment.pk}/")
    assert "retirée" in main_text(page) and "Retirée par l'acteur".lower() in (
        main_text(page).lower()
    )
    assert page.get_by_role("link", name="Modifier ou retirer").count() == 0
    assert commitment.deliveries.get().status == "retracted"
    assert page.console_errors == []
