"""A contact answers a reporting campaign in a browser: /espace/ shows what is due, the
report's page takes a file (refusing one that is not what its name says) and "nothing
delivered" with a comment, and says it is submitted; both pages pass axe on a phone and on
a desktop."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from commitments.models import Campaign, ExpectedReport
from tests.browser.test_actor_journey import log_in
from tests.browser.test_public_pages_in_browser import all_violations
from tests.factories import ActorFactory, CommitmentFactory, MembershipFactory, UserFactory
from tests.helpers import PDF_BYTES, main_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign_setting():
    today = timezone.localdate()
    actor = ActorFactory(name="Association Toit pour tous")
    MembershipFactory(actor=actor, user=UserFactory(username="nina", first_name="Nina"))
    commitment = CommitmentFactory(
        actor=actor, year=2021, title="Ouvrir 40 places à Amiens", planned_amount=Decimal(40)
    )
    late = CommitmentFactory(actor=actor, year=2021, title="Accueil de jour à Abbeville")
    campaign = Campaign.objects.create(
        title="Bilan 2021",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=today - datetime.timedelta(days=20),
        deadline=today + datetime.timedelta(days=3),
    )
    campaign.open(by=UserFactory(username="agathe", is_staff=True))
    earlier = Campaign.objects.create(
        title="Bilan du premier semestre",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 6, 30),
        opens_on=today - datetime.timedelta(days=40),
        deadline=today - datetime.timedelta(days=2),
    )
    earlier.open(by=UserFactory(username="agent-2", is_staff=True))
    earlier.expected_reports.exclude(commitment=late).delete()
    return ExpectedReport.objects.get(campaign=campaign, commitment=commitment)


@pytest.mark.parametrize("width", [375, 1280])
def test_a_contact_declares_nothing_with_a_comment_and_submits(
    page, campaign_setting, screenshot, width
):
    report = campaign_setting
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "nina")
    page.wait_for_url("**/espace/")
    text = main_text(page)
    assert text.index("Déclarations attendues") < text.index("Engagements de Association")
    assert "1 déclaration en retard" in text
    assert "en retard de 2 jours" in text.lower()  # badges are upper-cased
    assert "j-3" in text.lower()
    screenshot(f"campagne-espace-{width}")
    assert all_violations(page) == []

    page.get_by_role("link", name="Ouvrir 40 places à Amiens — Bilan 2021").click()
    page.wait_for_url(f"**/espace/declarations/{report.pk}/")
    assert "Période couverte : du 01/01/2021 au 31/12/2021" in main_text(page)
    assert all_violations(page) == []
    page.get_by_role("button", name="Remettre la déclaration").click()
    page.wait_for_load_state()
    assert "Aucune réalisation n'est déclarée sur la période" in main_text(page)
    screenshot(f"campagne-declaration-erreur-{width}")
    assert all_violations(page) == []

    # A file whose content is not what its name says is refused; a PDF is joined, and
    # downloads under its name.
    page.get_by_label("Justificatif").set_input_files(
        {"name": "bilan.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" * 20}
    )
    page.get_by_role("button", name="Ajouter le justificatif").click()
    page.wait_for_url(f"**/espace/declarations/{report.pk}/")
    assert "Le contenu de « bilan.pdf » n'est pas d'un type accepté" in main_text(page)
    page.get_by_label("Justificatif").set_input_files(
        {"name": "bilan.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_role("button", name="Ajouter le justificatif").click()
    page.wait_for_url(f"**/espace/declarations/{report.pk}/")
    assert "Justificatif « bilan.pdf » ajouté." in main_text(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="bilan.pdf").click()
    assert download.value.suggested_filename == "bilan.pdf"
    assert Path(download.value.path()).read_bytes() == PDF_BYTES
    screenshot(f"campagne-declaration-justificatif-{width}")
    assert all_violations(page) == []

    page.locator("label", has_text="Rien de réalisé sur la période").click()  # DSFR's box
    assert page.get_by_label("Rien de réalisé sur la période").is_checked()
    page.get_by_label("Récit").fill("Le local n'a pas été livré avant décembre.")
    page.get_by_role("button", name="Remettre la déclaration").click()
    page.wait_for_url(f"**/espace/declarations/{report.pk}/")
    text = main_text(page)
    assert "Déclaration remise : elle attend l'examen de la préfecture." in text
    assert "remise, à examiner" in text.lower()
    assert "Le local n'a pas été livré avant décembre." in text
    assert page.get_by_role("button", name="Remettre la déclaration").count() == 0
    screenshot(f"campagne-declaration-remise-{width}")
    assert all_violations(page) == []
    report.refresh_from_db()
    assert (report.status, report.nothing_delivered) == ("submitted", True)
    assert list(report.evidence.values_list("name", flat=True)) == ["bilan.pdf"]

    page.goto("/espace/")
    assert "remise, à examiner" in main_text(page).lower()
    assert page.console_errors == []
