import shutil
import sys

from django.core.management.base import BaseCommand, CommandError

from reports.export_writers import DIALECTS
from reports.exports import ALL, EXPORTERS, VISIBILITIES
from reports.forms import ReportFilterForm


class Command(BaseCommand):
    help = "Écrit un rapport (engagements, realisations, synthese, acteurs) en CSV ou XLSX."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(EXPORTERS))
        parser.add_argument("--dialect", choices=DIALECTS, default="excel")
        parser.add_argument("--format", choices=["csv", "xlsx"], help="déduit de --output")
        parser.add_argument("--output", help="fichier à écrire (sortie standard sinon)")
        for name in ("issue", "measure", "territory", "year", "actor-kind", "status"):
            parser.add_argument(f"--{name}", help="même valeur que dans l'adresse du rapport")
        parser.add_argument(
            "--visibility",
            choices=[value for value, _label in VISIBILITIES],
            default=ALL,
            help="public : les engagements publics seulement ; all (défaut) : tous",
        )

    def handle(self, *args, name, dialect, output, **options):
        fmt = options["format"] or ("xlsx" if (output or "").endswith(".xlsx") else "csv")
        form = ReportFilterForm(
            {
                key: options[key.replace("-", "_")] or ""
                for key in ("issue", "measure", "territory", "year", "actor-kind", "status")
            }
            | {"actor_kind": options["actor_kind"] or "", "visibility": options["visibility"]}
        )
        if not form.is_valid():
            raise CommandError(form.error_text())
        exporter = EXPORTERS[name]
        filters = form.filters()
        queryset = exporter.queryset(filters)
        if fmt == "xlsx":
            if not output:
                raise CommandError("Le format XLSX demande --output FICHIER.xlsx")
            with exporter.xlsx(queryset, filters) as xlsx, open(output, "wb") as target:
                shutil.copyfileobj(xlsx, target)
            return
        chunks = exporter.csv_chunks(queryset, dialect)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as target:
                target.writelines(chunks)
        else:
            sys.stdout.writelines(chunks)
