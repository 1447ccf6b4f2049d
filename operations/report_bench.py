"""The reports' benchmark, shared by `bench_reports` and `bench`: engagements.csv
against PostgreSQL's COPY of the same rows, the export's memory peak, and the import of
10 000 rows; then every CSV report in both dialects against a COPY of the rows it reads
(same joins, same filters) and against a plain `values_list` + `csv.writer` loop.
Ratios, not a pass/fail test."""

import csv
import io
import time
import tracemalloc

from django.core.management.base import CommandError
from django.db import connection, transaction

from reports.export_writers import DIALECTS, csv_chunks
from reports.exports import EXPORTERS, ReportFilters
from reports.imports import CommitmentImporter

IMPORT_ROWS = 10_000


class _Null(io.RawIOBase):
    """Swallows what COPY writes, as the export's bytes are swallowed below."""

    def write(self, data):
        return len(data)


def best_of(runs, function):
    timings = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
    return min(timings), result


def measure_reports(runs=3):
    """engagements.csv against COPY, memory peak, and the import of 10 000 rows."""
    exporter = EXPORTERS["engagements"]
    queryset = exporter.queryset(ReportFilters())

    def export():
        rows = 0
        for chunk in exporter.csv_chunks(queryset, "csv"):
            chunk.encode("utf-8")
            rows += chunk.count("\r\n")
        return rows - 1

    def copy():
        sql, params = queryset.order_by("pk").values(*exporter.FIELDS).query.sql_with_params()
        with connection.cursor() as cursor:
            statement = cursor.mogrify(sql, params).decode()
            cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH CSV HEADER", _Null())
            return cursor.rowcount

    export_seconds, rows = best_of(runs, export)
    copy_seconds, _ = best_of(runs, copy)
    tracemalloc.start()
    export()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    content = _import_file(exporter, queryset)
    importer = CommitmentImporter()
    start = time.perf_counter()
    plan = importer.plan(content)
    preview_seconds = time.perf_counter() - start
    if not plan.is_valid:
        raise CommandError(f"Import de test invalide : {plan.errors[:3]}")
    with transaction.atomic():
        start = time.perf_counter()
        counts = importer.apply(plan, by=None)
        apply_seconds = time.perf_counter() - start
        transaction.set_rollback(True)  # leave the benchmark data as it was

    return {
        "rows": rows,
        "export_rate": rows / export_seconds,
        "copy_rate": rows / copy_seconds,
        "peak_mb": peak / 1e6,
        "preview_seconds": preview_seconds,
        "apply_seconds": apply_seconds,
        "created": counts["create"],
    }


def report_lines(f):
    export_rate, copy_rate = f["export_rate"], f["copy_rate"]
    rows, peak = f["rows"], f["peak_mb"] * 1e6
    preview_seconds, apply_seconds = f["preview_seconds"], f["apply_seconds"]
    lines = [
        "| mesure | valeur | cible |",
        "|---|---|---|",
        f"| lignes exportées (engagements.csv) | {rows} | |",
        f"| export : lignes par seconde | {export_rate:,.0f} | |",
        f"| COPY de PostgreSQL : lignes par seconde | {copy_rate:,.0f} | |",
        f"| **ratio export / COPY** | **{export_rate / copy_rate:.2f}** | ≥ 0,5 |",
        f"| pic de mémoire Python pendant l'export | {peak / 1e6:.1f} Mo | < 50 Mo |",
        f"| import de {IMPORT_ROWS} lignes : aperçu | {preview_seconds:.1f} s | |",
        f"| import de {IMPORT_ROWS} lignes : écriture ({f['created']} créations) "
        f"| {apply_seconds:.1f} s | |",
        f"| **import total** | **{preview_seconds + apply_seconds:.1f} s** | < 30 s |",
    ]
    return lines


def _import_file(exporter, queryset):
    """10 000 new commitments: existing rows without their id, with a new title."""
    first_ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:IMPORT_ROWS])
    rows = exporter.rows(queryset.filter(pk__in=first_ids))
    fresh = (
        [None, *row[1:10], f"{row[10]} (import n° {index})", *row[11:]]
        for index, row in enumerate(rows, start=1)
    )
    chunks = csv_chunks(exporter.headers, fresh, "excel", kinds=exporter.kinds)
    return "".join(chunks).encode("utf-8")


# Every report at half the speed of COPY of the same rows, at least (issue 17).
TARGET = 0.5


def measure_every_report(runs=3):
    """Per report and dialect: seconds for the download as the app writes it, for the
    Python writer alone, for COPY of the rows it reads and for a plain loop."""
    results = []
    for exporter in EXPORTERS.values():
        queryset = exporter.queryset(ReportFilters())
        source = exporter.values(queryset)
        copy_seconds, rows = best_of(runs, lambda source=source: _copy_rows(source))
        plain_seconds, _ = best_of(runs, lambda source=source: _plain_csv(source))
        for dialect in DIALECTS:
            app_seconds, _ = best_of(
                runs,
                lambda exporter=exporter, queryset=queryset, dialect=dialect: _drain(
                    exporter.csv_chunks(queryset, dialect)
                ),
            )
            python_seconds, _ = best_of(
                runs,
                lambda exporter=exporter, queryset=queryset, dialect=dialect: _drain(
                    csv_chunks(
                        exporter.headers, exporter.rows(queryset), dialect, kinds=exporter.kinds
                    )
                ),
            )
            results.append(
                {
                    "report": exporter.name,
                    "dialect": dialect,
                    "rows": rows,
                    "database": exporter.sql_lines,
                    "copy": copy_seconds,
                    "app": app_seconds,
                    "python": python_seconds,
                    "plain": plain_seconds,
                }
            )
    return results


def every_report_lines(results):
    """The table: ratios are speeds relative to COPY (1.00 = as fast as COPY)."""
    lines = [
        "| rapport | dialecte | lignes | écrit par | COPY (s) | app (s) | **app / COPY** "
        "| écrivain Python (s) | Python / COPY | values_list + csv.writer (s) "
        "| boucle / COPY | cible |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = r["copy"] / r["app"]
        lines.append(
            f"| {r['report']} | {r['dialect']} | {r['rows']} "
            f"| {'PostgreSQL' if r['database'] else 'Python'} | {r['copy']:.2f} "
            f"| {r['app']:.2f} | **{ratio:.2f}×** | {r['python']:.2f} "
            f"| {r['copy'] / r['python']:.2f}× | {r['plain']:.2f} | {r['copy'] / r['plain']:.2f}× "
            f"| ≥ {TARGET}× : {'atteint' if ratio >= TARGET else 'manqué'} |"
        )
    lines.append("(durées absolues : propres à cette machine ; seuls les ratios se comparent)")
    return lines


def _drain(chunks):
    for chunk in chunks:
        chunk.encode("utf-8")


def _copy_rows(values):
    sql, params = values.query.sql_with_params()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH CSV HEADER", _Null())
        return cursor.rowcount


def _plain_csv(values):
    """The baseline: the same rows as tuples, written by csv.writer with no formatting."""
    writer = csv.writer(_Null(), lineterminator="\r\n")
    fields = list(values.query.values_select) + list(values.query.annotation_select)
    rows = values.values_list(*fields).iterator(chunk_size=2000)
    writer.writerows(rows)
