"""One writer for every report: CSV in two dialects, XLSX, or JSON; formulas defused in
CSV and XLSX (JSON is read by programs, never run as a spreadsheet). XLSX files are
streamed by reports/xlsx_stream.py (openpyxl reads the imported ones)."""

import csv
import datetime
import json
import re
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.utils import timezone

from reports import xlsx_stream
from reports.xlsx_stream import (
    DAY,
    DAY_TIME,
    DECIMALS,
    GROUPED,
    HEADER,
    LABEL,
    PLAIN,
    RIGHT_HEADER,
    WRAPPED,
)
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


def csv_chunks(headers, rows, dialect="excel", kinds=None, progress=None):
    """Text chunks of the CSV file, a few hundred rows at a time (constant memory).

    excel: `;`, decimal comma, dd/mm/yyyy, with a BOM so that French Excel reads UTF-8;
    csv: RFC 4180 (`,`, CRLF), decimal point, ISO dates, no BOM. Times are written in
    the time zone current when this is called (the request's), not when it is read.
    progress: a callable given the number of rows written so far, with each chunk.
    """
    writer = _writer(dialect)
    zone = timezone.get_current_timezone()
    if kinds is None:
        formatters = [lambda value: _cell_for_csv(value, dialect, zone)] * len(headers)
    else:
        formatters = [_csv_formatter(kind, dialect, zone) for kind in kinds]
    return _csv_lines(writer, csv_header(headers, dialect), rows, formatters, progress)


def _csv_lines(writer, header, rows, formatters, progress):
    yield header
    writerow, lines, written = writer.writerow, [], 0
    for row in rows:
        lines.append(
            writerow([format_(value) for format_, value in zip(formatters, row, strict=True)])
        )
        if len(lines) >= ROWS_PER_CHUNK:
            written += len(lines)
            if progress is not None:
                progress(written)
            yield "".join(lines)
            lines = []
    if progress is not None:
        progress(written + len(lines))
    if lines:
        yield "".join(lines)


def write_xlsx(headers, kinds, rows, title, about=(), progress=None):
    """An XLSX file, its rows streamed into it as they come (reports/xlsx_stream.py);
    returns it open, at its start.

    about: rows of text for a second sheet, « À propos » (what the file holds).
    progress: a callable given the number of rows written so far, every few hundred
    rows and once at the end (a background build shows it)."""
    # The file is made in a folder of its own, removed whatever happens; the file
    # itself is unnamed (TemporaryFile), so nothing is left once it is closed.
    with tempfile.TemporaryDirectory(prefix="xlsx-") as folder:
        output = tempfile.TemporaryFile(suffix=".xlsx", dir=folder)  # noqa: SIM115 - the response closes it
        package = None
        try:
            package = xlsx_stream.Package(output)
            widths = [_width(header, kind) for header, kind in zip(headers, kinds, strict=True)]
            sheet = xlsx_stream.Sheet(title, widths, frozen_header=True, landscape=True)
            package.write_sheet(sheet, _report_rows(sheet, headers, kinds, rows, progress))
            if about:
                package.write_sheet(
                    xlsx_stream.Sheet(ABOUT_TITLE, ABOUT_WIDTHS), _about_rows(about)
                )
            package.close()
        except BaseException:
            if package is not None:
                package.abandon()
            output.close()
            raise
    output.seek(0)
    return output


def _report_rows(sheet, headers, kinds, rows, progress):
    """The rows' XML, a chunk of rows at a time; the filter spans them all. rows: the
    values, row by row, or the rows' XML the database wrote (xlsx_sql.WrittenRows)."""
    letters = xlsx_stream.column_letters(len(headers))
    header = [
        xlsx_stream.text_cell(letter, RIGHT_HEADER if kind in FIGURES else HEADER)(
            1, defuse(xlsx_text(str(name)))
        )
        for letter, name, kind in zip(letters, headers, kinds, strict=True)
    ]
    yield xlsx_stream.row_xml(1, header)
    if hasattr(rows, "chunks"):
        yield from rows.chunks(progress)
        number = rows.written + 1
    else:
        number = yield from _written_rows(letters, kinds, rows, progress)
    if headers:
        sheet.filter_ref = f"A1:{letters[-1]}{number}"


def _written_rows(letters, kinds, rows, progress):
    """The values' rows as XML, from row 2 on; returns the last row's number."""
    zone = timezone.get_current_timezone()
    cells = [
        _cell_template(letter, kind, zone) for letter, kind in zip(letters, kinds, strict=True)
    ]
    lines, number = [], 1
    for number, row in enumerate(rows, start=2):
        written = "".join(
            [
                cell(number, value)
                for cell, value in zip(cells, row, strict=True)
                if value is not None
            ]
        )
        lines.append(f'<row r="{number}">{written}</row>')
        if len(lines) >= xlsx_stream.CHUNK_ROWS:
            yield "".join(lines)
            lines = []
            if progress is not None:
                progress(number - 1)
    if lines or number == 1:
        yield "".join(lines)
        if progress is not None:
            progress(number - 1)
    return number


# Excel's day 0 (its 1900 calendar, right from 1900-03-01 on, as every date here is).
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
EXCEL_EPOCH_DAY = EXCEL_EPOCH.date()
NUMBERS = (int, Decimal, float)


def _cell_template(letter, kind, zone):
    """One function per column, chosen once: (row, value) -> the cell's XML in the
    column's format; a value of another type than the column's is written by its own
    type (_any_cell). `zone`: the time zone times are written in, resolved once."""
    text_cell = xlsx_stream.text_cell(letter)

    def text(row, value):
        if value.__class__ is str:
            value = xlsx_text(value)  # may leave nothing: a text of control characters
            return text_cell(row, defuse(value)) if value else ""
        return _any_cell(letter, row, value, zone)

    if kind == DATE:
        day, day_time = (
            xlsx_stream.number_cell(letter, DAY),
            xlsx_stream.number_cell(letter, DAY_TIME),
        )

        def date(row, value):
            if isinstance(value, datetime.datetime):
                return day_time(row, _excel_time(value, zone))
            if isinstance(value, datetime.date):
                return day(row, (value - EXCEL_EPOCH_DAY).days)
            return text(row, value)

        return date
    if kind == AMOUNT:
        whole = xlsx_stream.number_cell(letter, GROUPED)
        decimals = xlsx_stream.number_cell(letter, DECIMALS)

        def amount(row, value):
            if value.__class__ is Amount:
                if value.value is None:
                    return ""
                return (whole if value.whole else decimals)(row, value.value)
            if value.__class__ in NUMBERS:
                return decimals(row, value)
            return text(row, value)

        return amount
    if kind in FIGURES:
        style = xlsx_stream.STYLE_OF_FORMAT.get(XLSX_FORMATS.get(kind), PLAIN)
        number_cell = xlsx_stream.number_cell(letter, style)

        def number(row, value):
            if value.__class__ in NUMBERS:
                return number_cell(row, value)
            return text(row, value)

        return number
    return text


UNIX_EPOCH = datetime.datetime(1970, 1, 1)
UNIX_EPOCH_SERIAL = (UNIX_EPOCH - EXCEL_EPOCH).days  # 25569
SECOND = datetime.timedelta(seconds=1)


def _excel_time(value, zone):
    """A time as Excel's serial number (days and their fraction) in `zone`, as text:
    the seconds since 1970 as the nearest double, then / 86400 + 25569 in floating
    point, written in the fewest digits that read back the same, without `.0`: what
    xlsx_sql.date_cell has PostgreSQL compute and write (the same operations on the same
    doubles)."""
    local = value.astimezone(zone).replace(tzinfo=None)
    serial = (local - UNIX_EPOCH) / SECOND / 86400 + UNIX_EPOCH_SERIAL
    return repr(serial).removesuffix(".0")


def _any_cell(letter, row, value, zone):
    """A value by its own type, where its column's kind does not say how."""
    if isinstance(value, bool):
        return xlsx_stream.bool_cell(letter)(row, value)
    if isinstance(value, Amount):
        if value.value is None:
            return ""
        style = GROUPED if value.whole else DECIMALS
        return xlsx_stream.number_cell(letter, style)(row, value.value)
    if isinstance(value, datetime.datetime):
        return xlsx_stream.number_cell(letter, DAY_TIME)(row, _excel_time(value, zone))
    if isinstance(value, datetime.date):
        return xlsx_stream.number_cell(letter, DAY)(row, (value - EXCEL_EPOCH_DAY).days)
    if isinstance(value, NUMBERS):
        return xlsx_stream.number_cell(letter)(row, value)
    text = defuse(xlsx_text(str(value)))
    return xlsx_stream.text_cell(letter)(row, text) if text else ""


ABOUT_TITLE = "À propos"
ABOUT_WIDTHS = (34, 90)
LINE_HEIGHT = 15  # points, a line of Calibri 11


def _about_rows(about):
    """Two columns of text: a label in bold, then what it says (wrapped); printed, both
    columns fit a page's width."""
    label, wrapped = xlsx_stream.text_cell("A", LABEL), xlsx_stream.text_cell("B", WRAPPED)
    lines = []
    for number, row in enumerate(about, start=1):
        # Rows keep the height they are given: a long text gets the lines it wraps
        # onto (about a character per unit of width; labels fit).
        height = -(-len(str(row[-1])) // (ABOUT_WIDTHS[-1] - 8))
        cells = []
        for cell, style, letter, text in zip(
            (label, wrapped), (LABEL, WRAPPED), "AB", row, strict=True
        ):
            text = defuse(xlsx_text(str(text)))
            cells.append(cell(number, text) if text else f'<c r="{letter}{number}" s="{style}"/>')
        lines.append(
            xlsx_stream.row_xml(number, cells, LINE_HEIGHT * height if height > 1 else None)
        )
    yield "".join(lines)


# A column's width in characters, for its kind (a streamed sheet is sized before its
# rows come): names are wide, figures narrow; never narrower than the header.
WIDTHS = {TEXT: 44, NUMBER: 12, COUNT: 12, AMOUNT: 18, RATE: 12, DATE: 16}


def _width(header, kind):
    return max(WIDTHS.get(kind, WIDTHS[TEXT]), len(str(header)) + 2)


# What XML 1.0, so an XLSX, cannot hold of a text PostgreSQL can: the control characters
# but tab, LF and CR, and the non-characters U+FFFE and U+FFFF (one of them in a cell made
# the whole sheet unreadable: LibreOffice cut it there).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# An Excel cell holds 32 767 characters: a longer text is cut, leaving room for the
# apostrophe that defuses a formula.
CELL_CHARACTERS = 32_766


def xlsx_text(value):
    """Text an XLSX cell can hold: a vertical tab or form feed (which Word puts in a
    pasted text) becomes a line break, the other characters XML cannot hold are dropped,
    and the text is cut to CELL_CHARACTERS (xlsx_sql does the same in SQL)."""
    cleaned = NOT_IN_XML.sub(lambda m: "\n" if m.group() in "\x0b\x0c" else "", value)
    return cleaned[:CELL_CHARACTERS]


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
