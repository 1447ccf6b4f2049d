from django.core.management.base import BaseCommand

from operations.backups import backup, default_path


class Command(BaseCommand):
    help = "Sauvegarde la base (pg_dump sur PostgreSQL, copie cohérente sur SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="fichier à écrire (backups/suivi-<date> sinon)")

    def handle(self, *args, output, **options):
        path = backup(output or default_path())
        self.stdout.write(f"Sauvegarde écrite : {path}")
