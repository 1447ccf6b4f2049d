"""Deletes the reports built in the background once expired (a day), files and rows, and
marks failed the builds whose worker went silent (REPORT_BUILD_STALE_AFTER)."""

from django.core.management.base import BaseCommand

from reports.builds import purge_expired


class Command(BaseCommand):
    help = "Supprime les fichiers de rapports préparés expirés (gardés un jour) et leurs lignes."

    def handle(self, *args, **options):
        expired, interrupted = purge_expired()
        self.stdout.write(f"{expired} fichier(s) de rapport expiré(s) supprimé(s).")
        self.stdout.write(f"{interrupted} préparation(s) interrompue(s) marquée(s) en échec.")
