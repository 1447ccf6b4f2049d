"""One writer for every report: CSV in two dialects, XLSX, or JSON; formulas defused in
CSV and XLSX (JSON is read by programs, never run as a spreadsheet). XLSX files are
written by XlsxWriter (openpyxl reads the imported ones)."""

import csv
import datetime
import json
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import xlsxwriter
from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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
    """An XLSX file, written as the rows come (XlsxWriter's constant_memory mode: each
    row goes to disk once the next starts); returns it open, at its start.

    about: rows of text for a second sheet, « À propos » (what the file holds).
    progress: a callable given the number of rows written so far, every PROGRESS_EVERY
    rows and once at the end (a background build shows it)."""
    # XlsxWriter's own temporary files (a sheet's rows, the parts of the zip) go in a
    # folder of their own, removed whatever happens; the finished file is unnamed.
    with tempfile.TemporaryDirectory(prefix="xlsx-") as folder:
        output = tempfile.TemporaryFile(suffix=".xlsx", dir=folder)  # noqa: SIM115 - the response closes it
        try:
            workbook = xlsxwriter.Workbook(
                output, {"constant_memory": True, "tmpdir": folder, "in_memory": False}
            )
            sheet = workbook.add_worksheet(title[:31])
            formats = _Formats(workbook)
            _prepare_sheet(sheet, headers, kinds)
            for index, (header, kind) in enumerate(zip(headers, kinds, strict=True)):
                header_format = formats.right_header if kind in FIGURES else formats.header
                sheet.write_string(0, index, defuse(xlsx_text(str(header))), header_format)
            last = _write_rows(
                sheet, [_cell_writer(sheet, kind, formats) for kind in kinds], rows, progress
            )
            if headers:  # the filter spans every row
                sheet.autofilter(0, 0, last, len(headers) - 1)
            if about:
                _about_sheet(workbook.add_worksheet(ABOUT_TITLE), about, formats)
            workbook.close()
        except BaseException:
            output.close()
            raise
    output.seek(0)
    return output


PROGRESS_EVERY = 1000


def _write_rows(sheet, writers, rows, progress):
    """Writes the rows under the header; returns the last row's index (0: none)."""
    number = 0
    for number, row in enumerate(rows, start=1):
        for column, (write, value) in enumerate(zip(writers, row, strict=True)):
            if value is not None:
                write(number, column, value)
        if progress is not None and not number % PROGRESS_EVERY:
            progress(number)
    if progress is not None:
        progress(number)
    return number


class _Formats:
    """The workbook's formats, made once (XlsxWriter keeps one per distinct style)."""

    def __init__(self, workbook):
        self.header = workbook.add_format({"bold": True})
        self.right_header = workbook.add_format({"bold": True, "align": "right"})
        self.label = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.kinds = {
            kind: workbook.add_format({"num_format": number_format})
            for kind, number_format in XLSX_FORMATS.items()
        }
        self.whole = workbook.add_format({"num_format": WHOLE_FORMAT})
        self.datetime = workbook.add_format({"num_format": DATETIME_FORMAT})


# Excel's day 0 (its 1900 calendar, counted from 1900-03-01 on as every date here is).
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
EXCEL_EPOCH_DAY = EXCEL_EPOCH.date()


def _cell_writer(sheet, kind, formats):
    """One function per column, chosen once: (row, column, value) -> the cell written
    with the column's format; a value of another type than the column's is written by
    its own type (_any_cell)."""
    write_number, write_string = sheet.write_number, sheet.write_string

    def text(row, column, value):
        if value.__class__ is str:
            if value:
                write_string(row, column, defuse(xlsx_text(value)))
        else:
            _any_cell(sheet, formats, row, column, value)

    if kind == TEXT or kind not in FIGURES + (DATE,):
        return text

    if kind == DATE:
        zone = timezone.get_current_timezone()
        date_format, datetime_format = formats.kinds[DATE], formats.datetime

        def date(row, column, value):
            if isinstance(value, datetime.datetime):
                local = value.astimezone(zone).replace(tzinfo=None) - EXCEL_EPOCH
                write_number(row, column, local.days + local.seconds / 86400, datetime_format)
            elif isinstance(value, datetime.date):
                write_number(row, column, (value - EXCEL_EPOCH_DAY).days, date_format)
            else:
                text(row, column, value)

        return date

    number_format = formats.kinds.get(kind)
    if kind == AMOUNT:
        whole = formats.whole

        def amount(row, column, value):
            if value.__class__ is Amount:
                value, format_ = value.value, whole if value.whole else number_format
                if value is None:
                    return
            else:
                format_ = number_format
            if isinstance(value, str):
                text(row, column, value)
            else:
                write_number(row, column, value, format_)

        return amount

    def number(row, column, value):
        if isinstance(value, str):
            text(row, column, value)
        else:
            write_number(row, column, value, number_format)

    return number


def _any_cell(sheet, formats, row, column, value):
    """A value by its own type, where its column's kind does not say how."""
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, Amount):
        if value.value is not None:
            format_ = formats.whole if value.whole else formats.kinds[AMOUNT]
            sheet.write_number(row, column, value.value, format_)
    elif isinstance(value, datetime.datetime):
        local = timezone.localtime(value).replace(tzinfo=None) - EXCEL_EPOCH
        sheet.write_number(row, column, local.days + local.seconds / 86400, formats.datetime)
    elif isinstance(value, datetime.date):
        sheet.write_number(row, column, (value - EXCEL_EPOCH_DAY).days, formats.kinds[DATE])
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, value)
    else:
        sheet.write_string(row, column, defuse(xlsx_text(str(value))))


ABOUT_TITLE = "À propos"
ABOUT_WIDTHS = (34, 90)
LINE_HEIGHT = 15  # points, a line of Calibri 11


def _about_sheet(sheet, about, formats):
    """Two columns of text: a label in bold, then what it says (wrapped); printed, both
    columns fit a page's width."""
    sheet.fit_to_pages(1, 0)
    for index, width in enumerate(ABOUT_WIDTHS):
        sheet.set_column(index, index, width)
    for number, row in enumerate(about):
        # Rows keep the height they are given: a long text gets the lines it wraps
        # onto (about a character per unit of width; labels fit).
        lines = -(-len(str(row[-1])) // (ABOUT_WIDTHS[-1] - 8))
        if lines > 1:
            sheet.set_row(number, LINE_HEIGHT * lines)
        for position, text in enumerate(row):
            cell_format = formats.label if position == 0 else formats.wrapped
            text = defuse(xlsx_text(str(text)))
            if text:
                sheet.write_string(number, position, text, cell_format)
            else:
                sheet.write_blank(number, position, None, cell_format)


# A column's width in characters, for its kind (a streamed sheet is sized before its
# rows come): names are wide, figures narrow; never narrower than the header.
WIDTHS = {TEXT: 44, NUMBER: 12, COUNT: 12, AMOUNT: 18, RATE: 12, DATE: 16}


def _prepare_sheet(sheet, headers, kinds):
    """The header row stays on screen (and on every printed page); each column is as wide
    as its kind; printed, the columns fit a landscape page's width."""
    sheet.freeze_panes(1, 0)
    sheet.repeat_rows(0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    for index, (header, kind) in enumerate(zip(headers, kinds, strict=True)):
        width = max(WIDTHS.get(kind, WIDTHS[TEXT]), len(str(header)) + 2)
        sheet.set_column(index, index, width)


def xlsx_text(value):
    """Text an XLSX cell can hold: a vertical tab or form feed (which Word puts in a
    pasted text) becomes a line break, other control characters are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: "\n" if m.group() in "\x0b\x0c" else "", value)


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
