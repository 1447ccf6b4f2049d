"""A long download in a browser: /rapports/ shows its progress bar, refreshing by itself
(no JavaScript), then the link to the file."""

import io

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook

from actors.roles import MANAGERS, attach_to_territory, setup_roles
from reports.builds import Progress, finish_build, mark_running, start_build, storage
from reports.exports import EXPORTERS, ReportFilters
from reports.models import ReportBuild
from tests.browser.test_public_pages_in_browser import all_violations
from tests.factories import CommitmentFactory, DeliveryFactory, UserFactory, region

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager(page):
    setup_roles()
    user = UserFactory(username="gaston", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    attach_to_territory(user, region())
    page.goto("/comptes/connexion/")
    page.get_by_label("Identifiant ou adresse électronique").fill("gaston")
    page.get_by_label("Mot de passe").fill("mot-de-passe-de-test")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/rapports/")
    return user


@pytest.fixture
def queued_only(settings):
    """Builds queued in the database, for the test to play the task's part: with the
    immediate backend the build would run (and end) as soon as it is recorded."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def test_the_progress_bar_moves_then_becomes_a_link(page, manager, screenshot, queued_only):
    build = start_build(manager, EXPORTERS["realisations"], "csv", "csv", {}, ReportFilters(), 100)
    mark_running(build)
    Progress(build, every=0)(40)
    page.goto("/rapports/")
    bar = page.locator(f"#avancement-{build.pk}")
    assert bar.get_attribute("value") == "40" and bar.get_attribute("max") == "100"
    assert page.get_by_label("en préparation : 40 lignes écrites sur 100 (40 %)").count() == 1
    screenshot("rapports-avancement")
    # axe flags any refresh under 20 hours; RGAA 13.1.1 accepts one the user can stop and
    # restart, which the link above the bar does (the next test; the still page is clean).
    assert [v for v in all_violations(page) if v[0] != "meta-refresh"] == []

    Progress(build, every=0)(70)  # the page refreshes by itself
    page.get_by_text("70 lignes écrites sur 100 (70 %)").wait_for(timeout=5000)
    assert bar.get_attribute("value") == "70"

    stored = storage().save(f"{build.pk}/{build.download_name}", io.BytesIO(b"id\r\n7\r\n"))
    finish_build(build, stored, 100)
    link = page.get_by_role("link", name=f"Télécharger {build.download_name}")
    link.wait_for(timeout=5000)
    screenshot("rapports-fichier-pret")
    assert page.locator("progress").count() == 0
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == build.download_name
    assert download.value.path().read_bytes() == b"id\r\n7\r\n"
    assert page.console_errors == []


def test_stopping_the_refresh_keeps_the_page_still(page, manager, queued_only):
    build = start_build(manager, EXPORTERS["realisations"], "csv", "csv", {}, ReportFilters(), 100)
    mark_running(build)
    page.goto("/rapports/")
    page.get_by_role("link", name="Arrêter l'actualisation automatique").click()
    page.wait_for_url("**/rapports/?actualiser=non")
    Progress(build, every=0)(50)
    page.wait_for_timeout(3000)  # more than a refresh's 2 seconds
    assert page.locator(f"#avancement-{build.pk}").get_attribute("value") == "0"
    assert all_violations(page) == []
    page.get_by_role("link", name="Reprendre l'actualisation automatique").click()
    assert page.locator(f"#avancement-{build.pk}").get_attribute("value") == "50"


def test_a_large_xlsx_ends_as_a_link_on_rapports(page, manager, settings):
    settings.REPORT_BACKGROUND_ROWS_XLSX = 2
    commitment = CommitmentFactory()
    for _ in range(3):
        DeliveryFactory(commitment=commitment)
    page.goto("/rapports/")
    # Over the threshold the link is a button that posts (a GET never starts a build).
    assert page.get_by_role("link", name="XLSX — Réalisations").count() == 0
    assert all_violations(page) == []  # buttons among the links, in the table
    # The task runs in the server's process once the build is recorded (immediate backend).
    page.get_by_role("button", name="Préparer le fichier XLSX — Réalisations").click()
    page.wait_for_url("**/rapports/")
    link = page.get_by_role("link", name="Télécharger realisations_")
    with page.expect_download() as download:
        link.click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet.max_row == 4  # the header and three deliveries
    assert page.console_errors == []


def test_a_followed_link_over_the_threshold_offers_the_button(page, manager, settings, screenshot):
    settings.REPORT_BACKGROUND_ROWS_CSV = 2
    commitment = CommitmentFactory()
    for _ in range(3):
        DeliveryFactory(commitment=commitment)
    page.goto("/rapports/realisations.csv?dialect=csv")  # a link kept from before
    assert page.get_by_role("heading", name="Réalisations : un fichier à préparer").count() == 1
    assert page.get_by_role("link", name="Rapports").count() >= 1  # the breadcrumb
    screenshot("rapports-fichier-a-preparer")
    assert all_violations(page) == []
    assert not ReportBuild.objects.exists()  # the GET started nothing
    page.get_by_role("button", name="Préparer le fichier").click()
    page.wait_for_url("**/rapports/")
    link = page.get_by_role("link", name="Télécharger realisations_")
    with page.expect_download() as download:
        link.click()
    assert download.value.path().read_bytes().count(b"\r\n") == 4  # header, three rows
    assert page.console_errors == []
