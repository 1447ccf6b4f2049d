"""Benchmark of the reports and the import (PostgreSQL): ratios, not a pass/fail test."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from commitments.models import Commitment
from operations.report_bench import (
    every_report_lines,
    measure_every_report,
    measure_reports,
    report_lines,
)


class Command(BaseCommand):
    help = (
        "Mesure chaque rapport CSV, dans les deux dialectes, face à COPY des mêmes lignes "
        "et à une simple boucle values_list + csv.writer ; puis l'import de 10 000 lignes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=400)
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument(
            "--reports-only", action="store_true", help="sans l'import de 10 000 lignes"
        )

    def handle(self, *args, scale, runs, reports_only, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Ce banc d'essai compare à COPY : lancez-le sur PostgreSQL.")
        expected = 300 * scale
        if Commitment.objects.count() < expected * 0.9:
            self.stdout.write(f"Chargement de la démo à l'échelle {scale}…")
            call_command("setup_roles", verbosity=0)
            call_command("load_forum", verbosity=0)
            start = time.perf_counter()
            call_command("load_demo", scale=scale, reset=True, verbosity=0)
            self.stdout.write(f"  load_demo --scale {scale} : {time.perf_counter() - start:.1f} s")

        self.stdout.write("\n".join(every_report_lines(measure_every_report(runs))))
        if not reports_only:
            figures = measure_reports(runs)
            self.stdout.write("\n".join(report_lines(figures)))
