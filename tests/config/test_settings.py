"""Settings come from the environment and refuse to start insecurely."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import SynchronousOnlyOperation

ROOT = Path(__file__).resolve().parents[2]


def settings_of(**env):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.DATABASES['default']['ENGINE'], "
        "s.DATABASES['default'].get('NAME') and str(s.DATABASES['default']['NAME']), "
        "s.LANGUAGE_CODE, s.TIME_ZONE, s.USE_TZ]))"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_secret_key_stops_start_up_with_a_clear_message():
    result = settings_of()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def manage(*arguments):
    unset = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_makemigrations_check_needs_no_secret_key_but_other_commands_do():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    result = manage("migrate", "--plan")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_set_and_the_database_defaults_to_sqlite_in_the_project():
    result = settings_of(SECRET_KEY="k")
    assert result.returncode == 0, result.stderr
    debug, engine, name, language, zone, use_tz = __import__("json").loads(result.stdout)
    assert debug is False
    assert engine == "django.db.backends.sqlite3"
    assert name == str(ROOT / "db.sqlite3")
    assert (language, zone, use_tz) == ("fr-fr", "Europe/Paris", True)


def test_a_postgres_url_selects_postgresql():
    result = settings_of(SECRET_KEY="k", DATABASE_URL="postgres://u@127.0.0.1:5432/suivi")
    assert result.returncode == 0, result.stderr
    engine, name = __import__("json").loads(result.stdout)[1:3]
    assert engine == "django.db.backends.postgresql"
    assert name == "suivi"


def test_debug_on_runs_without_a_secret_key():
    result = settings_of(DEBUG="on")
    assert result.returncode == 0, result.stderr


def test_every_variable_read_is_listed_in_env_example():
    import re

    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no variable found: the pattern no longer matches settings.py"
    assert read <= listed, f"missing from .env.example: {read - listed}"


def test_production_settings_pass_the_deploy_check():
    import secrets

    # As a server would be started: without the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE.
    unset = {"DEBUG", "SECRET_KEY", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **base,
            "DEBUG": "off",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "suivi.example.gouv.fr",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_https_is_on_by_default_in_production():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, "
        "s.X_FRAME_OPTIONS)"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "DENY"]


def test_outside_the_browser_tests_the_orm_still_refuses_to_run_beside_an_event_loop():
    # Not a database test, so pytest-django runs it after the browser tests (transactional):
    # by then Playwright's event loop is closed and DJANGO_ALLOW_ASYNC_UNSAFE unset again.
    from actors.models import Actor

    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ
    with pytest.raises(RuntimeError, match="no running event loop"):
        asyncio.get_running_loop()

    async def count_actors():
        return Actor.objects.count()

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(count_actors())


def test_evidence_files_go_to_an_s3_bucket_when_asked():
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.STORAGES['evidence'], s.EVIDENCE_MAX_BYTES, "
        "s.FILE_UPLOAD_MAX_MEMORY_SIZE]))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "x",
            "EVIDENCE_STORAGE": "s3",
            "EVIDENCE_S3_BUCKET": "suivi-justificatifs",
            "EVIDENCE_S3_ENDPOINT_URL": "https://s3.example.org",
            "EVIDENCE_MAX_MB": "25",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    storage, max_bytes, in_memory = json.loads(result.stdout)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] | {"bucket_name": "suivi-justificatifs"} == storage["OPTIONS"]
    assert storage["OPTIONS"]["endpoint_url"] == "https://s3.example.org"
    assert (storage["OPTIONS"]["default_acl"], storage["OPTIONS"]["querystring_auth"]) == (
        "private",
        True,
    )
    # An upload under the cap stays in memory, never in a temporary file.
    assert max_bytes == 25 * 1024 * 1024 and in_memory > max_bytes
