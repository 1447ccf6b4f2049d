"""A manager downloads reports from /rapports/ and opens them."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook

from actors.roles import MANAGERS, attach_to_territory, setup_roles
from datasets.forum_2020 import load_forum
from tests.browser.test_public_pages_in_browser import all_violations
from tests.factories import UserFactory, region

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager_page(page):
    setup_roles()
    load_forum()
    user = UserFactory(username="gaston", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    attach_to_territory(user, region())
    page.goto("/comptes/connexion/")
    page.get_by_label("Identifiant ou adresse électronique").fill("gaston")
    page.get_by_label("Mot de passe").fill("mot-de-passe-de-test")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/rapports/")  # a manager lands on the reports
    return page


def test_a_manager_filters_downloads_and_opens_reports(manager_page, screenshot):
    page = manager_page
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Rapports"
    ).click()
    page.get_by_label("Année").fill("2019")
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url("**/rapports/?*year=2019*")
    screenshot("rapports")
    assert all_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (CSV ;) — Engagements").click()
    file = download.value
    assert file.suggested_filename.startswith("engagements_2019_")  # its filter in its name
    text = file.path().read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
    assert rows[0][:3] == ["id", "enjeu", "mesure"]
    planned = rows[0].index("prevu")
    assert [row[planned] for row in rows[1:]] == ["10000000"]  # whole: no decimals
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX — Synthèse").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("prevu") + 1).value == 10_000_000
    assert page.console_errors == []
