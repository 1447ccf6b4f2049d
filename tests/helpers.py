"""What several test modules need, written once: query counts, a page's text as a reader
sees it, the PostgreSQL-only marker and a real database outage.

Personas (staff_agent, manager, contact_a…) and the `on_commit` fixture are in
tests/conftest.py; factories in tests/factories.py.
"""

import html
import re
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

NBSP = "\N{NO-BREAK SPACE}"


def postgresql_only(reason):
    """Skips a test on SQLite, saying why it needs PostgreSQL."""
    return pytest.mark.skipif(connection.vendor != "postgresql", reason=reason)


def count_queries(client, address, *, status=200):
    """The queries a GET of `address` runs, a streamed body read to its end included."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == status, address
    return len(queries)


def text_of(response):
    """A page's text as a reader sees it: no tags, entities decoded, single spaces."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"\s+", " ", text.replace(NBSP, " "))


def main_text(page):
    """The text of a Playwright page's <main>, every run of spaces as one."""
    return " ".join(page.inner_text("main").split())


@contextmanager
def database_away():
    """A real outage: the connection points at a database that does not exist
    (PostgreSQL only: SQLite's in-memory test database cannot be taken away)."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = "base_absente"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
