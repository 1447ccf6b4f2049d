"""The XLSX writers compared on the same rows (`bench_xlsx`): openpyxl write-only (what
the reports used until XlsxWriter), XlsxWriter in constant_memory mode (what they use),
and rustpy-xlsxwriter, a Rust-backed writer, if it is installed; each against COPY of the
same rows (PostgreSQL). The rows are read once, before any writer runs, so every writer
writes exactly the same values; COPY reads them from the database. Ratios, not a
pass/fail test."""

import datetime
import tempfile
import tracemalloc
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from operations.report_bench import _copy_rows, best_of
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
    return exporter, rows, exporter.values(chosen)


def measure(count, runs=3):
    """Seconds (best of `runs`) and Python's memory peak for each writer, and for COPY."""
    exporter, rows, values = bench_rows(count)
    headers, kinds, title = exporter.headers, exporter.kinds, exporter.title
    writers = {
        "openpyxl (write-only)": lambda: _close(write_openpyxl(headers, kinds, rows, title)),
        "XlsxWriter (constant_memory)": lambda: _close(
            write_xlsx(headers, kinds, iter(rows), title)
        ),
    }
    try:
        import rustpy_xlsxwriter  # noqa: F401 - only measured where installed
    except ImportError:
        pass
    else:
        writers["rustpy-xlsxwriter (Rust)"] = lambda: write_rust(headers, rows, title)
    results = []
    for name, write in writers.items():
        seconds, _ = best_of(runs, write)
        tracemalloc.start()
        write()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results.append({"writer": name, "seconds": seconds, "peak_mb": peak / 1e6})
    copy_seconds, _ = best_of(runs, lambda: _copy_rows(values))
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
