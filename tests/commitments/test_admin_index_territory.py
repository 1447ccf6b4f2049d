"""The admin index tells a member of staff which territory they work on, or that they
are attached to none and so see nothing."""

import pytest
from django.contrib.auth.models import Group

from actors.roles import AGENTS, MANAGERS
from datasets.forum_2020 import load_forum
from strategy.models import Territory
from tests.factories import CommitmentFactory, DeliveryFactory, UserFactory, staff_member
from tests.helpers import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def nord(roles):
    """The Nord, with one delivery of the Nord waiting for review."""
    load_forum()
    nord = Territory.objects.get(slug="nord")
    DeliveryFactory(commitment=CommitmentFactory(territory=nord))
    return nord


def test_a_departmental_agent_s_index_names_its_territory(client, nord):
    client.force_login(staff_member("agent.nord", AGENTS, territory=nord))
    text = text_of(client.get("/admin/"))
    assert "Territoire : Nord" in text
    assert "aucun territoire" not in text
    assert "1 réalisation à examiner" in text


def test_a_departmental_manager_s_index_names_its_territory_too(client, nord):
    client.force_login(staff_member("gestion.nord", MANAGERS, territory=nord))
    assert "Territoire : Nord" in text_of(client.get("/admin/"))


def test_the_regional_team_s_index_says_nothing_of_a_territory(client, nord):
    client.force_login(staff_member("agent.region", AGENTS))
    text = text_of(client.get("/admin/"))
    assert "Territoire :" not in text
    assert "aucun territoire" not in text


def test_unattached_staff_are_told_they_see_nothing_and_whom_to_ask(client, nord):
    user = UserFactory(username="stagiaire", is_staff=True)
    user.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(user)
    text = text_of(client.get("/admin/"))
    assert "n'est rattaché à aucun territoire" in text
    assert "Demandez à un administrateur" in text
    assert "à examiner" not in text  # the Nord's waiting delivery is not theirs
    assert "Ajouter" not in text  # nothing to add either
