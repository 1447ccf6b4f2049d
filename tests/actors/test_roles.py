import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from actors.roles import AGENTS, MANAGERS

pytestmark = pytest.mark.django_db


def perms(name):
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_agents_get_every_permission_of_the_three_apps():
    call_command("setup_roles", verbosity=0)
    agents = perms(AGENTS)
    for perm in [
        "strategy.add_measure",
        "actors.change_actor",
        "actors.add_membership",
        "commitments.change_delivery",
        "commitments.delete_commitment",
        "commitments.export_reports",
    ]:
        assert perm in agents
    assert "auth.change_user" not in agents


def test_managers_may_only_view_and_export():
    call_command("setup_roles", verbosity=0)
    managers = perms(MANAGERS)
    assert "commitments.export_reports" in managers
    assert "commitments.view_commitment" in managers
    assert all(
        p.split(".")[1].startswith("view_") for p in managers - {"commitments.export_reports"}
    )


def test_setup_roles_is_idempotent_and_repairs_a_group():
    call_command("setup_roles", verbosity=0)
    first = perms(MANAGERS)
    Group.objects.get(name=MANAGERS).permissions.clear()
    call_command("setup_roles", verbosity=0)
    call_command("setup_roles", verbosity=0)
    assert perms(MANAGERS) == first
    assert Group.objects.filter(name__in=[AGENTS, MANAGERS]).count() == 2
