"""Benchmark of the staff's admin lists (PostgreSQL): ratios to scale 1, and the
absolute ≤ 300 ms target, labelled as such; not a pass/fail test."""

import json

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from commitments.models import Commitment
from operations.admin_bench import admin_list_rows, measure_admin_pages


class Command(BaseCommand):
    help = (
        "Mesure chaque liste, filtre et recherche de l'administration utilisés chaque jour, "
        "en agent.demo, à l'échelle de la base contre la même page à l'échelle 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=400)
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="mesure cette base seule, en JSON (usage interne)",
        )

    def handle(self, *args, scale, runs, as_json, **options):
        if as_json:
            self.stdout.write(json.dumps(measure_admin_pages(runs)))
            return
        if connection.vendor != "postgresql":
            raise CommandError("Ce banc d'essai se mesure sur PostgreSQL (DATABASE_URL).")
        if Commitment.objects.count() < 300 * scale * 0.9:
            self.stdout.write(f"Chargement de la démo à l'échelle {scale}…")
            call_command("setup_roles", verbosity=0)
            call_command("load_forum", verbosity=0)
            call_command("load_demo", scale=scale, reset=True, verbosity=0)
        self.stdout.write("Listes de l'administration (base à l'échelle 1 construite à côté)…")
        rows = admin_list_rows(runs, scale)
        self.stdout.write("| | mesure | valeur (ratio) | cible |\n|---|---|---|---|")
        for part, what, value, target in rows:
            self.stdout.write(f"| {part} | {what} | {value} | {target} |")
