"""Benchmark of the admin import against COPY + INSERT … SELECT (PostgreSQL): a ratio,
not a pass/fail test."""

from django.core.management.base import BaseCommand

from operations.import_bench import IMPORT_ROWS, import_table_rows, measure_import


class Command(BaseCommand):
    help = (
        "Mesure l'import de 10 000 engagements dans l'administration (aperçu puis "
        "confirmation, validé) face à COPY des mêmes lignes dans une table temporaire et "
        "INSERT … SELECT, validé, dans le même passage."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3, help="garde le meilleur de N")
        parser.add_argument("--rows", type=int, default=IMPORT_ROWS)

    def handle(self, *args, runs, rows, **options):
        figures = measure_import(runs=runs, rows=rows)
        self.stdout.write("| | mesure | valeur (ratio) | cible |\n|---|---|---|---|")
        for part, what, value, target in import_table_rows(figures):
            self.stdout.write(f"| {part} | {what} | {value} | {target} |")
