"""What every request and response is held to: no NUL reaches a query, signed-in pages
are private, the admin is not indexed nor named in robots.txt, production settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from datasets.forum_2020 import load_forum

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "address",
    [
        "/admin/commitments/commitment/?status__exact=%00",
        "/acteurs/?q=a%00b",
        "/?year=%00",
        "/rapports/engagements.csv?territory=%00",
    ],
)
def test_a_nul_character_in_the_query_string_is_a_french_400(staff_client, address):
    response = staff_client.get(address)
    assert response.status_code == 400
    assert "caractère nul" in response.content.decode()


@pytest.mark.parametrize("address", ["/", "/espace/", "/rapports/", "/admin/"])
def test_a_signed_in_users_pages_are_private_and_not_stored(client, staff_agent, address):
    client.force_login(staff_agent)
    response = client.get(address)
    assert response.status_code in (200, 302)
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_an_anonymous_public_page_is_not_marked_private(client):
    load_forum()
    response = client.get("/")
    assert "private" not in response.get("Cache-Control", "")


def test_robots_txt_does_not_name_the_admin_which_asks_not_to_be_indexed(client, staff_client):
    assert settings.ADMIN_URL.strip("/") not in client.get("/robots.txt").content.decode()
    assert "Disallow: /espace/" in client.get("/robots.txt").content.decode()
    for response in (client.get("/admin/login/"), staff_client.get("/admin/")):
        assert response["X-Robots-Tag"] == "noindex, nofollow"


def python(code, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "STATEMENT_TIMEOUT"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "SECRET_KEY": "k", "DATABASE_URL": "postgres://u@127.0.0.1:5432/x", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


OPTIONS = (
    "from django.conf import settings; import json; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)
SETUP = "import django; django.setup(); "


def test_the_web_server_gets_a_statement_timeout_and_commands_do_not():
    web = python(f"import config.wsgi; {OPTIONS}")
    assert web.returncode == 0, web.stderr
    assert "statement_timeout=30000" in json.loads(web.stdout)["options"]
    command = python(
        f"import django; django.setup(); {OPTIONS}", DJANGO_SETTINGS_MODULE="config.settings"
    )
    assert command.returncode == 0, command.stderr
    assert "statement_timeout" not in command.stdout
    chosen = python(
        SETUP + OPTIONS, DJANGO_SETTINGS_MODULE="config.settings", STATEMENT_TIMEOUT="5"
    )
    assert "statement_timeout=5000" in json.loads(chosen.stdout)["options"]


def test_make_serve_runs_with_https_hardening_unless_opted_out():
    result = subprocess.run(
        ["make", "-n", "serve"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    gunicorn_line = next(line for line in result.stdout.splitlines() if "HTTPS=" in line)
    assert "HTTPS=${HTTPS:-on}" in gunicorn_line


@pytest.mark.parametrize("address", ["/", "/robots.txt", "/comptes/connexion/"])
def test_a_cookie_holding_a_nul_is_ignored_not_a_500(client, address):
    load_forum()
    client.cookies.load({settings.SESSION_COOKIE_NAME: "\x00aaaaaaaaaaaa"})
    response = client.get(address)
    assert response.status_code == 200
