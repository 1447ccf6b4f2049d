"""The import's benchmark (`bench_import`, PostgreSQL): 10 000 new commitments imported
through the admin, preview then confirmation, committed, against COPY of the same rows
into a temporary table and one INSERT … SELECT, committed, in the same run (issue 17).

Both sides do the same work: resolve each row's measure, actor and territory, write the
commitments and one history row each, and commit. The import does more on top (reading
the spreadsheet, checking every cell, the preview page, keeping the plan): the target is
to stay within 5× of the reference. Each side runs `runs` times and keeps its best time;
the rows written are deleted between runs, outside the timings. The two sides alternate,
so that a busy moment of this shared machine weighs on both.
"""

import csv
import io
import re
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from commitments.models import Commitment
from reports.export_writers import csv_chunks
from reports.exports import EXPORTERS, ReportFilters

IMPORT_ROWS = 10_000
TARGET = 5.0  # the import within 5× of the SQL reference
MARK = "(banc d'import n° "  # in every title written, to find and delete them
BENCH_USER = "banc.import"
# The columns the reference copies, and their order in its temporary table.
COPIED = ("mesure", "acteur_slug", "code_territoire", "territoire", "annee", "intitule")
COPIED += ("description", "statut", "public", "prevu")


def import_file(rows=IMPORT_ROWS):
    """`rows` new commitments as an agent would send them: the engagements export (Excel
    dialect) of existing commitments, without their id, with a new title, planned."""
    exporter = EXPORTERS["engagements"]
    queryset = exporter.queryset(ReportFilters())
    first_ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:rows])
    if len(first_ids) < rows:
        raise CommandError(f"Il faut au moins {rows} engagements : lancez load_demo --scale 40.")
    headers = exporter.headers
    at = {name: index for index, name in enumerate(headers)}
    lines = []
    for index, row in enumerate(exporter.rows(queryset.filter(pk__in=first_ids)), start=1):
        row = list(row)
        row[at["id"]] = None
        row[at["intitule"]] = f"{row[at['intitule']][:250]} {MARK}{index})"
        row[at["statut"]], row[at["note_cloture"]] = "Prévu", ""  # nothing delivered yet
        lines.append(row)
    content = "".join(csv_chunks(headers, lines, "excel", kinds=exporter.kinds)).encode()
    return content, [[row[at[name]] for name in COPIED] for row in lines]


def _delete_written():
    """The rows a run wrote, and their history, gone (not timed)."""
    with connection.cursor() as cursor:
        like = f"%{MARK}%"
        cursor.execute("DELETE FROM commitments_historicalcommitment WHERE title LIKE %s", [like])
        cursor.execute("DELETE FROM commitments_commitment WHERE title LIKE %s", [like])


def _admin_client():
    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def run_import(client, content):
    """Preview, then confirmation, as an agent does them in the admin: seconds of each."""
    address = reverse("admin:commitments_commitment_import")
    file = io.BytesIO(content)
    file.name = "engagements.csv"
    start = time.perf_counter()
    response = client.post(address, {"file": file}, secure=True)
    preview = time.perf_counter() - start
    page = response.content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    if response.status_code != 200 or token is None:
        raise CommandError(f"Aperçu refusé ({response.status_code}) : {_errors(page)}")
    start = time.perf_counter()
    response = client.post(address, {"token": token.group(1)}, secure=True)
    confirm = time.perf_counter() - start
    if response.status_code != 302:
        raise CommandError(f"Confirmation refusée ({response.status_code}).")
    return preview, confirm


def _errors(page):
    """The first errors of the preview page, for the message."""
    return re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td></tr>", page)[:3]


REFERENCE_SQL = """
WITH written AS (
    INSERT INTO commitments_commitment (
        actor_id, measure_id, territory_id, year, title, description, planned_amount,
        delivered_amount, status, closing_note, is_public, created_at, updated_at
    )
    SELECT a.id, m.id, t.id, f.annee::smallint, f.intitule, coalesce(f.description, ''),
        f.prevu::numeric, 0,
        CASE f.statut WHEN 'Prévu' THEN 'planned' WHEN 'En cours' THEN 'in_progress'
            WHEN 'Réalisé' THEN 'completed' WHEN 'Annulé' THEN 'cancelled' END,
        '', f.public = 'oui', now(), now()
    FROM import_reference f
    JOIN actors_actor a ON a.slug = f.acteur_slug
    JOIN strategy_measure m ON m.name = f.mesure
    JOIN strategy_territory t ON t.code = f.code_territoire AND t.name = f.territoire
    RETURNING id, actor_id, measure_id, territory_id, year, title, description,
        planned_amount, delivered_amount, status, closing_note, is_public, created_at,
        updated_at
)
INSERT INTO commitments_historicalcommitment (
    id, actor_id, measure_id, territory_id, year, title, description, planned_amount,
    delivered_amount, status, closing_note, is_public, created_at, updated_at,
    history_date, history_type, history_user_id, history_change_reason
)
SELECT id, actor_id, measure_id, territory_id, year, title, description, planned_amount,
    delivered_amount, status, closing_note, is_public, created_at, updated_at,
    now(), '+', NULL, NULL
FROM written
"""


def run_reference(rows):
    """COPY of the same rows into a temporary table, then INSERT … SELECT of the
    commitments and their history rows, committed: seconds, and rows written."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue()
    columns = ", ".join(f"{name} text" for name in COPIED)
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE import_reference ({columns})")
        cursor.copy_expert(
            f"COPY import_reference ({', '.join(COPIED)}) FROM STDIN WITH CSV",
            io.StringIO(data),
        )
        cursor.execute(REFERENCE_SQL)
        written = cursor.rowcount
        cursor.execute("DROP TABLE import_reference")
    return time.perf_counter() - start, written


def measure_import(runs=3, rows=IMPORT_ROWS):
    """Best of `runs` for the import (preview, confirmation) and for the reference."""
    if connection.vendor != "postgresql":
        raise CommandError("Ce banc d'essai compare à COPY : lancez-le sur PostgreSQL.")
    content, copied = import_file(rows)
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    best = None
    reference, written = None, 0
    _delete_written()
    try:
        # DEBUG would log every statement (and format its thousands of parameters):
        # both sides are measured as production runs them.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
            client = _admin_client()
            for _ in range(runs):
                preview, confirm = run_import(client, content)
                created = Commitment.objects.filter(title__contains=MARK).count()
                history = Commitment.history.filter(title__contains=MARK).count()
                if (created, history) != (rows, rows):
                    raise CommandError(
                        f"L'import a écrit {created} engagements et {history} lignes "
                        f"d'historique au lieu de {rows}."
                    )
                _delete_written()
                if best is None or preview + confirm < sum(best):
                    best = (preview, confirm)
                # The reference right after, so that both see the same load on this
                # shared machine.
                seconds, written = run_reference(copied)
                _delete_written()
                if written != rows:
                    raise CommandError(f"La référence a écrit {written} lignes au lieu de {rows}.")
                reference = seconds if reference is None else min(reference, seconds)
    finally:
        _delete_written()
    preview, confirm = best
    return {
        "rows": rows,
        "file_bytes": len(content),
        "preview_seconds": preview,
        "confirm_seconds": confirm,
        "import_seconds": preview + confirm,
        "reference_seconds": reference,
        "ratio": (preview + confirm) / reference,
    }


def import_table_rows(figures):
    """(part, what, value, target) rows for `make bench`'s table; seconds are absolute
    figures of this machine, labelled so; the ratio is what holds elsewhere."""
    ratio = figures["ratio"]
    verdict = "atteint" if ratio <= TARGET else "manqué"
    rows = f"{figures['rows']:,}".replace(",", "\u202f")
    return [
        (
            "import",
            f"import de {rows} engagements (aperçu + confirmation, validé) / COPY + "
            "INSERT … SELECT des mêmes lignes avec leur historique",
            f"{ratio:.1f}× ({verdict})",
            f"≤ {TARGET:.0f}×",
        ),
        (
            "import",
            "dont, en secondes absolues sur cette machine : aperçu / confirmation / référence",
            f"{figures['preview_seconds']:.2f} / {figures['confirm_seconds']:.2f} / "
            f"{figures['reference_seconds']:.2f} s",
            "",
        ),
    ]
