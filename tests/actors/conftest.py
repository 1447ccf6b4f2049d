"""The territories of the forum (load_forum) and staff attached to them: the Nord agent,
the Somme agent, the regional agent (tests/conftest.py's staff_agent) and an agent
attached to nothing."""

import pytest
from django.contrib.auth.models import Group

from actors.roles import AGENTS
from datasets.forum_2020 import load_forum
from strategy.models import Territory
from tests.factories import TerritoryFactory, UserFactory, staff_member


@pytest.fixture
def forum(db):
    load_forum()


@pytest.fixture
def nord(forum):
    return Territory.objects.get(slug="nord")


@pytest.fixture
def somme(forum):
    return Territory.objects.get(slug="somme")


@pytest.fixture
def lille(forum):
    """The Métropole Européenne de Lille, an EPCI inside Nord."""
    return Territory.objects.get(slug="metropole-europeenne-de-lille")


@pytest.fixture
def inside_lille(lille):
    """A territory two levels below Nord."""
    return TerritoryFactory(level=Territory.Level.EPCI, name="Quartier de Lille", parent=lille)


@pytest.fixture
def nord_agent(roles, nord):
    return staff_member("agent.nord", AGENTS, territory=nord)


@pytest.fixture
def somme_agent(roles, somme):
    return staff_member("agent.somme", AGENTS, territory=somme)


@pytest.fixture
def unattached_agent(roles):
    user = UserFactory(username="agent.sans.territoire", is_staff=True)
    user.groups.add(Group.objects.get(name=AGENTS))
    return user


@pytest.fixture
def nord_client(client, nord_agent):
    client.force_login(nord_agent)
    return client
