"""An anonymous visitor cannot fill the page cache: only recognised, canonical filters
make an entry; anything else is answered without being stored."""

import random
import string

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from datasets.forum_2020 import load_forum

pytestmark = [pytest.mark.django_db, pytest.mark.real_cache]
PAGES = [
    "/",
    "/enjeux/",
    "/enjeux/urgence-sociale/",
    "/mesures/places-hebergement-urgence/",
    "/acteurs/",
    "/acteurs/prefecture-region-hauts-de-france/",
]
RECOGNISED = ["year", "territory", "issue", "page", "q", "kind", "sector"]


def entries():
    """How many entries the configured cache holds (local memory, or this worker's keys
    in Redis: tests/caches.py)."""
    if hasattr(cache, "keys"):
        return len(cache.keys())
    return len(cache._cache)


@pytest.fixture
def warm(client):
    cache.clear()
    load_forum()
    for address in PAGES:
        assert client.get(address).status_code == 200
    return entries()


def junk(rng):
    """A value no filter accepts: letters, a year out of range, an unknown slug…"""
    return rng.choice(
        [
            "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(1, 12))),
            str(rng.randint(3000, 99999)),
            f"inconnu-{rng.randint(0, 10**9)}",
            "0",
            "-1",
            "<b>x</b>",
        ]
    )


def test_a_thousand_random_query_strings_add_no_cache_entry(client, warm):
    rng = random.Random(2020)
    for _ in range(1000):
        params = {}
        for _ in range(rng.randint(1, 3)):
            name = rng.choice([*RECOGNISED, "utm_source", "x", "fbclid", "page[]"])
            params[name] = junk(rng)
        response = client.get(rng.choice(PAGES), params)
        assert response.status_code == 200, params
    assert entries() == warm


def test_unknown_parameters_are_served_the_stored_page_without_a_query(client, warm):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", {"utm_source": "lettre", "x": "1"})
    assert response.status_code == 200
    assert len(queries) == 0


def test_a_filter_echoed_in_a_message_is_escaped_and_not_stored(client, warm):
    response = client.get("/", {"territory": "<script>alert(1)</script>"})
    page = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert entries() == warm


def test_a_canonical_filter_makes_one_entry_then_is_served_from_it(client, warm):
    assert client.get("/", {"year": "2020"}).status_code == 200
    assert entries() > warm
    stored = entries()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/", {"year": "2020", "x": "y"}).status_code == 200
    assert len(queries) == 0 and entries() == stored


def test_head_is_served_from_the_cache_like_get(client, warm):
    with CaptureQueriesContext(connection) as queries:
        response = client.head("/acteurs/")
    assert response.status_code == 200
    assert len(queries) == 0
