from django.core.management.base import BaseCommand, CommandError

from datasets.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_exists, load_demo, remove_demo
from strategy.units import is_plural


class Command(BaseCommand):
    help = (
        "Ajoute des données fictives de démonstration (acteurs, engagements, réalisations, "
        "campagnes de remontée)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2020, help="graine du hasard")
        parser.add_argument("--scale", type=int, default=1, help="multiplie tous les volumes")
        parser.add_argument(
            "--reset", action="store_true", help="supprime d'abord la démo déjà chargée"
        )

    def handle(self, *args, seed, scale, reset, **options):
        if scale < 1:
            raise CommandError("--scale doit valoir au moins 1.")
        if demo_exists():
            if not reset:
                self.stdout.write("Démo déjà chargée (--reset pour la recharger).")
                return
            remove_demo()
        try:
            counts = load_demo(seed=seed, scale=scale, progress=options["verbosity"] > 0)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] == 0:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Démo chargée : {counts['actors']} acteurs, {counts['commitments']} engagements, "
                f"{counts['deliveries']} réalisations, {counts['campaigns']} "
                f"campagne{'s' if is_plural(counts['campaigns']) else ''} de remontée."
            )
        )
        self.stdout.write(f"Comptes de démonstration (mot de passe « {DEMO_PASSWORD} ») :")
        for username, first_name, last_name, _role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<18} {first_name} {last_name}")
