import datetime

from django.core.management.base import BaseCommand, CommandError

from commitments.reminders import send_reminders

LABELS = {
    "opened": "campagne(s) ouverte(s)",
    "opening": "courriel(s) d'ouverture",
    "before": "rappel(s) avant la date limite",
    "after": "relance(s) après la date limite",
    "digest": "récapitulatif(s) hebdomadaire(s) aux agents",
}


class Command(BaseCommand):
    help = (
        "Chaque jour : ouvre les campagnes dont la date d'ouverture est venue, relance les "
        "référents des acteurs qui doivent une déclaration, et le lundi envoie aux agents "
        "le récapitulatif des retards. Une relance déjà envoyée ne l'est jamais deux fois, "
        "même si la commande tourne deux fois en même temps."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--day",
            help="Le jour à traiter (AAAA-MM-JJ), aujourd'hui par défaut (à Paris).",
        )

    def handle(self, *args, **options):
        day = None
        if options["day"]:
            try:
                day = datetime.date.fromisoformat(options["day"])
            except ValueError:
                raise CommandError("--day : une date AAAA-MM-JJ, par exemple 2022-03-31.") from None
        counts = send_reminders(day)
        for key, label in LABELS.items():
            self.stdout.write(f"{counts[key]} {label}")
