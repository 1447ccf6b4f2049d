"""Backups: pg_dump/pg_restore on PostgreSQL, SQLite's own backup API on SQLite."""

import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from django.db import connection


def database_url(settings_dict, name=None):
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{name or settings_dict['NAME']}"


def default_path(folder="backups"):
    suffix = "dump" if connection.vendor == "postgresql" else "sqlite3"
    return Path(folder) / f"suivi-{datetime.now():%Y%m%d-%H%M%S}.{suffix}"


def backup(path):
    """Write a consistent copy of the database to `path`; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
    """Replace the database (or `target`: another database name, or SQLite file) by `path`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
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
