"""A real database outage for tests: the connection points at a database that does not
exist (PostgreSQL only: SQLite's in-memory test database cannot be taken away)."""

from contextlib import contextmanager

import pytest
from django.db import connection

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database cannot be taken away from a live connection",
)


@contextmanager
def database_away():
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = "base_absente"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
