from django.core.management.base import BaseCommand, CommandError

from commitments.models import INCONSISTENCIES, Commitment
from strategy.units import format_amount, is_plural

COLUMNS = ("id", "Engagement", "Acteur", "Statut", "Prévu", "Réalisé", "Validé", "Incohérence")


class Command(BaseCommand):
    help = (
        "Liste les engagements dont le statut ou le réalisé contredit les règles "
        "(sans rien corriger) ; avec --fail, sort en erreur s'il y en a."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fail",
            action="store_true",
            help="Sortir avec le code 1 s'il y a au moins un engagement incohérent.",
        )

    def handle(self, *args, **options):
        rows = [
            (
                str(commitment.pk),
                commitment.title,
                commitment.actor.name,
                commitment.get_status_display(),
                format_amount(commitment.planned_amount, commitment.measure.unit),
                format_amount(commitment.delivered_amount, commitment.measure.unit),
                format_amount(commitment.validated_total, commitment.measure.unit),
                str(INCONSISTENCIES[commitment.inconsistency]),
            )
            for commitment in Commitment.objects.inconsistent()
            .select_related("actor", "measure")
            .order_by("pk")
        ]
        if rows:
            widths = [max(len(row[i]) for row in (COLUMNS, *rows)) for i in range(len(COLUMNS))]
            for row in (COLUMNS, *rows):
                line = " | ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                )
                self.stdout.write(line.rstrip())
            words = "engagements incohérents" if is_plural(len(rows)) else "engagement incohérent"
            summary = f"{len(rows)} {words}."
        else:
            summary = "Aucun engagement incohérent."
        self.stdout.write(summary)
        if rows and options["fail"]:
            raise CommandError(summary)
