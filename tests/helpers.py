"""What several test modules need, written once: query counts, a page's text as a reader
sees it, a form's values as a browser sends them, the PostgreSQL-only marker and a real
database outage.

Personas (staff_agent, manager, contact_a…) and the `on_commit` fixture are in
tests/conftest.py; factories in tests/factories.py.
"""

import html
import re
from contextlib import contextmanager
from html.parser import HTMLParser

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


class _Forms(HTMLParser):
    """The values a browser would send for each <form> of a page, unchanged."""

    def __init__(self):
        super().__init__()
        self.forms, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif not self.forms:
            return
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if tag == "input" and name and kind not in ("submit", "button", "file", "image"):
            if kind in ("checkbox", "radio") and "checked" in attrs:
                self.forms[-1][name] = attrs.get("value", "on")
            elif kind not in ("checkbox", "radio"):
                # A text box without a value sends an empty string, not "on".
                self.forms[-1][name] = attrs.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.forms[-1][self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.forms[-1][name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            # A browser drops the line break that opens a <textarea>.
            so_far = self.forms[-1][self._textarea]
            self.forms[-1][self._textarea] = so_far + (data if so_far else data.removeprefix("\n"))


def form_values(response, field):
    """What the form holding `field` would send if submitted untouched, as a browser does."""
    parser = _Forms()
    parser.feed(response.content.decode())
    forms = [form for form in parser.forms if field in form]
    assert len(forms) == 1, f"{len(forms)} forms hold {field}"
    return forms[0]


# The smallest files each kind of evidence check knows (commitments.evidence).
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def upload(name="preuve.pdf", content=PDF_BYTES):
    """A file as a form posts it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
