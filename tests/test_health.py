import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database cannot be taken away from a live connection",
)
def test_healthz_answers_503_without_detail_when_the_database_fails(client):
    # A real failure: point the connection at a database that does not exist.
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = "base_absente"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
    assert response.status_code == 503
    assert response.json() == {"status": "indisponible"}


def test_robots_txt_keeps_private_areas_out_of_search_engines(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Disallow: /espace/" in response.content.decode()
    assert "Disallow: /enjeux/" not in response.content.decode()
