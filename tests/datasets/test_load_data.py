"""load_forum loads the press release exactly; load_demo adds repeatable fictional data."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from actors.models import Actor, Forum
from commitments.campaigns import Campaign, ExpectedReport
from commitments.models import Commitment, Delivery
from strategy.models import Issue, Measure, Territory
from tests.helpers import postgresql_only

pytestmark = pytest.mark.django_db

HISTORY_MODELS = [
    Territory,
    Issue,
    Measure,
    Actor,
    Forum,
    Commitment,
    Delivery,
    Campaign,
    ExpectedReport,
]


def totals_by_unit():
    return {r["unit"]: (r["planned"], r["delivered"]) for r in Commitment.objects.totals()}


def snapshot():
    return {
        model.__name__: (model.objects.count(), model.history.count()) for model in HISTORY_MODELS
    } | {"participants": Forum.participants.through.objects.count()}


def test_load_forum_gives_the_press_release_figures():
    call_command("load_forum", verbosity=0)
    assert totals_by_unit() == {
        "euros": (Decimal(32_300_000), Decimal(11_500_000)),
        "places": (Decimal(4_000), Decimal(3_000)),
    }


def test_load_forum_loads_the_named_actors_and_the_online_forum():
    call_command("load_forum", verbosity=0)
    assert Issue.objects.count() == 4
    assert Territory.objects.count() == 7
    assert Actor.objects.count() == 9
    forum = Forum.objects.get()
    assert forum.is_online
    assert f"{forum.date:%d/%m/%Y}" == "10/07/2020"
    assert forum.participants.count() == 9


def test_delivered_figures_are_validated_deliveries_on_the_press_release_dates():
    call_command("load_forum", verbosity=0)
    dates = sorted(
        (f"{d.date:%d/%m/%Y}", d.amount)
        for d in Delivery.objects.filter(status=Delivery.Status.VALIDATED)
    )
    assert dates == [
        ("10/07/2020", Decimal(3000)),
        ("10/07/2020", Decimal(1_500_000)),
        ("31/12/2019", Decimal(10_000_000)),
    ]
    assert not Delivery.objects.exclude(status=Delivery.Status.VALIDATED).exists()


def test_load_forum_twice_changes_nothing():
    call_command("load_forum", verbosity=0)
    before = snapshot()
    call_command("load_forum", verbosity=0)
    assert snapshot() == before


def demo_fingerprint():
    return list(
        Commitment.objects.order_by("pk").values_list(
            "actor__slug",
            "measure__slug",
            "territory__code",
            "year",
            "planned_amount",
            "delivered_amount",
            "status",
            "is_public",
        )
    ), list(Delivery.objects.order_by("pk").values_list("date", "amount", "status"))


def test_the_same_seed_gives_the_same_data():
    call_command("load_forum", verbosity=0)
    call_command("load_demo", seed=7, verbosity=0)
    first = demo_fingerprint()
    call_command("load_demo", seed=7, reset=True, verbosity=0)
    assert demo_fingerprint() == first
    call_command("load_demo", seed=8, reset=True, verbosity=0)
    assert demo_fingerprint() != first


def test_scale_multiplies_the_volumes():
    call_command("load_forum", verbosity=0)
    call_command("load_demo", scale=2, verbosity=0)
    assert Actor.objects.filter(slug__startswith="demo-").count() == 126
    assert Commitment.objects.count() - 6 == 600
    assert not Campaign.objects.exists()  # built report by report: at scale 1 only


def test_load_demo_a_second_time_adds_nothing():
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    before = snapshot()
    call_command("load_demo", verbosity=0)
    assert snapshot() == before


def test_load_demo_without_the_forum_says_what_to_do():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="load_forum"):
        call_command("load_demo", verbosity=0)


@postgresql_only("the planner's statistics (pg_class.reltuples) are PostgreSQL's")
def test_load_demo_leaves_the_planner_statistics_of_the_tables_it_fills():
    call_command("load_forum", verbosity=0)
    tables = ["actors_actor", "commitments_commitment", "commitments_delivery"]
    with connection.cursor() as cursor:
        # -1: never analyzed, as a fresh table is until autovacuum comes by.
        cursor.execute(
            "UPDATE pg_class SET reltuples = -1 WHERE oid = ANY(%s::regclass[])", [tables]
        )
        call_command("load_demo", verbosity=0)
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE oid = ANY(%s::regclass[])", [tables]
        )
        estimated = dict(cursor.fetchall())
    assert estimated["commitments_delivery"] == Delivery.objects.count()
    assert estimated["commitments_commitment"] == Commitment.objects.count()
    assert estimated["actors_actor"] == Actor.objects.count()
