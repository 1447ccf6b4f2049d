"""The cost of the reminders and of the mail queue, at scale (issue 15's closing note).

Builds, inside a transaction rolled back at the end (the database is left as it was), a
campaign of --reports expected reports (5 per actor, 2 contacts per actor, the actors
spread over the département of the region), then measures with the database task
backend (as in production):
- `send_reminders` on the opening day: its time and the queries it issues; a second run
  the same day (which must send nothing);
- the worker (`db_worker`) sending the queued mails against the locmem mail backend (the
  console backend's cost without its output): mails per second, and the same mails sent
  directly (no queue) for the ratio;
- the weekly digest with everything late.
"""

import datetime
import time
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail import get_connection
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from simple_history.utils import bulk_create_with_history

from actors.models import Actor, Membership
from actors.roles import AGENTS, attach_to_territory, setup_roles
from commitments.models import Campaign, Commitment
from commitments.reminders import send_reminders
from strategy.models import Issue, Measure, Territory, Unit

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
PER_ACTOR = 5


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Mesure send_reminders pour N déclarations attendues (temps, requêtes) et le débit "
        "du worker en courriels par seconde ; ne laisse rien dans la base."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reports", type=int, default=10_000)

    @override_settings(TASKS=DATABASE_TASKS, EMAIL_BACKEND=LOCMEM, DEBUG=False)
    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                self.measure(options["reports"])
                raise Rollback
        except Rollback:
            pass

    def world(self, reports):
        setup_roles()
        region, _ = Territory.objects.get_or_create(
            level=Territory.Level.REGION,
            code="32",
            defaults={"name": "Hauts-de-France", "slug": "hauts-de-france"},
        )
        departement = Territory.objects.create(
            level=Territory.Level.DEPARTEMENT,
            code="bench",
            name="Département de mesure",
            slug="bench-reminders",
            parent=region,
        )
        issue = Issue.objects.create(slug="bench-reminders", name="Mesure des relances")
        measure = Measure.objects.create(
            issue=issue, slug="bench-reminders", name="Mesure", unit=Unit.PLACES
        )
        count = reports // PER_ACTOR
        actors = bulk_create_with_history(
            [
                Actor(
                    name=f"Acteur de mesure {i}",
                    slug=f"bench-reminders-{i}",
                    kind=Actor.Kind.ASSOCIATION,
                    territory=departement,
                )
                for i in range(count)
            ],
            Actor,
        )
        User = get_user_model()
        users = User.objects.bulk_create(
            User(username=f"bench-reminders-{i}", email=f"ref{i}@exemple.invalid")
            for i in range(2 * count)
        )
        bulk_create_with_history(
            [Membership(actor=actors[i // 2], user=user) for i, user in enumerate(users)],
            Membership,
        )
        bulk_create_with_history(
            [
                Commitment(
                    actor=actor,
                    measure=measure,
                    territory=departement,
                    year=2021,
                    title=f"Engagement {j} de l'acteur {i}",
                    planned_amount=10,
                )
                for i, actor in enumerate(actors)
                for j in range(PER_ACTOR)
            ],
            Commitment,
            batch_size=2000,
        )
        agent = get_user_model().objects.create(
            username="bench-reminders-agent", email="agent@exemple.invalid", is_staff=True
        )
        agent.groups.add(Group.objects.get(name=AGENTS))
        attach_to_territory(agent, departement)
        today = timezone.localdate()
        campaign = Campaign.objects.create(
            title="Campagne de mesure",
            period_start=datetime.date(2021, 1, 1),
            period_end=datetime.date(2021, 12, 31),
            opens_on=today,
            deadline=today + datetime.timedelta(days=30),
        )
        campaign.territories.set([departement])
        return campaign, today

    def timed(self, function):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            result = function()
            elapsed = time.perf_counter() - start
        return result, elapsed, len(queries)

    def measure(self, reports):
        campaign, today = self.world(reports)
        opened, open_time, open_queries = self.timed(lambda: campaign.open(by=None))
        self.stdout.write(
            f"Ouverture : {opened} déclarations attendues en {open_time:.2f} s, "
            f"{open_queries} requêtes"
        )
        counts, first, queries = self.timed(lambda: send_reminders(today))
        mails = counts["opening"]
        self.stdout.write(
            f"send_reminders (ouverture) : {opened} déclarations, {mails} courriels mis en file "
            f"en {first:.2f} s, {queries} requêtes "
            f"({first / opened * 1000:.3f} ms et {queries / opened:.3f} requête par déclaration ; "
            f"{queries / max(mails, 1):.2f} requête par courriel)"
        )
        again, second, queries_again = self.timed(lambda: send_reminders(today))
        self.stdout.write(
            f"Second passage le même jour : {sum(again.values())} envoi, {second:.2f} s, "
            f"{queries_again} requêtes (ratio au premier : {second / first:.2f})"
        )
        queued = DBTaskResult.objects.filter(status="READY").count()
        worker = "django_tasks_db.management.commands.db_worker.close_old_connections"
        mail.outbox = []
        with mock.patch(worker, lambda: None):
            start = time.perf_counter()
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
            worker_time = time.perf_counter() - start
        sent = len(mail.outbox)
        messages = list(mail.outbox)
        mail.outbox = []
        start = time.perf_counter()
        for message in messages:
            get_connection().send_messages([message])
        direct = time.perf_counter() - start
        self.stdout.write(
            f"Worker : {sent} courriels sur {queued} en file en {worker_time:.2f} s, "
            f"{sent / worker_time:.0f} courriels/s (locmem) ; sans file {sent / direct:.0f}/s ; "
            f"coût de la file : ×{worker_time / direct:.1f}"
        )
        late_day = campaign.deadline + datetime.timedelta(days=7 - campaign.deadline.weekday())
        digest, digest_time, digest_queries = self.timed(lambda: send_reminders(late_day))
        self.stdout.write(
            f"Passage après la date limite (relances et récapitulatif) : "
            f"{digest['after']} relances, {digest['digest']} récapitulatif(s) "
            f"en {digest_time:.2f} s, {digest_queries} requêtes"
        )
