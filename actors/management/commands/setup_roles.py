from django.core.management.base import BaseCommand

from actors.roles import setup_roles


class Command(BaseCommand):
    help = "Crée ou met à jour les groupes « Agents de la préfecture » et « Gestionnaires »."

    def handle(self, *args, **options):
        counts = setup_roles()
        if options["verbosity"] == 0:
            return
        for name, count in counts.items():
            self.stdout.write(f"{name} : {count} permissions")
