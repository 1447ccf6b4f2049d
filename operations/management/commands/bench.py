"""`make bench`: one table of the application against references doing the same work in
the same run (operations/benchmarks.py), section by section (bench_sections.SECTIONS):
queries at scale, server time against PostgreSQL, every report × format against COPY
and a plain loop with the worker's memory, the cache. On PostgreSQL (DATABASE_URL);
prints the table and writes it to docs/benchmarks.md (its own section of the file).
"""

import shutil
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from actors.models import Actor
from commitments.models import Commitment, Delivery
from operations.bench_sections import SECTIONS, machine
from operations.benchmarks import Bench, summary, table, write_section

ROOT = Path(settings.BASE_DIR)
COMMITMENTS_PER_SCALE = 300


class Command(BaseCommand):
    help = "Banc d'essai : une table, l'application contre des références du même travail."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=400, help="échelle de load_demo")
        parser.add_argument("--runs", type=int, default=3, help="meilleur de N")
        parser.add_argument("--duration", type=int, default=10, help="secondes de wrk")
        parser.add_argument("--connections", type=int, default=32)
        parser.add_argument("--port", type=int, help="port des serveurs (par défaut, un libre)")
        parser.add_argument(
            "--only",
            action="append",
            choices=[section.__name__ for section in SECTIONS],
            help="seulement cette section (répétable) ; la table n'est alors pas écrite",
        )
        parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))

    def handle(self, *args, scale, runs, duration, connections, port, only, output, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Le banc d'essai se mesure sur PostgreSQL (DATABASE_URL).")
        if not shutil.which("wrk"):
            raise CommandError("wrk manque : apt-get install -y wrk (make bench l'installe).")
        self._ensure_dataset(scale)
        bench = Bench(
            database=settings.DATABASES["default"]["NAME"],
            runs=runs,
            duration=duration,
            connections=connections,
            port=port,
            say=self.stdout.write,
        )
        rows = []
        for section in SECTIONS:
            if not only or section.__name__ in only:
                rows += section(bench)
        text = "\n".join(
            [
                f"- date : {datetime.now(UTC):%d/%m/%Y %H:%M} UTC",
                f"- machine : {machine()}",
                f"- données : load_demo --scale {scale} : {Commitment.objects.count()} "
                f"engagements, {Delivery.objects.count()} réalisations",
                f"- commande : `make bench` (manage.py bench --scale {scale} --runs {runs} "
                f"--duration {duration} --connections {connections}) ; meilleur de {runs}",
                f"- bilan : {summary(rows)}",
                "",
                table(rows),
                *[f"\n{note}" for note in bench.notes],
            ]
        )
        self.stdout.write(text)
        if not only:
            write_section(output, "bench", text)
            self.stdout.write(f"\nÉcrit dans {output}")

    def _ensure_dataset(self, scale):
        call_command("setup_roles", verbosity=0)
        if Commitment.objects.count() >= COMMITMENTS_PER_SCALE * scale * 0.9:
            return
        self.stdout.write(f"Chargement de la démo à l'échelle {scale} (une fois)…")
        call_command("load_forum", verbosity=0)
        call_command("load_demo", scale=scale, reset=True, verbosity=0)
        _vacuum()


def _vacuum():
    """What autovacuum does to a live database after a bulk load, done at once: the
    visibility map lets the admin's searches and counts read indexes alone, as they
    will in steady state (a fresh load has none, and the bench would measure the load)."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table) for model in (Actor, Commitment, Delivery)
    )
    with connection.cursor() as cursor:  # VACUUM runs outside a transaction (autocommit)
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
