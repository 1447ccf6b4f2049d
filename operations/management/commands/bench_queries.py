"""Query counts of the main pages, for `bench` to compare two data sizes (JSON out)."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from actors.models import Membership
from commitments.models import Commitment

NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def pages():
    """(persona username or None, label, address): the same pages at any scale."""
    contact_actor = Membership.objects.filter(user__username="referent.a").values("actor")
    commitment = Commitment.objects.filter(actor__in=contact_actor).order_by("pk").first()
    return [
        (None, "/", "/"),
        (None, "/?year=2021&territory=nord", "/?year=2021&territory=nord"),
        (None, "/enjeux/", "/enjeux/"),
        (None, "/enjeux/urgence-sociale/", "/enjeux/urgence-sociale/"),
        (None, "/mesures/places-hebergement-urgence/", "/mesures/places-hebergement-urgence/"),
        (None, "/acteurs/", "/acteurs/"),
        (None, "/acteurs/<préfecture>/", "/acteurs/prefecture-region-hauts-de-france/"),
        ("referent.a", "/espace/", "/espace/"),
        ("referent.a", "/espace/engagements/<n>/", f"/espace/engagements/{commitment.pk}/"),
        ("gestionnaire.demo", "/rapports/", "/rapports/"),
        ("agent.demo", "admin engagements", "/admin/commitments/commitment/"),
        ("agent.demo", "admin réalisations", "/admin/commitments/delivery/"),
        ("agent.demo", "admin acteurs", "/admin/actors/actor/"),
        ("agent.demo", "admin mesures", "/admin/strategy/measure/"),
    ]


class Command(BaseCommand):
    help = "Compte les requêtes SQL des pages principales (sans cache), en JSON."

    @override_settings(CACHES=NO_CACHE, ALLOWED_HOSTS=["*"], DEBUG=False)
    def handle(self, *args, **options):
        users = {
            u.username: u
            for u in get_user_model().objects.all()
            if u.username in {"referent.a", "gestionnaire.demo", "agent.demo"}
        }
        counts = {}
        for username, label, address in pages():
            client = Client()
            if username:
                client.force_login(users[username])
            client.get(address)  # warm what is process-wide (content types, templates)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(address)
            if response.status_code != 200:
                raise RuntimeError(f"{address}: {response.status_code}")
            counts[label] = len(queries)
        self.stdout.write(json.dumps(counts))
