"""bench_admin measures every daily admin list as agent.demo, and its rows say met or
missed against the absolute target with the ratio to scale 1."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from actors.roles import AGENTS, attach_to_territory
from operations.admin_bench import TARGET_SECONDS, admin_pages, admin_rows, measure_admin_pages
from strategy.models import Territory
from tests.factories import CommitmentFactory, DeliveryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_daily_list_is_measured_as_agent_demo_and_answers():
    call_command("setup_roles", verbosity=0)
    call_command("load_forum", verbosity=0)
    agent = UserFactory(username="agent.demo", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    attach_to_territory(agent, Territory.objects.get(slug="hauts-de-france"))
    DeliveryFactory(commitment=CommitmentFactory(title="Cantine de l'école"))
    measured = measure_admin_pages(runs=1)
    assert list(measured) == [label for label, _address in admin_pages()]
    assert {figures["status"] for figures in measured.values()} == {200}
    assert all(figures["queries"] > 0 for figures in measured.values()), measured


def test_the_rows_give_the_ratio_and_say_met_or_missed():
    quick = {"seconds": TARGET_SECONDS / 2, "queries": 9, "status": 200}
    slow = {"seconds": TARGET_SECONDS * 2, "queries": 9, "status": 200}
    small = {"seconds": TARGET_SECONDS / 10, "queries": 9, "status": 200}
    rows = admin_rows({"a": quick, "b": slow}, {"a": small, "b": small}, 400)
    assert [(value, target) for _part, _what, value, target in rows] == [
        ("5.0×", "≤ 300 ms (absolu) : atteint"),
        ("20.0×", "≤ 300 ms (absolu) : **manqué**"),
    ]
