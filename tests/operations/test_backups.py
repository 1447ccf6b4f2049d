"""make backup / make restore: a backup restored into a fresh database has every row."""

import sqlite3

import psycopg2
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from datasets.demo import load_demo
from datasets.forum_2020 import load_forum
from operations.backups import database_url
from tests.helpers import postgresql_only

pytestmark = pytest.mark.django_db(transaction=True)
CHECKED_APPS = ("strategy", "actors", "commitments", "auth", "axes")


def tables():
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in CHECKED_APPS and not model._meta.proxy
    )


def counts_here():
    with connection.cursor() as cursor:
        result = {}
        for table in tables():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            result[table] = cursor.fetchone()[0]
        return result


@pytest.fixture
def data():
    load_forum()
    load_demo(seed=5, scale=1, progress=False)
    counts = counts_here()
    assert counts["commitments_delivery"] > 1000
    return counts


@postgresql_only("pg_dump and pg_restore")
def test_a_postgresql_backup_restores_every_row_into_a_fresh_database(tmp_path, data):
    dump = tmp_path / "suivi.dump"
    call_command("backup", output=str(dump), verbosity=0)
    fresh = f"{connection.settings_dict['NAME']}_restauration"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    try:
        call_command("restore", str(dump), target=fresh, verbosity=0)
        with psycopg2.connect(database_url(connection.settings_dict, fresh)) as other:
            cursor = other.cursor()
            restored = {}
            for table in tables():
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                restored[table] = cursor.fetchone()[0]
        other.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
    assert restored == data


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backup API")
def test_a_sqlite_backup_restores_every_row_into_a_fresh_file(tmp_path, data):
    backup_file, fresh = tmp_path / "suivi.sqlite3", tmp_path / "restauree.sqlite3"
    call_command("backup", output=str(backup_file), verbosity=0)
    call_command("restore", str(backup_file), target=str(fresh), verbosity=0)
    with sqlite3.connect(fresh) as other:
        restored = {
            table: other.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for table in tables()
        }
    other.close()
    assert restored == data


def test_restoring_a_missing_file_says_so(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="introuvable"):
        call_command("restore", str(tmp_path / "absente.dump"))
