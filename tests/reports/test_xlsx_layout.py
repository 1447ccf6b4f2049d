"""An XLSX download reads as a table in a spreadsheet: its header row bold and kept on
screen, a filter over every row, names wide and figures narrow; and the campaign page's
counts are grouped the French way."""

import io

import pytest
from django.template import Context, Template
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from reports.export_writers import NUMBER, RATE, TEXT, write_xlsx


def width_of(sheet, letter):
    """A column's width in characters, as Excel shows it: a file may give one width to a
    range of columns, and store it with Excel's padding (44.71 for 44 characters)."""
    index = column_index_from_string(letter)
    for dimension in sheet.column_dimensions.values():
        if dimension.min <= index <= dimension.max:
            return int(dimension.width)
    return None


def fits_a_page_wide(sheet):
    """Printed, the columns fit one page's width, on as many pages as the rows need
    (fitToWidth is 1 when the file leaves it out, as OOXML says)."""
    setup = sheet.page_setup
    return (
        sheet.sheet_properties.pageSetUpPr.fitToPage
        and (setup.fitToWidth or 1) == 1
        and setup.fitToHeight == 0
    )


def test_the_header_row_is_bold_frozen_and_filters_every_row():
    rows = [("Nord", "Association Nord", 2, 0.5), ("Somme", "=SOMME(A1)", 1, None)]
    with write_xlsx(
        ["territoire", "acteur", "remises_a_examiner", "taux"],
        [TEXT, TEXT, NUMBER, RATE],
        iter(rows),
        "Complétude",
    ) as output:
        sheet = load_workbook(io.BytesIO(output.read())).active
    assert [cell.font.b for cell in sheet[1]] == [True] * 4
    assert not any(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A2"
    assert [cell.alignment.horizontal for cell in sheet[1]] == [None, None, "right", "right"]
    assert sheet.page_setup.orientation == "landscape" and fits_a_page_wide(sheet)
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.auto_filter.ref == "A1:D3"
    widths = {letter: width_of(sheet, letter) for letter in "ABCD"}
    assert widths == {"A": 44, "B": 44, "C": 20, "D": 12}  # a header wider than its kind
    assert sheet["B3"].value == "'=SOMME(A1)"  # still defused


def test_an_empty_download_has_its_header_and_no_error():
    with write_xlsx(["a"], [TEXT], iter([]), "Vide") as output:
        sheet = load_workbook(io.BytesIO(output.read())).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [["a"]]
    assert sheet.auto_filter.ref in ("A1", "A1:A1")


@pytest.mark.parametrize(("value", "shown"), [(0, "0"), (61, "61"), (10000, "10\xa0000")])
def test_counts_are_grouped_the_french_way(value, shown):
    text = Template("{% load amounts %}{{ value|number }}").render(Context({"value": value}))
    assert text.replace("\u202f", "\xa0") == shown


def test_the_about_sheet_wraps_long_texts_in_rows_tall_enough_and_fits_a_page():
    about = [("Rapport", "Essai"), ("Contenu", "mot " * 60), ("Colonne", "Signification")]
    with write_xlsx(["a"], [TEXT], iter([]), "Essai", about) as output:
        workbook = load_workbook(io.BytesIO(output.read()))
    sheet = workbook["À propos"]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()][0] == ["Rapport", "Essai"]
    assert sheet["A2"].font.b and sheet["B2"].alignment.wrap_text
    assert sheet.row_dimensions[1].height is None  # one line: Excel's own height
    assert sheet.row_dimensions[2].height == 45  # 240 characters: three lines
    assert fits_a_page_wide(sheet)
