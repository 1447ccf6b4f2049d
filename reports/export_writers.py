"""One writer for every report: CSV in two dialects, XLSX, or JSON; formulas defused in
CSV and XLSX (JSON is read by programs, never run as a spreadsheet)."""

import contextlib
import csv
import datetime
import json
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from strategy.units import rate_percent, shown_decimals

DIALECTS = ("excel", "csv")
DELIMITERS = {"excel": ";", "csv": ","}
# Column kinds: how a column is written (XLSX number formats, CSV number and date styles).
# NUMBER: an identifier or a year, written bare; COUNT: a count of things, grouped by
# thousands in XLSX; AMOUNT: an amount of the row's unit, with two decimals in XLSX for
# euros and none for places, persons and the other counted units (see Amount).
TEXT, NUMBER, COUNT, AMOUNT, DATE, RATE = "text", "number", "count", "amount", "date", "rate"
FIGURES = (NUMBER, COUNT, AMOUNT, RATE)
# XLSX number formats, in Excel's own (English) notation: French Excel shows them the
# French way (`1 234,50`, `38 %`, `04/03/2021`).
XLSX_FORMATS = {
    COUNT: "#,##0",
    AMOUNT: "#,##0.00",
    RATE: "0%",
    DATE: "DD/MM/YYYY",
}
WHOLE_FORMAT = "#,##0"
DATETIME_FORMAT = "DD/MM/YYYY hh:mm"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500
HEADER_FONT = Font(bold=True)
RIGHT = Alignment(horizontal="right")


def defuse(text):
    """A text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class Amount(NamedTuple):
    """An amount cell for XLSX: its value and whether its unit is counted whole."""

    value: Decimal | None
    whole: bool


class _Echo:
    def write(self, value):
        return value


def _cell_for_csv(value, dialect, zone):
    """Any value as a CSV cell, by its type: the writer's fallback where no column kinds
    are given (the exporters give them, and get one formatter per column instead)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return defuse(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal):
        return excel_number(value) if dialect == "excel" else format(value, "f")
    if isinstance(value, datetime.date):
        return _date_formatter(dialect, zone)(value)
    return str(value)


def excel_number(value):
    """A Decimal as the pages write it, ungrouped, with a decimal comma: whole values
    without decimals (`3000`), others with two (`1234,50`): strategy.units' rule."""
    if shown_decimals(value) == 0:
        return format(value.to_integral_value(), "f")
    return format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f").replace(".", ",")


def excel_rate(value):
    """A rate as the pages write it: a whole percentage, rounded half up (`38 %`)."""
    if value is None:
        return ""
    return f"{format(rate_percent(value), 'f')}\N{NO-BREAK SPACE}%"


def _text_cell(value):
    return defuse(value) if value else ("" if value is None else value)


def _number_cell(value):
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _excel_number_cell(value):
    if value is None:
        return ""
    return excel_number(value) if isinstance(value, Decimal) else str(value)


def _date_formatter(dialect, zone):
    """Dates and times as export_sql.DateCell writes them: a time in `zone` (resolved once
    per export, not per cell as timezone.localtime would), then dd/mm/yyyy [hh:mm] in
    excel, ISO in csv. Days repeat from row to row: each is written once."""
    excel = dialect == "excel"
    days = {}

    def format_(value):
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            local = value.astimezone(zone)
            if excel:
                return (
                    f"{local.day:02d}/{local.month:02d}/{local.year} "
                    f"{local.hour:02d}:{local.minute:02d}"
                )
            return local.isoformat()
        written = days.get(value)
        if written is None:
            if len(days) > 10_000:  # a bounded memo, whatever the rows hold
                days.clear()
            written = days[value] = (
                f"{value.day:02d}/{value.month:02d}/{value.year}" if excel else value.isoformat()
            )
        return written

    return format_


def _csv_formatter(kind, dialect, zone):
    """One function per column, chosen once, rather than a chain of tests per cell."""
    if kind == TEXT:
        return _text_cell
    if kind == RATE and dialect == "excel":
        return excel_rate
    if kind in FIGURES:
        return _excel_number_cell if dialect == "excel" else _number_cell
    if kind == DATE:
        return _date_formatter(dialect, zone)
    return lambda value: _cell_for_csv(value, dialect, zone)


def _writer(dialect):
    if dialect not in DIALECTS:
        raise ValueError(dialect)
    return csv.writer(_Echo(), delimiter=DELIMITERS[dialect], lineterminator="\r\n")


def csv_header(headers, dialect):
    """The header line; excel's starts with a BOM so that French Excel reads UTF-8."""
    head = _writer(dialect).writerow(headers)
    return ("\ufeff" + head) if dialect == "excel" else head


def csv_cell(text, dialect):
    """One text cell exactly as csv_chunks writes it (for constants the database writes)."""
    if not text:
        return ""
    return _writer(dialect).writerow([defuse(text)]).removesuffix("\r\n")


def csv_chunks(headers, rows, dialect="excel", kinds=None):
    """Text chunks of the CSV file, a few hundred rows at a time (constant memory).

    excel: `;`, decimal comma, dd/mm/yyyy, with a BOM so that French Excel reads UTF-8;
    csv: RFC 4180 (`,`, CRLF), decimal point, ISO dates, no BOM. Times are written in
    the time zone current when this is called (the request's), not when it is read.
    """
    writer = _writer(dialect)
    zone = timezone.get_current_timezone()
    if kinds is None:
        formatters = [lambda value: _cell_for_csv(value, dialect, zone)] * len(headers)
    else:
        formatters = [_csv_formatter(kind, dialect, zone) for kind in kinds]
    return _csv_lines(writer, csv_header(headers, dialect), rows, formatters)


def _csv_lines(writer, header, rows, formatters):
    yield header
    writerow, lines = writer.writerow, []
    for row in rows:
        lines.append(
            writerow([format_(value) for format_, value in zip(formatters, row, strict=True)])
        )
        if len(lines) >= ROWS_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def write_xlsx(headers, kinds, rows, title, about=()):
    """An XLSX file (openpyxl write-only, rows go to disk as they come); returns it open.

    about: rows of text for a second sheet, « À propos » (what the file holds)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    try:
        _prepare_sheet(sheet, headers, kinds)
        sheet.append([_header_cell(sheet, h, kind) for h, kind in zip(headers, kinds, strict=True)])
        last = 1
        for row in rows:
            sheet.append(
                [_cell_for_xlsx(sheet, value, kind) for value, kind in zip(row, kinds, strict=True)]
            )
            last += 1
        if headers:  # written after the rows: the filter spans them all
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last}"
        if about:
            _about_sheet(workbook.create_sheet(title=ABOUT_TITLE), about)
        workbook.save(output)
    except BaseException:
        output.close()
        # openpyxl's write-only sheet streams its rows to a named temporary file of its
        # own, removed only when the workbook is saved: remove it on any failure.
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):  # the rows' generator, then the file
                if sheet._rows is not None:
                    sheet._rows.close()
                writer.close()
            writer.cleanup()
        raise
    output.seek(0)
    return output


ABOUT_TITLE = "À propos"
ABOUT_WIDTHS = (34, 90)
LINE_HEIGHT = 15  # points, a line of Calibri 11
WRAP = Alignment(wrap_text=True, vertical="top")


def _about_sheet(sheet, about):
    """Two columns of text: a label in bold, then what it says (wrapped); printed, both
    columns fit a page's width."""
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for index, width in enumerate(ABOUT_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for number, row in enumerate(about, start=1):
        # A write-only sheet's rows keep the height they are given: a long text gets
        # the lines it wraps onto (about a character per unit of width; labels fit).
        lines = -(-len(str(row[-1])) // (ABOUT_WIDTHS[-1] - 8))
        if lines > 1:
            sheet.row_dimensions[number].height = LINE_HEIGHT * lines
        cells = []
        for position, text in enumerate(row):
            cell = WriteOnlyCell(sheet, value=defuse(xlsx_text(str(text))))
            cell.alignment = WRAP
            if position == 0:
                cell.font = HEADER_FONT
            cells.append(cell)
        sheet.append(cells)


# A column's width in characters, for its kind (a write-only sheet is sized before its
# rows come): names are wide, figures narrow; never narrower than the header.
WIDTHS = {TEXT: 44, NUMBER: 12, COUNT: 12, AMOUNT: 18, RATE: 12, DATE: 16}


def _prepare_sheet(sheet, headers, kinds):
    """The header row stays on screen (and on every printed page); each column is as wide
    as its kind; printed, the columns fit a landscape page's width."""
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for index, (header, kind) in enumerate(zip(headers, kinds, strict=True), start=1):
        width = max(WIDTHS.get(kind, WIDTHS[TEXT]), len(str(header)) + 2)
        sheet.column_dimensions[get_column_letter(index)].width = width


def _header_cell(sheet, header, kind):
    """Bold; over figures, right-aligned as they are."""
    cell = WriteOnlyCell(sheet, value=defuse(xlsx_text(str(header))))
    cell.font = HEADER_FONT
    if kind in FIGURES:
        cell.alignment = RIGHT
    return cell


def xlsx_text(value):
    """Text an XLSX cell can hold: a vertical tab or form feed (which Word puts in a
    pasted text) becomes a line break, other control characters are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: "\n" if m.group() in "\x0b\x0c" else "", value)


def _cell_for_xlsx(sheet, value, kind):
    if isinstance(value, str):
        return defuse(xlsx_text(value))
    number_format = XLSX_FORMATS.get(kind)
    if isinstance(value, Amount):
        value, number_format = value.value, WHOLE_FORMAT if value.whole else number_format
    elif isinstance(value, datetime.datetime):
        value = timezone.localtime(value).replace(tzinfo=None)
        number_format = DATETIME_FORMAT
    if value is None or number_format is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _json_value(value):
    """A cell as JSON: numbers bare (a Decimal keeps its digits, never a float's),
    dates ISO, anything else a JSON string; None is null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return json.dumps(timezone.localtime(value).isoformat())
    if isinstance(value, datetime.date):
        return json.dumps(value.isoformat())
    return json.dumps(str(value), ensure_ascii=False)


def json_chunks(headers, rows):
    """Text chunks of a JSON array, one object a row keyed by the headers, a few hundred
    rows at a time (constant memory): `[`, the objects, `]`. Amounts and rates are JSON
    numbers written from their Decimal, so no digit is lost to a float."""
    keys = [json.dumps(str(header), ensure_ascii=False) for header in headers]
    yield "["
    lines, separator = [], "\n"
    for row in rows:
        fields = ", ".join(
            f"{key}: {_json_value(value)}" for key, value in zip(keys, row, strict=True)
        )
        lines.append(f"{separator}{{{fields}}}")
        separator = ",\n"
        if len(lines) >= ROWS_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)
    yield "\n]\n"
