from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from actors.roles import attach_to_territory, find_territory, setup_roles, unattached_staff


class Command(BaseCommand):
    help = (
        "Crée ou met à jour les groupes « Agents de la préfecture » et « Gestionnaires » ; "
        "avec --rattacher, rattache un membre du personnel à un territoire."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rattacher",
            nargs=2,
            metavar=("IDENTIFIANT", "TERRITOIRE"),
            help=(
                "Rattache le compte IDENTIFIANT au TERRITOIRE (code INSEE ou identifiant "
                "d'URL : « 32 » ou « hauts-de-france » pour l'équipe régionale, qui voit "
                "tout ; « 59 » ou « nord » pour l'équipe du Nord, qui ne voit que le Nord)."
            ),
        )

    def handle(self, *args, **options):
        counts = setup_roles()
        if options["rattacher"]:
            username, text = options["rattacher"]
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"Aucun compte « {username} ».")
            territory = find_territory(text)
            if territory is None:
                raise CommandError(f"Aucun territoire de code ou d'identifiant « {text} ».")
            attach_to_territory(user, territory)
            self.stdout.write(f"{username} est rattaché au territoire {territory}.")
            if not user.is_staff:
                self.stdout.write(
                    f"Attention : {username} n'a pas le statut équipe : ce rattachement ne "
                    "lui ouvre pas l'administration (donnez-lui un rôle d'abord)."
                )
        if options["verbosity"] == 0:
            return
        for name, count in counts.items():
            self.stdout.write(f"{name} : {count} permissions")
        for user in unattached_staff():
            self.stdout.write(
                f"Attention : {user.username} n'est rattaché à aucun territoire et ne voit "
                "rien ; rattachez-le avec --rattacher."
            )
