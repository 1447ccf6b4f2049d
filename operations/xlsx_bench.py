"""The XLSX writers compared on the same rows (`bench_xlsx`): openpyxl write-only (what
the reports used before), XlsxWriter in constant_memory mode, rustpy-xlsxwriter (a
Rust-backed writer) if it is installed, and reports/xlsx_stream.py (what the reports
use); each against COPY of the same rows (PostgreSQL). The rows are read once, before
any writer runs, so every writer writes exactly the same values; COPY reads them from
the database. Ratios, not a pass/fail test."""

import datetime
import tempfile
import tracemalloc
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from operations.report_bench import best_of, copy_rows
from reports.export_writers import (
    FIGURES,
    WHOLE_FORMAT,
    WIDTHS,
    XLSX_FORMATS,
    Amount,
    defuse,
    write_xlsx,
    xlsx_text,
)
from reports.exports import EXPORTERS, ReportFilters

REPORT = "realisations"  # the largest report, every kind of column


def bench_rows(count):
    """(exporter, its first `count` rows as the XLSX writer gets them, their values())."""
    exporter = EXPORTERS[REPORT]
    queryset = exporter.queryset(ReportFilters())
    # The first `count` in report order (by pk): a range, not a list of ids to match.
    last = exporter.ordered(queryset).values_list("pk", flat=True)[count - 1 : count]
    chosen = queryset.filter(pk__lte=last[0]) if last else queryset
    getters = [column.xlsx_getter() for column in exporter.columns]
    rows = [[get(record) for get in getters] for record in exporter.records(chosen)]
    return exporter, rows, chosen


def measure(count, runs=3):
    """Seconds (best of `runs`) and Python's memory peak for each writer, and for COPY.
    The writers given the rows already read first; then the reports' two ways, each
    reading its rows itself: Python's (xlsx_stream, SQLite's) and PostgreSQL's
    (xlsx_sql, which writes the rows' XML)."""
    exporter, rows, chosen = bench_rows(count)
    values = exporter.values(chosen)
    headers, kinds, title = exporter.headers, exporter.kinds, exporter.title
    writers = {
        "openpyxl (write-only)": lambda: _close(write_openpyxl(headers, kinds, rows, title)),
        "XlsxWriter (constant_memory)": lambda: _close(
            write_xlsxwriter(headers, kinds, rows, title)
        ),
    }
    try:
        import rustpy_xlsxwriter  # noqa: F401 - only measured where installed
    except ImportError:
        pass
    else:
        writers["rustpy-xlsxwriter (Rust)"] = lambda: write_rust(headers, rows, title)
    writers["xlsx_stream (les rapports)"] = lambda: _close(
        write_xlsx(headers, kinds, iter(rows), title)
    )

    def python_reading(chosen=chosen):
        getters = [column.xlsx_getter() for column in exporter.columns]
        read = ([get(record) for get in getters] for record in exporter.records(chosen))
        return write_xlsx(headers, kinds, read, title)

    writers["xlsx_stream, lecture comprise (SQLite)"] = lambda: _close(python_reading())
    writers["xlsx_sql, lecture comprise (PostgreSQL écrit les lignes)"] = lambda: _close(
        exporter.xlsx(chosen)
    )
    results = []
    for name, write in writers.items():
        seconds, _ = best_of(runs, write)
        tracemalloc.start()
        write()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results.append({"writer": name, "seconds": seconds, "peak_mb": peak / 1e6})
    copy_seconds, _ = best_of(runs, lambda: copy_rows(values))
    return {"rows": len(rows), "copy": copy_seconds, "writers": results}


def lines(figures):
    rows, copy = figures["rows"], figures["copy"]
    reference = figures["writers"][0]["seconds"]
    out = [
        f"{rows} lignes de {REPORT} ; COPY des mêmes lignes : {copy:.2f} s "
        f"({rows / copy:,.0f} lignes/s, absolu)",
        "| écrivain | durée (s, absolue) | lignes/s (absolu) | × openpyxl | / COPY "
        "| pic mémoire Python (Mo) |",
        "|---|---|---|---|---|---|",
    ]
    for r in figures["writers"]:
        out.append(
            f"| {r['writer']} | {r['seconds']:.2f} | {rows / r['seconds']:,.0f} "
            f"| {reference / r['seconds']:.1f}× | {copy / r['seconds']:.3f}× "
            f"| {r['peak_mb']:.1f} |"
        )
    out.append(
        "rustpy-xlsxwriter : un seul format pour tous les nombres, ni filtre ni largeurs "
        "de colonnes (il n'écrit donc pas tout à fait le même fichier)."
    )
    return out


def _close(output):
    output.close()


def write_openpyxl(headers, kinds, rows, title):
    """The reports' writer before XlsxWriter: openpyxl write-only, a cell object (and its
    style) for each formatted value, the time zone looked up on each time."""
    from django.utils import timezone

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    for index, (header, kind) in enumerate(zip(headers, kinds, strict=True), start=1):
        width = max(WIDTHS.get(kind, WIDTHS["text"]), len(str(header)) + 2)
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold, right = Font(bold=True), Alignment(horizontal="right")
    header_cells = []
    for header, kind in zip(headers, kinds, strict=True):
        cell = WriteOnlyCell(sheet, value=defuse(xlsx_text(str(header))))
        cell.font = bold
        if kind in FIGURES:
            cell.alignment = right
        header_cells.append(cell)
    sheet.append(header_cells)

    def cell_for(value, kind):
        if isinstance(value, str):
            return defuse(xlsx_text(value))
        number_format = XLSX_FORMATS.get(kind)
        if isinstance(value, Amount):
            value, number_format = value.value, WHOLE_FORMAT if value.whole else number_format
        elif isinstance(value, datetime.datetime):
            value = timezone.localtime(value).replace(tzinfo=None)
            number_format = "DD/MM/YYYY hh:mm"
        if value is None or number_format is None:
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell

    last = 1
    for row in rows:
        sheet.append([cell_for(value, kind) for value, kind in zip(row, kinds, strict=True)])
        last += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last}"
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned open
    workbook.save(output)
    return output


def write_xlsxwriter(headers, kinds, rows, title):
    """XlsxWriter in constant_memory mode, every format of the reports: a bold header,
    right-aligned over figures, frozen; widths; a filter; a number format per kind."""
    import xlsxwriter
    from django.utils import timezone

    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned open
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    sheet = workbook.add_worksheet(title[:31])
    bold = workbook.add_format({"bold": True})
    right = workbook.add_format({"bold": True, "align": "right"})
    formats = {kind: workbook.add_format({"num_format": f}) for kind, f in XLSX_FORMATS.items()}
    whole = workbook.add_format({"num_format": WHOLE_FORMAT})
    day_time = workbook.add_format({"num_format": "DD/MM/YYYY hh:mm"})
    sheet.freeze_panes(1, 0)
    sheet.repeat_rows(0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    for index, (header, kind) in enumerate(zip(headers, kinds, strict=True)):
        sheet.set_column(index, index, max(WIDTHS.get(kind, 44), len(header) + 2))
        sheet.write_string(0, index, header, right if kind in FIGURES else bold)
    zone = timezone.get_current_timezone()
    epoch = datetime.datetime(1899, 12, 30)

    def writer(kind):
        number_format = formats.get(kind)

        def write(row, column, value):
            if isinstance(value, str):
                if value:
                    sheet.write_string(row, column, defuse(xlsx_text(value)))
            elif isinstance(value, Amount):
                if value.value is not None:
                    sheet.write_number(
                        row, column, value.value, whole if value.whole else number_format
                    )
            elif isinstance(value, datetime.datetime):
                local = value.astimezone(zone).replace(tzinfo=None) - epoch
                sheet.write_number(row, column, local.days + local.seconds / 86400, day_time)
            elif isinstance(value, datetime.date):
                sheet.write_number(row, column, (value - epoch.date()).days, number_format)
            else:
                sheet.write_number(row, column, value, number_format)

        return write

    writers = [writer(kind) for kind in kinds]
    number = 0
    for number, row in enumerate(rows, start=1):
        for column, (write, value) in enumerate(zip(writers, row, strict=True)):
            if value is not None:
                write(number, column, value)
    sheet.autofilter(0, 0, number, len(headers) - 1)
    workbook.close()
    return output


def write_rust(headers, rows, title):
    """rustpy-xlsxwriter: records as dicts, one number format for every float, a frozen
    bold header; amounts as floats, times in the current zone without it."""
    from django.utils import timezone
    from rustpy_xlsxwriter import FastExcel

    def plain(value):
        if isinstance(value, Amount):
            value = value.value
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).replace(tzinfo=None)
        if isinstance(value, str):
            return defuse(xlsx_text(value))
        return value

    records = ({h: plain(v) for h, v in zip(headers, row, strict=True)} for row in rows)
    with tempfile.TemporaryFile(suffix=".xlsx") as output:
        excel = FastExcel(output).format(float_format="#,##0.00", bold_headers=True)
        excel.freeze(row=1, col=0).sheet(title[:31], records).save()
