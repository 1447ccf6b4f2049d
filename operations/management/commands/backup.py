from django.core.management.base import BaseCommand

from operations.backups import backup, default_path
from strategy.units import is_plural


class Command(BaseCommand):
    help = (
        "Sauvegarde la base (pg_dump sur PostgreSQL, copie cohérente sur SQLite) et les "
        "justificatifs, dans une archive tar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="archive à écrire (backups/suivi-<date>.tar sinon)")

    def handle(self, *args, output, **options):
        path, files = backup(output or default_path())
        plural = "s" if is_plural(files) else ""
        self.stdout.write(f"Sauvegarde écrite : {path} (la base et {files} justificatif{plural})")
