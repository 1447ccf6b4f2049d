"""`make bench-reports`: the reports' rows of `make bench` alone (bench --only reports)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Chaque rapport et format, en HTTP, contre COPY des mêmes lignes et une boucle."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=400)
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--port", type=int)

    def handle(self, *args, scale, runs, port, **options):
        call_command("bench", scale=scale, runs=runs, port=port, only=["reports"])
