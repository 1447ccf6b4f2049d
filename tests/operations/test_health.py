import pytest
from django.db import OperationalError
from django.test import Client

from config.errors import server_error
from tests.helpers import database_away, postgresql_only

OUTAGE = "SQLite's in-memory test database cannot be taken away from a live connection"


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
@postgresql_only(OUTAGE)
def test_healthz_answers_503_without_detail_when_the_database_fails(client):
    with database_away():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "indisponible"}


@pytest.mark.django_db(transaction=True)
@postgresql_only(OUTAGE)
@pytest.mark.parametrize(
    "method, path", [("get", "/"), ("get", "/acteurs/"), ("post", "/comptes/connexion/")]
)
def test_a_page_answers_503_in_french_while_the_database_is_away(method, path):
    client = Client(raise_request_exception=False)
    with database_away():
        form = {"username": "a", "password": "b"} if method == "post" else None
        response = getattr(client, method)(path, form)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Service momentanément indisponible" in page
    assert "base_absente" not in page  # nothing about the failure leaks
    assert client.get(path).status_code == 200  # and it recovers by itself


def test_any_other_failure_keeps_the_500_page(rf):
    try:
        raise ValueError("un défaut du code")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Erreur inattendue" in response.content.decode()


def test_a_database_failure_outside_a_view_also_gives_the_503_page(rf):
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(rf.get("/"))
    assert response.status_code == 503
    assert "connection refused" not in response.content.decode()


def test_robots_txt_keeps_private_areas_out_of_search_engines(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Disallow: /espace/" in response.content.decode()
    assert "Disallow: /enjeux/" not in response.content.decode()
