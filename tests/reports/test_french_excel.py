"""Downloads read well in French Excel: XLSX figures are numbers in the right format
(amounts with two decimals for euros, whole for places and persons, rates as
percentages, dates as dates), a sheet « À propos » says what the file holds, the Excel
CSV writes figures as the pages do, and the file names say which filters made them."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from commitments.models import Campaign, Commitment
from datasets.forum_2020 import load_forum
from reports.exports import EXPORTERS, CompletenessExporter, ReportFilters
from reports.imports import ActorImporter, CommitmentImporter
from strategy.models import Territory
from strategy.units import format_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def forum():
    load_forum()


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def download(client, name, extension, **query):
    response = client.get(reverse(f"reports:{extension}", args=[name]), query)
    assert response.status_code == 200, response.content
    return response, b"".join(response.streaming_content)


def workbook_of(content):
    return load_workbook(io.BytesIO(content))


def cells_by_header(sheet, row_index):
    header = [cell.value for cell in sheet[1]]
    return dict(zip(header, sheet[row_index], strict=True))


def test_xlsx_amounts_counts_rates_and_dates_carry_french_formats(manager_client, forum):
    _response, content = download(manager_client, "engagements", "xlsx")
    sheet = workbook_of(content).worksheets[0]
    formats = {}
    for index in range(2, sheet.max_row + 1):
        cells = cells_by_header(sheet, index)
        formats[cells["unite"].value] = (
            cells["prevu"].number_format,
            cells["realise"].number_format,
        )
        if cells["taux_realisation"].value is not None:
            assert cells["taux_realisation"].number_format == "0%"
        assert cells["id"].number_format == "General"  # an identifier, never grouped
        assert cells["annee"].number_format == "General"  # 2021, not 2 021
    assert formats["euros"] == ("#,##0.00", "#,##0.00")
    assert formats["places"] == ("#,##0", "#,##0")
    shelter = cells_by_header(sheet, 2)
    assert isinstance(shelter["prevu"].value, int | float)  # a number, not a text


def test_xlsx_dates_are_dates_and_counts_are_grouped(manager_client, forum):
    commitment = Commitment.objects.filter(measure__unit="places").first()
    commitment.report_delivery(
        amount=Decimal(10), date=datetime.date(2021, 3, 4), comment="", by=None
    )
    sheet = workbook_of(download(manager_client, "realisations", "xlsx")[1]).worksheets[0]
    cells = cells_by_header(sheet, sheet.max_row)
    assert cells["date"].value == datetime.datetime(2021, 3, 4)
    assert cells["date"].number_format == "DD/MM/YYYY"
    assert cells["declaree_le"].number_format == "DD/MM/YYYY hh:mm"
    assert (cells["montant"].value, cells["montant"].number_format) == (10, "#,##0")
    sheet = workbook_of(download(manager_client, "synthese", "xlsx")[1]).worksheets[0]
    assert cells_by_header(sheet, 2)["nombre_engagements"].number_format == "#,##0"


def test_the_about_sheet_gives_the_filters_the_time_and_each_column(manager_client, forum):
    before = timezone.now()
    _response, content = download(
        manager_client, "engagements", "xlsx", territory="nord", year="2021"
    )
    workbook = workbook_of(content)
    assert workbook.sheetnames == ["Engagements", "À propos"]
    about = {row[0]: row[1] for row in workbook["À propos"].iter_rows(values_only=True)}
    assert about["Filtre : Territoire"] == "Nord"
    assert about["Filtre : Année"] == "2021"
    assert about["Filtre : Enjeu"] == "Tous"
    assert about["Filtre : Visibilité"] == "Tous les engagements, publics ou non"
    paris = timezone.localtime(before, ZoneInfo("Europe/Paris"))  # whatever TIME_ZONE says
    assert about["Extrait le"].startswith(f"{paris:%d/%m/%Y} à {paris:%H}:")
    assert about["Extrait le"].endswith("(heure de Paris)")
    columns = EXPORTERS["engagements"].columns
    assert [(c.name, c.meaning) for c in columns] == [
        (name, about[name]) for name in EXPORTERS["engagements"].headers
    ]


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_every_column_of_every_report_says_what_it_means(name):
    campaign_columns = CompletenessExporter(Campaign(pk=1, title="Bilan")).columns
    for column in [*EXPORTERS[name].columns, *campaign_columns]:
        assert column.meaning.endswith("."), column.name


def test_the_excel_csv_writes_rates_and_whole_units_as_the_pages_do(manager_client, forum):
    text = download(manager_client, "engagements", "csv", dialect="excel")[1].decode()
    lines = text.splitlines()
    header = lines[0].lstrip("\ufeff").split(";")
    shelter = Commitment.objects.filter(measure__slug="places-hebergement-urgence").first()
    row = next(line.split(";") for line in lines[1:] if line.startswith(f"{shelter.pk};"))
    record = dict(zip(header, row, strict=True))
    assert (record["prevu"], record["realise"]) == ("3000", "3000")
    assert record["taux_realisation"] == format_rate(shelter.rate) == "100\xa0%"
    programs = download(manager_client, "engagements", "csv", dialect="csv")[1].decode()
    assert "3000.00,3000.00,1.0000" in programs  # the programs' dialect is unchanged


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_file_name_says_the_report_its_filters_and_the_day(manager_client, forum, extension):
    nord = Territory.objects.get(slug="nord")
    response, _content = download(
        manager_client,
        "engagements",
        extension,
        status="completed",
        year="2021",
        territory=nord.slug,
        visibility="public",
    )
    day = f"{timezone.localdate():%Y-%m-%d}"
    name = f"engagements_nord_2021_completed_public_{day}.{extension}"
    assert f'filename="{name}"' in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "importer"), [("engagements", CommitmentImporter), ("acteurs", ActorImporter)]
)
def test_an_xlsx_download_with_its_formats_and_about_sheet_reimports_unchanged(
    manager_client, forum, name, importer
):
    _response, content = download(manager_client, name, "xlsx")
    plan = importer().plan(content)
    assert plan.errors == []
    assert plan.counts() == {"create": 0, "update": 0, "unchanged": len(plan.rows)}


def test_the_file_names_filters_come_in_a_fixed_order():
    nord = Territory(slug="nord")
    filters = ReportFilters(year=2021, territory=nord, actor_kind="association")
    assert filters.slugs() == ["nord", "2021", "association"]
