"""The XLSX writers side by side on the same rows, against COPY (PostgreSQL)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from operations.xlsx_bench import lines, measure


class Command(BaseCommand):
    help = (
        "Compare les écrivains XLSX (openpyxl, XlsxWriter, un écrivain en Rust s'il est "
        "installé) sur les mêmes lignes de realisations, face à COPY de ces lignes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=3)

    def handle(self, *args, rows, runs, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Ce banc d'essai compare à COPY : lancez-le sur PostgreSQL.")
        self.stdout.write("\n".join(lines(measure(rows, runs))))
