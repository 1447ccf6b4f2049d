"""Small helpers for the commands that start servers against this database."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from operations import backups


def database_url(name):
    """This PostgreSQL server's address for the database `name` (as backups write it)."""
    return backups.database_url(settings.DATABASES["default"], name)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_on_loopback(database=None, **extra_env):
    """gunicorn as `make serve` runs it, on a free loopback port over plain HTTP, against
    `database` (PostgreSQL) or this one; yields the port once /healthz answers."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "off",
        "HTTPS": "off",  # plain HTTP on loopback: no redirect to https
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORT": str(port),
        **extra_env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = database_url(database or settings.DATABASES["default"]["NAME"])
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "config/gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise CommandError("Le serveur n'a pas démarré.")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
