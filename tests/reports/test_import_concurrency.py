"""Two confirmations of one preview, at the same moment, import it once (PostgreSQL)."""

import io
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client
from django.urls import reverse

from actors.roles import AGENTS, attach_to_territory, setup_roles
from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from tests.factories import UserFactory, region
from tests.helpers import postgresql_only

pytestmark = [
    pytest.mark.django_db(transaction=True),
    postgresql_only("row locks need PostgreSQL (SQLite locks the whole database)"),
]

IMPORT = "admin:commitments_commitment_import"
CONTENT = (
    "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
    + "".join(f"Écoles ouvertes;diplp;32;2021;Classe {i};{i}\r\n" for i in range(1, 301))
).encode()


def test_two_concurrent_confirmations_of_one_preview_import_once():
    setup_roles()
    load_forum()
    agent = UserFactory(username="agent", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    attach_to_territory(agent, region())
    first = Client()
    first.force_login(agent)
    file = io.BytesIO(CONTENT)
    file.name = "classes.csv"
    token = first.post(reverse(IMPORT), {"file": file}).context["token"]
    second = Client()  # the same agent in a second tab: the same session
    second.cookies[settings.SESSION_COOKIE_NAME] = first.cookies[settings.SESSION_COOKIE_NAME].value

    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def confirm(client):
        try:
            barrier.wait()
            response = client.post(reverse(IMPORT), {"token": token})
            outcomes.append(response.status_code)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert outcomes == [302, 302]  # one to the list, one back to the form with a message
    assert Commitment.objects.filter(title__startswith="Classe ").count() == 300
    assert Commitment.history.filter(title__startswith="Classe ").count() == 300
