"""/donnees/: the licence, the last validation's date, each file with its columns and row
count, how to cite; linked from every page's footer and the site map."""

import datetime

import pytest
from django.utils import timezone

from opendata.datasets import DATASETS, FORMATS, LICENCE_URL
from tests.factories import UserFactory
from tests.helpers import text_of
from tests.opendata.conftest import make_public_rows

pytestmark = pytest.mark.django_db


def test_the_page_states_the_licence_the_date_and_every_file(client, public_rows):
    response = client.get("/donnees/")
    assert response.status_code == 200
    content, text = response.content.decode(), text_of(response)
    assert f'href="{LICENCE_URL}"' in content
    assert "Licence Ouverte / Etalab 2.0" in text
    today = timezone.localdate()
    assert f"Données validées au {today:%d/%m/%Y}" in text
    assert f"données validées au {today:%d/%m/%Y}" in text  # in how to cite
    for name, dataset in DATASETS.items():
        for extension in FORMATS:
            assert f'href="/donnees/{name}.{extension}"' in content
        assert f'href="/donnees/{name}.schema.json"' in content
        assert dataset.description in text
        for column in dataset.exporter.columns:
            assert column.meaning in text
    # Four public commitments, each with one validated delivery.
    assert "4 lignes ; chaque ligne est identifiée par « id »" in text


def test_the_date_is_the_last_validations(client, public_rows):
    from commitments.models import Delivery

    Delivery.objects.update(reviewed_at=timezone.make_aware(datetime.datetime(2020, 7, 10, 12)))
    assert "Données validées au 10/07/2020" in text_of(client.get("/donnees/"))


def test_with_nothing_validated_the_page_says_no_date(client, db):
    text = text_of(client.get("/donnees/"))
    assert "Données validées au" not in text
    assert "0 ligne ;" in text


def test_the_footer_and_the_site_map_link_to_it(client, db):
    for address in ("/", "/plan-du-site/"):
        assert 'href="/donnees/"' in client.get(address).content.decode(), address


def test_the_page_ignores_query_parameters(client, db):
    assert client.get("/donnees/?page=2&x=%3Cscript%3E").status_code == 200


def test_page_queries_do_not_grow_with_rows(client, db, django_assert_num_queries):
    """The last validation's date, then one count per file."""
    make_public_rows(3)
    with django_assert_num_queries(5):
        assert client.get("/donnees/").status_code == 200
    make_public_rows(6, agent=UserFactory(username="agent-2"))
    with django_assert_num_queries(5):
        assert client.get("/donnees/").status_code == 200
