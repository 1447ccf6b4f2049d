from django.core.management.base import BaseCommand, CommandError

from operations.backups import restore
from strategy.units import is_plural


class Command(BaseCommand):
    help = "Restaure une sauvegarde faite par `backup` (remplace le contenu de la base)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--target", help="une autre base (nom PostgreSQL ou fichier SQLite)")

    def handle(self, *args, file, target, **options):
        try:
            files = restore(file, target=target)
        except FileNotFoundError as error:
            raise CommandError(f"Sauvegarde introuvable : {error}") from error
        plural = "s" if is_plural(files) else ""
        self.stdout.write(f"Sauvegarde restaurée : {file} ({files} justificatif{plural} remis)")
