"""What load_demo loads (seed 2020, scale 1, after load_forum and before setup_roles):
volumes, history, accounts and roles, the delivered invariant. The demo is loaded once for
the module (tests/conftest.py's demo_module); test_load_data runs the command itself."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from actors.models import Actor, Forum, Membership
from actors.scopes import scope_of
from commitments.models import Commitment, Delivery
from datasets.demo import DEMO_REASON
from strategy.text import fold


def test_load_demo_adds_actors_up_to_72_and_about_300_commitments(demo):
    assert Actor.objects.count() == 72
    assert 280 <= Commitment.objects.count() - 6 <= 320
    assert 1200 <= Delivery.objects.count() <= 1800
    assert set(Commitment.objects.values_list("status", flat=True)) == set(Commitment.Status)
    assert set(Delivery.objects.values_list("status", flat=True)) == set(Delivery.Status)
    assert set(Commitment.objects.values_list("year", flat=True)) >= {2019, 2020, 2021, 2022}
    assert Forum.objects.get().participants.count() == 72


def test_load_demo_keeps_the_delivered_invariant_but_on_its_one_legacy_row(demo):
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


def test_load_demo_writes_the_history_entry_of_every_row_it_loads(demo):
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


def test_load_demo_creates_the_demo_accounts(demo):
    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["agent.demo"].is_staff
    assert users["agent.demo"].has_perm("commitments.change_delivery")
    assert users["gestionnaire.demo"].has_perm("commitments.export_reports")
    assert not users["gestionnaire.demo"].has_perm("commitments.change_delivery")
    assert users["agent.demo"].check_password("demo-pauvrete-2020")
    contacts = Membership.objects.filter(user__username__in=["referent.a", "referent.b"])
    assert contacts.count() == 2
    assert all(m.actor.commitments.exists() for m in contacts)


def test_the_demo_has_a_regional_team_and_a_departmental_agent_of_the_nord(demo):
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


def test_load_demo_gives_the_demo_staff_their_roles_even_before_setup_roles(demo):
    # bench_reports used to load the demo on a bare database: the manager got a 403.
    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["gestionnaire.demo"].has_perm("commitments.export_reports")
    assert users["agent.demo"].has_perm("commitments.change_delivery")
    assert not users["referent.a"].groups.exists()


def test_load_demo_keeps_the_folded_title_and_comment_of_what_it_loads(demo):
    for commitment in Commitment.objects.order_by("pk")[:20]:
        assert commitment.title_folded == fold(commitment.title)
    assert set(Delivery.objects.values_list("comment_folded", flat=True)) == {
        fold(comment) for comment in Delivery.objects.values_list("comment", flat=True)
    }
