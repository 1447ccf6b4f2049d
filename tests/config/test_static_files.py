"""make serve's static files: hashed and compressed by collectstatic, served by whitenoise."""

import pytest
from django.core.management import call_command
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_collectstatic_hashes_and_compresses_the_design_system(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    url = static("dsfr/dist/dsfr/dsfr.min.css")
    hashed = url.removeprefix(
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    )
    assert url != "/static/dsfr/dist/dsfr/dsfr.min.css", "the name carries its content's hash"
    assert (tmp_path / hashed).exists()
    assert (tmp_path / f"{hashed}.gz").exists()
    assert static("css/suivi.css").startswith("/static/css/suivi.")


def test_pages_still_render_before_any_collectstatic(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "/static/css/suivi" in response.content.decode()
