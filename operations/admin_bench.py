"""The staff's admin lists at scale, shared by `bench_admin` and `bench`: each list,
filter and search used daily, as `agent.demo` through Django's test client (the whole
server side: middleware, admin, templates, queries; no network), at the loaded scale
against the same page in a second database at scale 1, measured in the same run.

The target is absolute (≤ 300 ms server time at the loaded scale) and labelled as such:
this machine is shared; the ratio to scale 1 is what holds from machine to machine.
"""

import json
import time
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from strategy.models import Territory

TARGET_SECONDS = 0.300
SEARCHED = "école"  # typed with its accent; the search also finds « Ecole », « ÉCOLE »
UNACCENTED = "ecole"
YEAR = 2021


def admin_pages():
    """[(label, address)]: what the staff open every day. Built at run time: the
    territory filter names the Nord by its primary key, which differs between bases."""
    nord = Territory.objects.filter(slug="nord").values_list("pk", flat=True).first()
    commitments = "/admin/commitments/commitment/"
    deliveries = "/admin/commitments/delivery/"
    actors = "/admin/actors/actor/"
    return [
        ("engagements", commitments),
        ("engagements, recherche « école »", f"{commitments}?q={quote(SEARCHED)}"),
        (f"engagements, année {YEAR}", f"{commitments}?year__exact={YEAR}"),
        ("engagements, statut prévu", f"{commitments}?status__exact=planned"),
        ("engagements, territoire Nord", f"{commitments}?territory={nord}"),
        ("engagements, réalisations à examiner", f"{commitments}?a_examiner=oui"),
        ("réalisations", deliveries),
        ("réalisations, recherche « école »", f"{deliveries}?q={quote(SEARCHED)}"),
        ("réalisations, file d'examen", f"{deliveries}?examen=en-attente"),
        ("réalisations, statut déclarée", f"{deliveries}?status__exact=reported"),
        ("réalisations, statut validée", f"{deliveries}?status__exact=validated"),
        (f"réalisations, année {YEAR}", f"{deliveries}?commitment__year__exact={YEAR}"),
        ("acteurs", actors),
        ("acteurs, recherche « ecole »", f"{actors}?q={UNACCENTED}"),
        ("acteurs, territoire Nord", f"{actors}?territory__id__exact={nord}"),
    ]


@override_settings(ALLOWED_HOSTS=["*"], DEBUG=False)
def measure_admin_pages(runs=5):
    """{label: {"seconds": best of `runs`, "queries": n, "status": code}} in this base,
    as agent.demo."""
    client = Client()
    client.force_login(get_user_model().objects.get(username="agent.demo"))
    measured = {}
    for label, address in admin_pages():
        response = client.get(address)  # warm: templates, the session, the plan cache
        with CaptureQueriesContext(connection) as captured:
            client.get(address)
        # Now: every request empties the log (reset_queries), the timed ones below too.
        queries = len(captured.captured_queries)
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(address)
            timings.append(time.perf_counter() - start)
        measured[label] = {
            "address": address,
            "seconds": min(timings),
            "queries": queries,
            "status": response.status_code,
        }
    return measured


def admin_rows(at_scale, at_one, scale):
    """The table's rows (part, what, value, target) from two measure_admin_pages()."""
    rows = []
    for label, measured in at_scale.items():
        small = at_one.get(label)
        seconds = measured["seconds"]
        if measured["status"] != 200 or small is None or small["status"] != 200:
            status = measured["status"], small and small["status"]
            rows.append(("f", f"admin : {label}", f"réponse {status}", "**manqué**"))
            continue
        verdict = "atteint" if seconds <= TARGET_SECONDS else "**manqué**"
        rows.append(
            (
                "f",
                f"admin : {label} — {seconds * 1000:.0f} ms à l'échelle {scale}, "
                f"{small['seconds'] * 1000:.0f} ms à l'échelle 1 (temps absolus, meilleur de N) ; "
                f"{measured['queries']} / {small['queries']} requêtes",
                f"{seconds / small['seconds']:.1f}×",
                f"≤ 300 ms (absolu) : {verdict}",
            )
        )
    return rows


def measure_admin_lists(runs=5):
    """This base's pages and a throwaway base's at scale 1 (built, measured and dropped
    here): (at_scale, at_one), each as measure_admin_pages() gives it."""
    from django.conf import settings

    from operations.bench_sections import drop, manage, recreate

    name = settings.DATABASES["default"]["NAME"]
    small = f"{name}_admin1"
    recreate(small)
    try:
        for command in (["migrate"], ["setup_roles"], ["load_forum"], ["load_demo"]):
            manage(*command, "-v0", database=small)
        at_one = json.loads(manage("bench_admin", "--json", "--runs", str(runs), database=small))
    finally:
        connection.close()
        drop(small)
    return measure_admin_pages(runs), at_one


def admin_list_rows(runs=5, scale=None):
    """The whole measure as (part, what, value, target) rows, for `bench_admin`."""
    from commitments.models import Commitment

    at_scale, at_one = measure_admin_lists(runs)
    if scale is None:
        scale = round(Commitment.objects.count() / 300)
    return admin_rows(at_scale, at_one, scale)
