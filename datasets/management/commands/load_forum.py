from django.core.management.base import BaseCommand

from datasets.forum_2020 import load_forum


class Command(BaseCommand):
    help = "Charge les chiffres du communiqué du forum régional du 10/07/2020 (idempotent)."

    def handle(self, *args, **options):
        created = load_forum()
        if options["verbosity"] == 0:
            return
        if created:
            self.stdout.write(self.style.SUCCESS(f"Forum du 10/07/2020 : {created} lignes créées."))
        else:
            self.stdout.write("Forum du 10/07/2020 : déjà chargé, rien à changer.")
