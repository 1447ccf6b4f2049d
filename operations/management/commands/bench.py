"""`make bench`: where the application stands against the machine's own limits.

On PostgreSQL (DATABASE_URL). Prints one table and writes it to docs/benchmarks.md:
  a. queries of the main pages at scale 1 and at scale 400 (equal);
  b. server time of /, an issue and a measure page against PostgreSQL's own time for
     the same queries (cold path: no cache);
  c. engagements.csv against COPY of the same rows, and the export's memory peak;
  d. throughput and p50/p99 of / under gunicorn at 32 connections, against /robots.txt
     served by the same server in the same run (wrk);
  e. load_demo's time per 100 000 deliveries.
Timings are ratios against references measured in the same run: this machine is shared.
"""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from commitments.models import Commitment, Delivery
from operations.report_bench import measure_reports
from operations.servers import database_url, gunicorn_on_loopback

ROOT = Path(settings.BASE_DIR)
NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
TIMED_PAGES = ["/", "/enjeux/urgence-sociale/", "/mesures/places-hebergement-urgence/"]
LOAD_SCALE = 160  # the throwaway database of (e): about 240 000 deliveries


def _manage(*args, database=None, env=None, capture=True):
    environment = {**os.environ, "DEBUG": "on", **(env or {})}
    if database:
        environment["DATABASE_URL"] = database_url(database)
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=environment,
        capture_output=capture,
        text=True,
        check=False,
    )
    if result.returncode:
        raise CommandError(f"manage.py {' '.join(args)} : {result.stderr[-2000:]}")
    return result.stdout


def _recreate(name):
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')


def _drop(name):
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _number(value):
    """12345.6 -> `12 346` (narrow no-break spaces), for the French table."""
    return f"{value:,.0f}".replace(",", "\u202f")


def _median_seconds(function, runs):
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


class Command(BaseCommand):
    help = "Banc d'essai : requêtes, temps serveur, export, charge, chargement de la démo."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=400)
        parser.add_argument("--duration", type=int, default=20, help="secondes de charge")
        parser.add_argument("--connections", type=int, default=32)
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))

    def handle(self, *args, scale, duration, connections, runs, output, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Le banc d'essai se mesure sur PostgreSQL (DATABASE_URL).")
        if not shutil.which("wrk"):
            raise CommandError("wrk manque : apt-get install -y wrk (make bench l'installe).")
        self.name = settings.DATABASES["default"]["NAME"]
        self.loaded_now = self._ensure_dataset(scale)
        self.notes = []
        rows = []
        rows += self._queries()
        rows += self._server_time(runs)
        rows += self._reports()
        rows += self._load(duration, connections)
        rows += self._load_demo_time()
        table = self._table(rows, scale)
        self.stdout.write(table)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(table, encoding="utf-8")
        self.stdout.write(f"\nÉcrit dans {output}")

    def _ensure_dataset(self, scale):
        call_command("setup_roles", verbosity=0)  # also for a base loaded by bench_reports
        if Commitment.objects.count() >= 300 * scale * 0.9:
            return False
        self.stdout.write(f"Chargement de la démo à l'échelle {scale} (une fois)…")
        call_command("load_forum", verbosity=0)
        call_command("load_demo", scale=scale, reset=True, verbosity=0)
        return True

    def _queries(self):
        self.stdout.write("a. requêtes à l'échelle 1 et à l'échelle de la base…")
        small = f"{self.name}_echelle1"
        _recreate(small)
        try:
            for command in (
                ["migrate", "-v0"],
                ["setup_roles", "-v0"],
                ["load_forum", "-v0"],
                ["load_demo", "-v0"],
            ):
                _manage(*command, database=small)
            at_one = json.loads(_manage("bench_queries", database=small))
        finally:
            connection.close()
            _drop(small)
        at_scale = json.loads(_manage("bench_queries", database=self.name))
        rows = []
        for page, count in at_one.items():
            equal = "égales" if at_scale[page] == count else "**DIFFÉRENTES**"
            rows.append(("a", f"requêtes {page}", f"{count} / {at_scale[page]}", equal))
        return rows

    @override_settings(CACHES=NO_CACHE, ALLOWED_HOSTS=["*"], DEBUG=False)
    def _server_time(self, runs):
        self.stdout.write("b. temps serveur contre temps de PostgreSQL…")
        client = Client()
        rows = []
        for address in TIMED_PAGES:
            client.get(address)
            with CaptureQueriesContext(connection) as captured:
                client.get(address)
            statements = [query["sql"] for query in captured.captured_queries]
            server = _median_seconds(lambda a=address: client.get(a), runs)

            def database(statements=statements):
                with connection.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql)
                        cursor.fetchall()

            database_time = _median_seconds(database, runs)
            ratio = server / database_time
            rows.append(
                (
                    "b",
                    f"{address} (sans cache) : serveur {server * 1000:.0f} ms, "
                    f"PostgreSQL seul {database_time * 1000:.0f} ms",
                    f"{ratio:.2f}×",
                    "≤ 2×",
                )
            )
        return rows

    def _reports(self):
        self.stdout.write("c. export engagements.csv contre COPY…")
        f = measure_reports(runs=3)
        ratio = f["export_rate"] / f["copy_rate"]
        if ratio < 0.5:
            self.notes.append(
                "**c manqué.** PostgreSQL écrit pourtant les lignes lui-même "
                "(`reports/export_sql.py`, un `COPY (SELECT ligne …) TO STDOUT`) : le reste "
                "est la relecture du fichier temporaire, le décodage UTF-8 et le coût des "
                "expressions par cellule. Sur une machine partagée, relancer avant de conclure."
            )
        return [
            (
                "c",
                f"engagements.csv : {_number(f['export_rate'])} lignes/s, COPY "
                f"{_number(f['copy_rate'])} lignes/s ({_number(f['rows'])} lignes)",
                f"{ratio:.2f}×",
                "≥ 0,5×",
            ),
            ("c", "pic de mémoire Python pendant l'export", f"{f['peak_mb']:.1f} Mo", "< 50 Mo"),
            (
                "c",
                "import de 10 000 engagements (aperçu + écriture)",
                f"{f['preview_seconds'] + f['apply_seconds']:.1f} s",
                "< 30 s",
            ),
        ]

    def _load(self, duration, connections):
        self.stdout.write(f"d. charge : {connections} connexions, {duration} s par adresse…")
        with gunicorn_on_loopback(database=self.name) as port:
            base = f"http://127.0.0.1:{port}"
            urllib.request.urlopen(f"{base}/", timeout=60).read()  # the cache is warm
            trivial = self._wrk(f"{base}/robots.txt", duration, connections)
            home = self._wrk(f"{base}/", duration, connections)
        backend = os.environ.get("CACHE_URL", "locmemcache://").split(":")[0]
        return [
            (
                "d",
                f"/robots.txt (vue triviale de référence) : {trivial['rps']:.0f} req/s, p50 "
                f"{trivial['p50']}, p99 {trivial['p99']}, erreurs {trivial['errors']}",
                "1×",
                "",
            ),
            (
                "d",
                f"/ (cache {backend}) : {home['rps']:.0f} req/s, p50 {home['p50']}, "
                f"p99 {home['p99']}, erreurs {home['errors']}",
                f"{home['rps'] / trivial['rps']:.2f}×",
                "≥ 0,5×, 0 erreur",
            ),
        ]

    def _wrk(self, url, duration, connections):
        result = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result)
        sockets = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", result
        )
        errors = int(non_2xx.group(1)) if non_2xx else 0
        errors += sum(int(n) for n in sockets.groups()) if sockets else 0
        return {
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1)),
            "p50": re.search(r"^\s+50%\s+(\S+)", result, re.M).group(1),
            "p99": re.search(r"^\s+99%\s+(\S+)", result, re.M).group(1),
            "errors": errors,
        }

    def _load_demo_time(self):
        self.stdout.write(f"e. load_demo --scale {LOAD_SCALE} dans une base jetable…")
        scratch = f"{self.name}_chargement"
        _recreate(scratch)
        try:
            _manage("migrate", "-v0", database=scratch)
            _manage("load_forum", "-v0", database=scratch)
            start = time.perf_counter()
            out = _manage("load_demo", "--scale", str(LOAD_SCALE), database=scratch)
            seconds = time.perf_counter() - start
        finally:
            connection.close()
            _drop(scratch)
        deliveries = int(re.search(r"(\d+) réalisations", out).group(1))
        per_100k = seconds / deliveries * 100_000
        return [
            (
                "e",
                f"load_demo --scale {LOAD_SCALE} : {deliveries} réalisations en {seconds:.1f} s "
                f"(processus compris) ; soit pour 1 000 000 : {per_100k * 10:.0f} s",
                f"{per_100k:.1f} s / 100 000",
                "1 000 000 en < 60 s",
            )
        ]

    def _table(self, rows, scale):
        memory = ""
        meminfo = Path("/proc/meminfo")
        if meminfo.exists():
            kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()).group(1))
            memory = f"{kb / 1024 / 1024:.0f} Gio"
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
        lines = [
            "# Banc d'essai",
            "",
            f"- date : {date.today():%d/%m/%Y}",
            f"- machine : {os.cpu_count()} cœurs, {memory}, {platform.platform()}",
            f"- PostgreSQL {pg_version} ; Python {platform.python_version()}",
            f"- données : load_demo --scale {scale} : {Commitment.objects.count()} engagements, "
            f"{Delivery.objects.count()} réalisations",
            "- commande : `DATABASE_URL=postgres://… make bench`",
            "",
            "| | mesure | valeur (ratio) | cible |",
            "|---|---|---|---|",
            *[f"| {part} | {what} | {value} | {target} |" for part, what, value, target in rows],
            "",
            *[f"{note}\n" for note in self.notes],
        ]
        return "\n".join(lines)
