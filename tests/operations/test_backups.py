"""make backup / make restore: a backup restored into a fresh database has every row,
and brings back every evidence file into an empty storage."""

import datetime
import sqlite3
import tarfile
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from commitments.models import Commitment, Evidence
from datasets.demo import load_demo
from datasets.forum_2020 import load_forum
from operations.backups import database_url
from tests.helpers import PNG_BYTES, postgresql_only, upload

pytestmark = pytest.mark.django_db(transaction=True)
CHECKED_APPS = ("strategy", "actors", "commitments", "auth", "axes")
FILES = {"preuve.pdf": None, "photo.png": PNG_BYTES, "retiree.pdf": None}


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
def data(evidence_folder):
    load_forum()
    load_demo(seed=5, scale=1, progress=False)
    demo_files = Evidence.objects.count()  # the demo's execution reports
    commitment = Commitment.objects.exclude(status="cancelled").order_by("pk").first()
    delivery = commitment.report_delivery(
        amount=Decimal(1), date=datetime.date(2021, 6, 1), by=None, confirmed=True
    )
    for name, content in FILES.items():
        evidence = Evidence.attach(delivery, upload(name, *filter(None, [content])), by=None)
    evidence.remove(by=None)  # named by the history alone: kept, and backed up
    counts = counts_here()
    assert counts["commitments_delivery"] > 1000 and demo_files > 10
    assert counts["commitments_evidence"] == demo_files + 2
    return counts


def stored(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in Path(folder).rglob("*")
        if path.is_file()
    }


@pytest.fixture
def empty_storage(settings, tmp_path):
    """Moves to another, empty, evidence storage, as on the machine a backup is restored
    on; returns its folder."""

    def move():
        folder = tmp_path / "autre-stockage"
        options = settings.STORAGES["evidence"]["OPTIONS"] | {"location": str(folder)}
        settings.STORAGES = settings.STORAGES | {
            "evidence": settings.STORAGES["evidence"] | {"OPTIONS": options}
        }
        return folder

    return move


def test_a_backup_holds_the_database_and_every_file_a_row_or_past_version_names(
    tmp_path, data, evidence_folder
):
    archive = tmp_path / "suivi.tar"
    before = stored(evidence_folder)
    assert len(before) == data["commitments_evidence"] + 1  # and the removed one's
    call_command("backup", output=str(archive), verbosity=0)
    with tarfile.open(archive) as opened:
        names = sorted(opened.getnames())
        content = {
            name.removeprefix("fichiers/"): opened.extractfile(name).read()
            for name in names
            if name.startswith("fichiers/")
        }
    database = "base.dump" if connection.vendor == "postgresql" else "base.sqlite3"
    assert names == sorted([database, *(f"fichiers/{name}" for name in before)])
    assert content == before


@postgresql_only("pg_dump and pg_restore")
def test_a_postgresql_backup_restores_every_row_into_a_fresh_database(
    tmp_path, data, evidence_folder, empty_storage
):
    before = stored(evidence_folder)
    archive = tmp_path / "suivi.tar"
    call_command("backup", output=str(archive), verbosity=0)
    elsewhere = empty_storage()
    fresh = f"{connection.settings_dict['NAME']}_restauration"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    try:
        call_command("restore", str(archive), target=fresh, verbosity=0)
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
    assert stored(elsewhere) == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backup API")
def test_a_sqlite_backup_restores_every_row_into_a_fresh_file(
    tmp_path, data, evidence_folder, empty_storage
):
    before = stored(evidence_folder)
    archive, fresh = tmp_path / "suivi.tar", tmp_path / "restauree.sqlite3"
    call_command("backup", output=str(archive), verbosity=0)
    elsewhere = empty_storage()
    call_command("restore", str(archive), target=str(fresh), verbosity=0)
    with sqlite3.connect(fresh) as other:
        restored = {
            table: other.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for table in tables()
        }
    other.close()
    assert restored == data
    assert stored(elsewhere) == before
    # Restored again: the files already there are left as they are, nothing doubled.
    call_command("restore", str(archive), target=str(fresh), verbosity=0)
    assert stored(elsewhere) == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backup API")
def test_a_backup_made_before_evidence_files_restores_too(tmp_path, data):
    bare, fresh = tmp_path / "ancienne.sqlite3", tmp_path / "restauree.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(bare) as target:
        connection.connection.backup(target)
    target.close()
    call_command("restore", str(bare), target=str(fresh), verbosity=0)
    with sqlite3.connect(fresh) as other:
        assert (
            other.execute('SELECT COUNT(*) FROM "commitments_delivery"').fetchone()[0]
            == (data["commitments_delivery"])
        )
    other.close()
