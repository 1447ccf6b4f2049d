"""A session opened before the login backend moved to accounts/ still logs its user in."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0001_rename_session_backend")


class Editor:
    """What the migration's function reads of its schema editor: the connection."""

    connection = connection


def test_a_session_naming_the_old_backend_path_is_logged_out_until_renamed(client):
    contact = MembershipFactory().user
    client.force_login(contact, backend=migration.NEW)
    session = client.session
    session[migration.BACKEND_KEY] = migration.OLD  # as the code before the move wrote it
    session.save()
    assert client.get("/espace/").status_code == 302  # Django no longer knows that path

    migration.rename_backend(apps, Editor())

    response = client.get("/espace/")
    assert response.status_code == 200
    assert response.context["user"] == contact


def test_renaming_back_restores_the_old_path(client):
    client.force_login(MembershipFactory().user, backend=migration.NEW)
    migration.rename_back(apps, Editor())
    assert client.session[migration.BACKEND_KEY] == migration.OLD
