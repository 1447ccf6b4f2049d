"""Mixed traffic against the production server (gunicorn) on loopback, bounded in time.

Anonymous visitors read public pages, contacts report deliveries, agents validate them
in the admin, managers export (a long report by asking for it to be prepared, a POST,
then fetching the file once built; a page is never counted as a downloaded file). The
clients keep what the server confirmed to them: a report answered by the redirect to the
commitment page, a validation answered by the redirect to the list. At the end the
database's delivered total must have grown by exactly the deliveries the agents saw
validated, and every report a contact saw confirmed must be in the database.
--restart-postgres restarts PostgreSQL half-way: requests fail during the restart (503),
the server must recover by itself, and nothing confirmed may be lost (a request cut by
the restart may have committed without its client hearing it, so there the database may
hold more than was seen, never less)."""

import functools
import json
import random
import subprocess
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection
from django.db.models import F, Q, Sum

from actors.models import Membership
from commitments.models import Commitment, Delivery
from operations.load import DOWNLOADS, KINDS, MINIMUMS, download, shortfalls, throughput
from operations.servers import CUT, Session, gunicorn_on_loopback

AMOUNT = Decimal(1)  # each report
AGENTS = 3
PUBLIC = [
    "/",
    "/enjeux/",
    "/enjeux/urgence-sociale/",
    "/mesures/places-hebergement-urgence/",
    "/acteurs/",
    "/acteurs/diplp/",
    "/?year=2021",
]


class Command(BaseCommand):
    help = "Charge mixte (boucle locale, bornée) contre gunicorn et PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=60)
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--restart-postgres", action="store_true")
        parser.add_argument("--port", type=int, help="port de gunicorn (par défaut, un libre)")
        for kind in KINDS:
            parser.add_argument(
                kind.option,
                type=int,
                default=MINIMUMS[kind.key],
                dest=f"min_{kind.key}",
                help=f"minimum de {kind.label} (défaut {MINIMUMS[kind.key]})",
            )

    def handle(self, *args, duration, clients, restart_postgres, port, **options):
        if connection.vendor != "postgresql":
            raise CommandError("La charge se mesure sur PostgreSQL (DATABASE_URL).")
        if not Membership.objects.filter(user__username="referent.a").exists():
            raise CommandError("Chargez la démo d'abord : make demo (ou load_demo).")
        minimums = {kind.key: options[f"min_{kind.key}"] for kind in KINDS}
        with gunicorn_on_loopback(port=port) as port:
            result = self._run(port, duration, clients, restart_postgres)
        connection.close()
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        self.stdout.write("Débit par type de client (par seconde) :")
        for label, rate in result["throughput_per_second"].items():
            self.stdout.write(f"  {label} : {rate}")
        missing = shortfalls(result["done"], minimums)
        if missing:
            raise CommandError("Échec : trop peu de travail fait.\n  " + "\n  ".join(missing))
        if result["server_errors_outside_restart"]:
            raise CommandError("Échec : erreurs serveur en dehors du redémarrage.")
        if result["client_crashes"]:
            raise CommandError("Échec : des clients de charge se sont arrêtés en erreur.")
        if result["recovered"] is False:
            raise CommandError("Échec : le serveur n'a plus répondu après le redémarrage.")
        if not result["totals_match"]:
            raise CommandError(
                "Échec : totaux différents de ce que les clients ont vu, "
                "ou rien n'a été déclaré ni validé."
            )

    def _run(self, port, duration, clients, restart_postgres):
        commitments = list(
            Commitment.objects.filter(actor__memberships__user__username="referent.a")
            .exclude(status="cancelled")
            .values_list("pk", "year", "measure__unit")
        )
        before = Commitment.objects.aggregate(total=Sum("delivered_amount"))["total"]
        mark = f"charge {uuid.uuid4().hex[:8]}"  # this run's deliveries
        stop = time.monotonic() + duration
        restart_window = [None, None]
        statuses = Counter()
        errors_outside = Counter()
        answered_after_restart = [0]  # requests served without error once PostgreSQL is back
        seen = {"reported": 0, "validated": set()}  # what the server confirmed to clients
        done = {"pages": 0, "downloads": Counter()}  # reads answered whole
        lock = threading.Lock()

        def record(status):
            with lock:
                statuses[status] += 1
                now = time.monotonic()
                start, end = restart_window
                if status >= 500 or status == CUT:
                    if start is None or not (start <= now <= (end or now) + 10):
                        errors_outside[status] += 1
                elif end is not None and now > end:
                    answered_after_restart[0] += 1

        def anonymous():
            session = Session(port)
            while time.monotonic() < stop:
                status, _ = session.request("GET", random.choice(PUBLIC))
                record(status)
                if status == 200:
                    with lock:
                        done["pages"] += 1

        def contact():
            session = Session(port)
            session.login("referent.a", until=stop)
            while time.monotonic() < stop:
                pk, year, _unit = random.choice(commitments)
                status, _ = session.request(
                    "POST",
                    f"/espace/engagements/{pk}/",
                    {
                        "amount": str(AMOUNT),
                        "date": f"{year}-06-01",
                        "comment": mark,
                        "submission_key": str(uuid.uuid4()),
                    },
                )
                record(status)
                # Confirmed by the redirect to the commitment's page, not to the login.
                if status == 302 and session.location.endswith(f"/espace/engagements/{pk}/"):
                    with lock:
                        seen["reported"] += 1

        def agent(share, shares):
            session = Session(port)
            session.login("agent.demo", admin=True, until=stop)
            while time.monotonic() < stop:
                try:  # the load client's own look-up, not the server's: retry over a restart
                    # Each agent reviews its own share, so a confirmed id is its own work.
                    ids = list(
                        Delivery.objects.filter(status="reported", comment=mark)
                        .alias(share=F("pk") % shares)
                        .filter(share=share)
                        .values_list("pk", flat=True)[:5]
                    )
                except OperationalError:
                    ids = []
                finally:
                    connection.close()
                if not ids:
                    time.sleep(0.2)
                    continue
                status, _ = session.request(
                    "POST",
                    "/admin/commitments/delivery/",
                    {"action": "validate_deliveries", "_selected_action": ids, "index": "0"},
                )
                record(status)
                if status == 302 and session.location.endswith("/admin/commitments/delivery/"):
                    with lock:
                        seen["validated"].update(ids)

        def manager(turn):
            session = Session(port)
            session.login("gestionnaire.demo", until=stop)
            while time.monotonic() < stop:
                address = DOWNLOADS[turn % len(DOWNLOADS)]
                # A file, not the page offering to prepare it: a long report is asked
                # for with the button (POST), then fetched once /rapports/ links it.
                if download(session, address, stop, record):
                    with lock:
                        done["downloads"][address] += 1
                    turn += 1
                else:  # refused (429: slots taken), cut or failed: wait, then again
                    time.sleep(1)

        agents = [functools.partial(agent, share, AGENTS) for share in range(AGENTS)]
        managers = [functools.partial(manager, turn) for turn in range(2)]  # each its own first
        roles = managers + agents + [contact] * 10
        roles += [anonymous] * max(clients - len(roles), 0)
        crashes = []

        def guarded(role):
            try:
                role()
            except Exception as error:  # a client that dies would hide its share of the load
                with lock:
                    crashes.append(repr(error))

        threads = [threading.Thread(target=guarded, args=(role,)) for role in roles[:clients]]
        for thread in threads:
            thread.start()
        if restart_postgres:
            time.sleep(duration / 2)
            restart_window[0] = time.monotonic()
            version, cluster = _cluster_serving(connection.settings_dict)
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"],
                check=True,
            )
            restart_window[1] = time.monotonic()
        for thread in threads:
            thread.join(timeout=duration + 120)
        connection.close()
        delivered = Commitment.objects.aggregate(total=Sum("delivered_amount"))["total"]
        marked = Delivery.objects.filter(comment=mark)
        in_database = {
            "reported": marked.count(),
            "validated": set(marked.validated().values_list("pk", flat=True)),
        }
        seen_validated = AMOUNT * len(seen["validated"])
        validated_in_database = AMOUNT * len(in_database["validated"])
        validated_of = Sum("deliveries__amount", filter=Q(deliveries__status="validated"))
        invariant = all(
            commitment.delivered_amount == (commitment.validated or 0)
            for commitment in Commitment.objects.filter(
                pk__in=[c[0] for c in commitments]
            ).annotate(validated=validated_of)
        )
        work = {
            **done,
            "reports": seen["reported"],
            "validations": len(seen["validated"]),
            "downloads": dict(done["downloads"]),
        }
        lost = {
            "reports": max(seen["reported"] - in_database["reported"], 0),
            "validations": len(seen["validated"] - in_database["validated"]),
        }
        if restart_postgres:  # a cut request may have committed unseen: more, never less
            seen_matches = not any(lost.values())
        else:
            seen_matches = (
                seen["reported"] == in_database["reported"]
                and seen["validated"] == in_database["validated"]
            )
        return {
            "clients": len(threads),
            "seconds": duration,
            "requests": sum(statuses.values()),
            "statuses": dict(statuses),
            "server_errors_outside_restart": sum(errors_outside.values()),
            "client_crashes": crashes,
            "restart_seconds": (
                round(restart_window[1] - restart_window[0], 1) if restart_window[1] else None
            ),
            "answered_after_restart": answered_after_restart[0] if restart_postgres else None,
            "recovered": answered_after_restart[0] > 0 if restart_postgres else None,
            "reports_seen_by_contacts": seen["reported"],
            "reports_in_database": in_database["reported"],
            "validated_seen_by_agents": str(seen_validated),
            "validated_in_database": str(validated_in_database),
            "delivered_growth": str(delivered - before),
            "lost": lost,
            # Zero equals zero: the check proves something only if writes were made.
            "totals_match": delivered - before == validated_in_database
            and invariant
            and seen_matches
            and seen["reported"] > 0
            and len(seen["validated"]) > 0,
            "done": work,
            "throughput_per_second": throughput(work, duration),
        }


def _cluster_serving(database):
    """(version, name) of the local PostgreSQL cluster listening on the database's port
    (pg_lsclusters): the one to restart, whichever cluster the load test runs on."""
    port = str(database.get("PORT") or 5432)
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if cluster_port == port:
            return version, name
    raise CommandError(f"Aucun cluster PostgreSQL local n'écoute sur le port {port}.")
