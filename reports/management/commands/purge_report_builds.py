"""Deletes the reports built in the background once expired (a day), files and rows."""

from django.core.management.base import BaseCommand

from reports.builds import purge_expired


class Command(BaseCommand):
    help = "Supprime les fichiers de rapports préparés expirés (gardés un jour) et leurs lignes."

    def handle(self, *args, **options):
        count = purge_expired()
        self.stdout.write(f"{count} fichier(s) de rapport expiré(s) supprimé(s).")
