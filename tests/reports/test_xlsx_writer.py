"""The XLSX writer (XlsxWriter, rows streamed to disk): a report downloaded as XLSX has
its header frozen, a filter over every row and its figures' number formats, as read
back by openpyxl; its temporary files are gone once it is written, even when the rows
fail half-way; and the writers tell how many rows they have written so far."""

import datetime
import io
import itertools
import tempfile
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports import export_writers
from reports.export_writers import AMOUNT, DATE, NUMBER, TEXT, Amount, csv_chunks, write_xlsx
from reports.exports import EXPORTERS, ReportFilters

pytestmark = pytest.mark.django_db


@pytest.fixture
def forum():
    load_forum()


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_realisations_xlsx_has_a_frozen_header_a_filter_and_number_formats(manager_client, forum):
    commitment = Commitment.objects.filter(measure__unit="euros").first()
    commitment.report_delivery(
        amount=Decimal("1234.5"), date=datetime.date(2021, 3, 4), comment="=1+1", by=None
    )
    response = manager_client.get(reverse("reports:xlsx", args=["realisations"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:T{sheet.max_row}"
    header = [cell.value for cell in sheet[1]]
    assert header == EXPORTERS["realisations"].headers
    row = dict(zip(header, sheet[sheet.max_row], strict=True))
    assert (row["montant"].value, row["montant"].number_format) == (1234.5, "#,##0.00")
    assert row["date"].value == datetime.datetime(2021, 3, 4)
    assert row["date"].number_format == "DD/MM/YYYY"
    assert row["declaree_le"].number_format == "DD/MM/YYYY hh:mm"
    assert row["id"].number_format == "General"
    assert row["commentaire"].value == "'=1+1"  # defused


def test_a_time_is_written_in_the_current_time_zone_without_it():
    winter = datetime.datetime(2021, 1, 15, 23, 30, tzinfo=datetime.UTC)
    with write_xlsx(["le"], [DATE], iter([[winter]]), "Heures") as output:
        sheet = load_workbook(io.BytesIO(output.read())).active
    # Europe/Paris (the settings' zone) is an hour ahead of UTC in winter.
    assert sheet["A2"].value == datetime.datetime(2021, 1, 16, 0, 30)


def test_a_value_of_another_type_than_its_column_is_written_by_its_own():
    rows = [[7, "sept", Amount(Decimal(3), whole=True)], ["n/a", 8, None]]
    with write_xlsx(["a", "b", "c"], [NUMBER, TEXT, AMOUNT], iter(rows), "Mêlé") as output:
        sheet = load_workbook(io.BytesIO(output.read())).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        [7, "sept", 3],
        ["n/a", 8, None],
    ]
    assert sheet["C2"].number_format == "#,##0"


def test_a_text_of_control_characters_only_leaves_its_cell_empty():
    # A description of one bell character (the import accepts it) once made the
    # writer fail: the text was tested before its control characters were dropped.
    rows = [["\x07", "\x07a", 1]]
    with write_xlsx(["a", "b", "c"], [TEXT, TEXT, NUMBER], iter(rows), "Cloches") as output:
        sheet = load_workbook(io.BytesIO(output.read())).active
    assert [cell.value for cell in sheet[2]] == [None, "a", 1]


def test_a_text_that_looks_like_an_excel_escape_has_its_underscore_escaped():
    # Excel and LibreOffice read _x0041_ in a string as « A »; written _x005F_x0041_, it
    # reads back as typed (LibreOffice checked by hand; openpyxl applies no such rule to
    # inline strings, so the sheet's XML is what is checked here).
    rows = [["mesure_x0041_ bis"], ["_x20AC__x00e9_"], ["x_y"]]
    with write_xlsx(["a"], [TEXT], iter(rows), "Échappements") as output:
        content = output.read()
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert ">mesure_x005F_x0041_ bis<" in sheet
    assert ">_x005F_x20AC__x005F_x00e9_<" in sheet
    assert ">x_y<" in sheet


@pytest.fixture
def temporary_folder(tmp_path, monkeypatch):
    """Where tempfile puts its files, for this test alone (others write in /tmp too)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_the_writers_temporary_files_are_removed_once_written(temporary_folder):
    with write_xlsx(["a"], [TEXT], iter([["x"]] * 3), "Essai", [("Rapport", "Essai")]):
        assert list(temporary_folder.iterdir()) == []  # the open file has no name left
    assert list(temporary_folder.iterdir()) == []


def test_rows_that_fail_half_way_leave_no_temporary_file(temporary_folder):
    def rows():
        yield ["x"]
        raise RuntimeError("base perdue")

    with pytest.raises(RuntimeError):
        write_xlsx(["a"], [TEXT], rows(), "Essai")
    assert list(temporary_folder.iterdir()) == []


def told_at_least_every_thousand_rows(told, total):
    return told[-1] == total and all(
        0 < after - before <= 1000 for before, after in itertools.pairwise([0, *told])
    )


def test_xlsx_progress_is_told_at_least_every_thousand_rows_and_at_the_end():
    told = []
    rows = ([index] for index in range(2500))
    write_xlsx(["n"], [NUMBER], rows, "Essai", progress=told.append).close()
    assert told_at_least_every_thousand_rows(told, 2500)


def test_an_empty_xlsx_tells_its_progress_once():
    told = []
    write_xlsx(["n"], [NUMBER], iter([]), "Essai", progress=told.append).close()
    assert told == [0]


def test_csv_progress_counts_the_rows_written_so_far():
    told = []
    rows = ([index] for index in range(1200))
    chunks = list(csv_chunks(["n"], rows, "csv", kinds=[NUMBER], progress=told.append))
    assert told == [500, 1000, 1200]
    assert "".join(chunks).count("\r\n") == 1201
    assert export_writers.ROWS_PER_CHUNK <= 1000  # "at least every 1 000 rows"


@pytest.mark.parametrize("name", ["engagements", "realisations", "acteurs", "synthese"])
def test_each_report_tells_its_progress_up_to_its_row_count(forum, name):
    exporter = EXPORTERS[name]
    filters = ReportFilters()
    expected = exporter.count(filters)
    for build in (
        lambda told: exporter.xlsx(exporter.queryset(filters), filters, progress=told).close(),
        lambda told: list(exporter.csv_chunks(exporter.queryset(filters), "csv", told)),
    ):
        told = []
        build(told.append)
        assert told and told[-1] == expected
        assert told == sorted(told)
