"""The reports' rows of `make bench`: every report in every format, downloaded over HTTP
from gunicorn as a manager, against PostgreSQL's COPY of the same rows (same joins, same
filters: the values the report reads, in its order) and against a plain `values_list` +
`csv.writer` loop over them, with the gunicorn worker's peak RSS during the download.
Ratios are speeds: COPY's time over the download's (1 = as fast as COPY)."""

import csv
import io
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection

from actors.scopes import scope_of
from operations.benchmarks import Row, Target, absolute
from operations.load import received_a_file
from operations.servers import Session, gunicorn_server
from reports.exports import EXPORTERS, ReportFilters

MANAGER = "gestionnaire.demo"
# Issue 17: every CSV at half the speed of COPY of its rows at least, every XLSX at a tenth.
TARGETS = {"csv": Target(0.5), "xlsx": Target(0.1)}
# Streamed in bounded memory: the worker grows by less than this, whatever the rows
# (our choice; the export must not hold the file).
RSS_GROWTH = Target(100, at_least=False, unit="Mo")
# A download slower than this is measured once, not best of N (realisations.xlsx took
# six minutes at scale 400 when this was written).
REPEAT_UNDER = 60


class _Null(io.RawIOBase):
    """Swallows what COPY writes, as the download's bytes are swallowed."""

    def write(self, data):
        return len(data)


def best_of(runs, function, repeat_under=None):
    """(fastest seconds, last result) of `runs` calls; a single call when it took longer
    than `repeat_under` seconds."""
    timings = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
        if repeat_under is not None and timings[-1] > repeat_under:
            break
    return min(timings), result


def formats(name):
    """(label, kind, address) of each download of the report."""
    return [
        ("CSV excel", "csv", f"/rapports/{name}.csv?dialect=excel"),
        ("CSV csv", "csv", f"/rapports/{name}.csv?dialect=csv"),
        ("XLSX", "xlsx", f"/rapports/{name}.xlsx"),
    ]


def missed_reason(exporter, kind):
    """Why a download is slower than its target, from how it is written."""
    if kind == "xlsx":
        if exporter.sql_xlsx:
            return (
                "lignes XML écrites par PostgreSQL (reports/xlsx_sql.py) : le reste est "
                "la compression du zip"
            )
        return "cellules écrites en Python (reports/xlsx_stream.py, un modèle par colonne)"
    if exporter.sql_lines and not exporter.sql_xlsx:  # grouped rows (synthese)
        return (
            "peu de lignes, groupées par PostgreSQL : la requête qui y ajoute noms et ordre "
            "trie sur disque au work_mem par défaut (4 Mo), plus lente que le regroupement "
            "seul ; le téléchargement compte aussi ses engagements d'abord"
        )
    if exporter.sql_lines:
        return (
            "lignes écrites par PostgreSQL, qui met en forme chaque cellule (plus long que "
            "COPY des seules valeurs) ; s'y ajoute le coût fixe de la requête"
        )
    return "lignes écrites en Python (reports/export_writers.py), pas par PostgreSQL"


def rows_for(name, exporter, kind, label, count, app, copy, plain, rest, peak):
    """The three rows of one download: against COPY, against the plain loop, its RSS."""
    what = f"{name} {label} ({count} lignes)"
    return [
        Row(
            f"{what} contre COPY des mêmes lignes",
            absolute(app),
            f"COPY {absolute(copy)}",
            copy / app,
            TARGETS[kind],
            reason=missed_reason(exporter, kind),
        ),
        Row(
            f"{what} contre values_list + csv.writer",
            absolute(app),
            f"boucle {absolute(plain)}",
            plain / app,
        ),
        Row(
            f"{what} : pic de RSS du worker gunicorn (cible : croissance au-dessus du repos)",
            f"{absolute(peak, 'Mo')} (+{peak - rest:.0f} Mo)",
            f"au repos {absolute(rest, 'Mo')}",
            peak / rest,
            RSS_GROWTH,
            value=peak - rest,
            reason="la mémoire du worker croît avec les lignes",
        ),
    ]


# Thresholds no report reaches: the bench measures every download in the request.
IN_THE_REQUEST = 10**12


def reports(bench):
    """Section: every report × format, over HTTP, one gunicorn worker."""
    bench.say("Rapports : chaque rapport et format, en HTTP, contre COPY et une boucle…")
    manager = get_user_model().objects.get(username=MANAGER)
    filters = ReportFilters(scope=scope_of(manager))
    rows = []
    # One worker, so that its peak RSS is the download's; every download served in the
    # request, never built in the background (a build's file is written by the same
    # writer: what is measured is the writer's speed, the work a build does).
    with gunicorn_server(
        bench.database,
        bench.port,
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        REPORT_BACKGROUND_ROWS_CSV=str(IN_THE_REQUEST),
        REPORT_BACKGROUND_ROWS_XLSX=str(IN_THE_REQUEST),
    ) as server:
        session = Session(server.port, timeout=3600)
        if not session.login(MANAGER):
            raise CommandError(f"Connexion de {MANAGER} refusée : la démo est-elle chargée ?")
        (worker,) = server.workers()
        session.request("GET", "/rapports/")  # the worker has imported what it needs
        rest = resident_mb(worker)
        for name, exporter in EXPORTERS.items():
            source = exporter.values(exporter.queryset(filters))
            copy, count = best_of(bench.runs, lambda source=source: copy_rows(source))
            plain, _ = best_of(bench.runs, lambda source=source: plain_csv(source))
            for label, kind, address in formats(name):
                bench.say(f"  {address}")
                peaks = []

                def download(address=address, peaks=peaks):
                    reset_peak(worker)
                    fetch_file(session, address)
                    peaks.append(peak_mb(worker))

                app, _ = best_of(bench.runs, download, repeat_under=REPEAT_UNDER)
                rows += rows_for(
                    name, exporter, kind, label, count, app, copy, plain, rest, max(peaks)
                )
    return rows


def fetch_file(session, address):
    """Download `address` whole; CommandError unless the answer is the file (a page, e.g.
    the one offering to prepare it in the background, would time something else)."""
    status, _ = session.request("GET", address, keep=False)
    if not received_a_file(session, status):
        raise CommandError(
            f"{address} : réponse {status} ({session.content_type or 'vide'}), "
            "pas de fichier téléchargé."
        )


def copy_rows(values):
    """COPY of the rows `values` reads, as CSV, to nowhere; returns their number."""
    sql, params = values.query.sql_with_params()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH CSV HEADER", _Null())
        return cursor.rowcount


def plain_csv(values):
    """The baseline: the same rows as tuples, written by csv.writer with no formatting."""
    writer = csv.writer(_Null(), lineterminator="\r\n")
    fields = list(values.query.values_select) + list(values.query.annotation_select)
    writer.writerows(values.values_list(*fields).iterator(chunk_size=2000))


def _status(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB -> MB
    raise CommandError(f"{field} absent de /proc/{pid}/status")


def resident_mb(pid):
    return _status(pid, "VmRSS")


def peak_mb(pid):
    """The process's peak RSS since reset_peak()."""
    return _status(pid, "VmHWM")


def reset_peak(pid):
    """Linux: writing 5 to clear_refs sets the peak RSS back to the current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
