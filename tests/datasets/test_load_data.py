"""load_forum loads the press release exactly; load_demo adds repeatable fictional data."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from actors.models import Actor, Forum, Membership
from actors.scopes import scope_of
from commitments.campaigns import Campaign, ExpectedReport
from commitments.models import Commitment, Delivery
from datasets.demo import DEMO_REASON
from strategy.models import Issue, Measure, Territory
from strategy.text import fold
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


def test_load_demo_adds_actors_up_to_72_and_about_300_commitments():
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    assert Actor.objects.count() == 72
    assert 280 <= Commitment.objects.count() - 6 <= 320
    assert 1200 <= Delivery.objects.count() <= 1800
    assert set(Commitment.objects.values_list("status", flat=True)) == set(Commitment.Status)
    assert set(Delivery.objects.values_list("status", flat=True)) == set(Delivery.Status)
    assert set(Commitment.objects.values_list("year", flat=True)) >= {2019, 2020, 2021, 2022}
    assert Forum.objects.get().participants.count() == 72


def test_load_demo_keeps_the_delivered_invariant_but_on_its_one_legacy_row():
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    broken = []
    for commitment in Commitment.objects.prefetch_related("deliveries"):
        validated = sum(
            (d.amount for d in commitment.deliveries.all() if d.status == "validated"),
            Decimal(0),
        )
        if commitment.delivered_amount != validated:
            broken.append(commitment.pk)
    # demo.LEGACY_INCONSISTENT: one row counts a delivery twice, on purpose.
    legacy = Commitment.objects.inconsistent().filter(inconsistency="sum_differs")
    assert broken == list(legacy.values_list("pk", flat=True))
    assert len(broken) == 1


def test_load_demo_writes_the_history_entry_of_every_row_it_loads():
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    demo = {
        Actor: Actor.objects.filter(slug__startswith="demo-"),
        Membership: Membership.objects.filter(actor__slug__startswith="demo-"),
        Commitment: Commitment.objects.filter(actor__slug__startswith="demo-"),
        Delivery: Delivery.objects.filter(commitment__actor__slug__startswith="demo-"),
    }
    for model, rows in demo.items():
        assert rows.exists(), model
        created = model.history.filter(history_type="+", id__in=rows.values("pk"))
        assert created.count() == rows.count(), model
        assert set(created.values_list("history_change_reason", flat=True)) == {DEMO_REASON}
    # The history row is the row as loaded, field for field.
    delivery = demo[Delivery].order_by("pk").last()
    entry = delivery.history.get()
    for field in Delivery.history.model.tracked_fields:
        assert getattr(entry, field.attname) == getattr(delivery, field.attname), field.name
    commitment = demo[Commitment].order_by("pk").first()
    assert commitment.history.get().delivered_amount == commitment.delivered_amount


def test_load_demo_keeps_the_folded_title_and_comment_of_what_it_loads():
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    for commitment in Commitment.objects.order_by("pk")[:20]:
        assert commitment.title_folded == fold(commitment.title)
    assert set(Delivery.objects.values_list("comment_folded", flat=True)) == {
        fold(comment) for comment in Delivery.objects.values_list("comment", flat=True)
    }


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


def test_load_demo_creates_the_demo_accounts():
    call_command("setup_roles", verbosity=0)
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["agent.demo"].is_staff
    assert users["agent.demo"].has_perm("commitments.change_delivery")
    assert users["gestionnaire.demo"].has_perm("commitments.export_reports")
    assert not users["gestionnaire.demo"].has_perm("commitments.change_delivery")
    assert users["agent.demo"].check_password("demo-pauvrete-2020")
    contacts = Membership.objects.filter(user__username__in=["referent.a", "referent.b"])
    assert contacts.count() == 2
    assert all(m.actor.commitments.exists() for m in contacts)


def test_the_demo_has_a_regional_team_and_a_departmental_agent_of_the_nord():
    call_command("setup_roles", verbosity=0)
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    users = {u.username: u for u in get_user_model().objects.all()}
    assert scope_of(users["agent.demo"]).everything
    assert scope_of(users["gestionnaire.demo"]).everything
    nord = scope_of(users["agent.nord"])
    assert not nord.everything and nord.territory.slug == "nord"
    assert users["agent.nord"].has_perm("commitments.change_delivery")
    # The Nord agent has something to review: referent.a's actor is in the Nord.
    referent_a = Membership.objects.get(user__username="referent.a").actor
    assert Actor.objects.in_scope(nord).filter(pk=referent_a.pk).exists()
    assert Commitment.objects.in_scope(nord).filter(actor=referent_a).exists()
    assert Commitment.objects.in_scope(nord).count() < Commitment.objects.count()


def test_load_demo_gives_the_demo_staff_their_roles_even_before_setup_roles():
    # bench_reports used to load the demo on a bare database: the manager got a 403.
    call_command("load_forum", verbosity=0)
    call_command("load_demo", verbosity=0)
    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["gestionnaire.demo"].has_perm("commitments.export_reports")
    assert users["agent.demo"].has_perm("commitments.change_delivery")
    assert not users["referent.a"].groups.exists()


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
