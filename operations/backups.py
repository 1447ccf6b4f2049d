"""Backups: one archive (tar) holding the database (pg_dump/pg_restore on PostgreSQL,
SQLite's own backup API on SQLite) and the evidence files that its rows name, read and
written back through the storage API (a folder, or an S3 bucket alike)."""

import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from django.db import connection

FILES = "fichiers/"


def database_url(settings_dict, name=None):
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{name or settings_dict['NAME']}"


def default_path(folder="backups"):
    return Path(folder) / f"suivi-{datetime.now():%Y%m%d-%H%M%S}.tar"


def database_member():
    return "base.dump" if connection.vendor == "postgresql" else "base.sqlite3"


def backup(path):
    """Write an archive to `path`: a consistent copy of the database, then every evidence
    file a row or a past version names. Returns (the path, how many files it holds).

    The files are read after the database is copied: one uploaded meanwhile is not named
    by the copy, and is simply not needed; one purged meanwhile is missing from both."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / database_member()
        dump_database(database)
        with tarfile.open(path, "w") as archive:
            archive.add(database, arcname=database.name)
            count = add_files(archive)
    return path, count


def add_files(archive):
    from commitments.evidence import Evidence, evidence_storage

    storage = evidence_storage()
    names = set(Evidence.objects.values_list("file", flat=True))
    names |= set(Evidence.history.values_list("file", flat=True))
    count = 0
    for name in sorted(name for name in names if name):
        if not storage.exists(name):
            continue
        member = tarfile.TarInfo(FILES + name)
        member.size = storage.size(name)
        with storage.open(name, "rb") as content:
            archive.addfile(member, content)
        count += 1
    return count


def restore_files(archive):
    """Write back every file of the archive the storage lacks; returns how many."""
    from django.core.files import File

    from commitments.evidence import evidence_storage

    storage = evidence_storage()
    count = 0
    for member in archive.getmembers():
        if not member.isfile() or not member.name.startswith(FILES):
            continue
        name = member.name.removeprefix(FILES)
        if storage.exists(name):  # random names: the same name is the same file
            continue
        saved = storage.save(name, File(archive.extractfile(member), name=name))
        if saved != name:
            raise ValueError(f"{name} was stored as {saved}")
        count += 1
    return count


def dump_database(path):
    if connection.vendor == "postgresql":
        url = database_url(connection.settings_dict)
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={path}", url], check=True
        )
    else:
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        target.close()
    return path


def restore(path, *, target=None):
    """Replace the database (or `target`: another database name, or SQLite file) by the
    archive's, and bring back the evidence files the storage lacks; returns how many.
    A bare database file (a backup made before evidence files existed) restores too."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if not tarfile.is_tarfile(path):
        restore_database(path, target=target)
        return 0
    with tarfile.open(path) as archive, tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / database_member()
        with archive.extractfile(database_member()) as source, open(database, "wb") as copy:
            shutil.copyfileobj(source, copy)
        restore_database(database, target=target)
        return restore_files(archive)


def restore_database(path, *, target=None):
    if connection.vendor == "postgresql":
        url = database_url(connection.settings_dict, target)
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={url}",
                str(path),
            ],
            check=True,
        )
    else:
        destination = Path(target or connection.settings_dict["NAME"])
        if target is None:
            connection.close()
        shutil.copyfile(path, destination)
